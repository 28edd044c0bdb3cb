"""The signed caution document (Criminal Justice Act 2003 s.23(5)): the offence, the admission, the
person's consent and every condition with its due date, with the warning. Generated with ReportLab."""

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

WARNING = (
    "If you fail, without reasonable excuse, to comply with any of these conditions, you may be prosecuted "
    "for the offence. If you are prosecuted, this caution will cease to have effect and this document may "
    "be used in evidence."
)


FONT_FILES = {
    "OHSans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "OHSans-Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}


def _fonts() -> tuple[str, str]:
    """A Unicode font (DejaVu Sans, from the system's fonts-dejavu package) so every name prints as
    written, such as "Łukasz Żółć"; ReportLab's built-in Helvetica covers Latin-1 only, and is the
    fallback where the font is not installed."""
    from pathlib import Path

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if all(Path(path).exists() for path in FONT_FILES.values()):
        registered = set(pdfmetrics.getRegisteredFontNames())
        for name, path in FONT_FILES.items():
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, path))
        return "OHSans", "OHSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _p(text, style):
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def caution_document_pdf(*, case, caution, offences, conditions) -> bytes:
    regular, bold = _fonts()
    styles = getSampleStyleSheet()
    body, heading, title = styles["BodyText"], styles["Heading2"], styles["Title"]
    body.fontName = regular
    heading.fontName = title.fontName = bold
    person = case.person
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{case.scheme.disposal_type.name}: {case.reference}",
        author=str(case.force),
        subject="Signed caution document",
    )
    story = [
        _p(case.scheme.disposal_type.name, title),
        _p(f"{case.force} · {case.scheme.name} · Case {case.reference}", body),
        Spacer(1, 4 * mm),
        _p("Person cautioned", heading),
        _details(
            [
                ("Name", person.full_name),
                ("Date of birth", f"{person.date_of_birth:%-d %B %Y}"),
                (
                    "Address",
                    ", ".join(filter(None, [person.address.replace("\n", ", "), person.postcode]))
                    or "Not recorded",
                ),
            ],
            body,
        ),
        _p("Offence", heading),
        _details(
            [
                (
                    f"Offence {i}",
                    f"{o.offence.name}, committed on {o.offence_date:%-d %B %Y}"
                    + (f" ({o.details})" if o.details else ""),
                )
                for i, o in enumerate(offences, 1)
            ],
            body,
        ),
        _p("Admission", heading),
        _p(
            f"I admit that I committed the offence{'s' if len(offences) > 1 else ''} above. In my words: "
            f"“{caution.admission_words}”",
            body,
        ),
        _p("Conditions", heading),
        _p(
            f"You must comply with each condition below by its due date. The conditions must all be met by "
            f"{caution.period_ends_on:%-d %B %Y}.",
            body,
        ),
        Spacer(1, 2 * mm),
        _conditions_table(conditions, body),
        _p("Warning", heading),
        _p(WARNING, body),
        _p("Consent and signatures", heading),
        _p(
            "The effect of this caution and the warning above have been explained to me. I consent to being "
            "given this caution with the conditions above.",
            body,
        ),
        Spacer(1, 2 * mm),
        _details(
            [
                ("Signed by the person", f"{person.full_name}, on {caution.administered_on:%-d %B %Y}"),
                (
                    "Administered by",
                    f"{caution.administered_by.full_name}, {caution.administered_by.job_title}".rstrip(", "),
                ),
                ("Place", caution.place),
                *([("Interpreter", caution.interpreter)] if caution.interpreter else []),
                *([("Appropriate adult", caution.appropriate_adult)] if caution.appropriate_adult else []),
            ],
            body,
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


def _details(rows, style):
    table = Table([[_p(k, style), _p(v, style)] for k, v in rows], colWidths=[45 * mm, None])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (0, -1), _fonts()[1])])
    )
    return table


def _conditions_table(conditions, style):
    rows = [[_p(h, style) for h in ("No.", "Condition", "Kind", "Due by", "Delivered by")]]
    for i, c in enumerate(conditions, 1):
        terms = c.wording
        if c.hours:
            terms += f" ({c.hours:g} hours)"
        if c.amount is not None:
            terms += f" (£{c.amount:,.2f})"
        rows.append(
            [
                _p(i, style),
                _p(terms, style),
                _p(c.get_kind_display(), style),
                _p(f"{c.due_date:%-d %b %Y}", style),
                _p(c.responsible_organisation, style),
            ]
        )
    table = Table(rows, colWidths=[10 * mm, 80 * mm, 25 * mm, 22 * mm, None], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
