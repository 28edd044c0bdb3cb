"""The readable response to a subject access request: a PDF written with ReportLab from the same
``Export`` as the archive, in plain English, addressed to the person.

Accessibility, as far as ReportLab (the open-source edition) allows: real text in one column, in
reading order, in a Unicode font; the document's language (en-GB) and title set, and the title shown
by the reader instead of the file name; a heading for each section and each case, which are also the
document's bookmarks (its outline), so a screen reader or a reader's side panel can move by them; each
field written as its label then its value (no layout tables). ReportLab cannot write a structure tree,
so the PDF is not tagged: the archive's ``data.json`` holds the same content for any tool.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from conditions.documents import _fonts

from .export import Export, Item, Section

PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"

# The outline: sections at the top, then each case, then the parts of a case.
MAX_OUTLINE_LEVEL = 2

ABOUT = [
    "You asked us for a copy of the personal information we hold about you. This is our response "
    "under section 45 of the Data Protection Act 2018. It has the information itself, in the "
    "sections below, and a computer-readable copy with the documents we hold, in the archive that "
    "comes with it.",
    "Why we hold it: to decide whether your case could be dealt with out of court, to agree and follow "
    "the conditions you were given, and to prosecute if a condition was failed without a reasonable "
    "excuse. This is for the prevention, investigation, detection and prosecution of criminal "
    "offences (the law enforcement purposes, section 31 of the Act).",
    "Who we shared it with: the organisations that helped you with your conditions received what they "
    "needed for their referral. Every time your information was shared is listed under “Who your "
    "information was shared with”.",
    "How long we keep it: we review each record at least six years after the case closed, and erase "
    "what we no longer need.",
    "Your rights: you can ask us to correct information that is wrong or incomplete, or to erase or "
    "restrict it (sections 46 and 47). If we withheld something, the section “Information withheld” "
    "says on which ground. If you are unhappy with our response you can complain to the Information "
    "Commissioner's Office (ico.org.uk, 0303 123 1113).",
    "Staff are named by their organisation only. Details we do not hold are left out. Dates and times "
    "are UK time.",
]


def _styles():
    regular, bold = _fonts()
    if regular != "Helvetica":  # <b> inside a paragraph needs the font's bold face named
        from reportlab.pdfbase.pdfmetrics import registerFontFamily

        registerFontFamily(regular, normal=regular, bold=bold, italic=regular, boldItalic=bold)
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=sheet["BodyText"], fontName=regular, fontSize=10.5, leading=14)
    return {
        "title": ParagraphStyle("Title", parent=sheet["Title"], fontName=bold, fontSize=20, leading=24),
        "h1": ParagraphStyle("H1", parent=sheet["Heading1"], fontName=bold, fontSize=17, leading=21),
        "h2": ParagraphStyle("H2", parent=sheet["Heading2"], fontName=bold, fontSize=14, leading=18),
        "h3": ParagraphStyle("H3", parent=sheet["Heading3"], fontName=bold, fontSize=12, leading=15),
        "h4": ParagraphStyle("H4", parent=sheet["Heading4"], fontName=bold, fontSize=10.5, leading=14),
        "body": body,
        "label": ParagraphStyle("Label", parent=body, fontName=bold, spaceBefore=3, spaceAfter=0),
        "field": ParagraphStyle("Field", parent=body, spaceBefore=1, spaceAfter=1),
        "value": ParagraphStyle("Value", parent=body, leftIndent=6 * mm, spaceBefore=0, spaceAfter=2),
        "withheld": ParagraphStyle(
            "Withheld", parent=body, leftIndent=6 * mm, textColor=colors.HexColor("#505a5f")
        ),
        "key": ParagraphStyle(
            "Key", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#505a5f")
        ),
        "footer": regular,
    }


def _text(value) -> str:
    return escape(str(value)).replace("\n", "<br/>")


def display(value) -> str:
    """A value as the response shows it, in plain English."""
    from datetime import date, datetime

    if value is None or value == "" or value == []:
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local:%-d %B %Y at %H:%M}"
    if isinstance(value, date):
        return f"{value:%-d %B %Y}"
    if isinstance(value, list):
        return "\n".join(f"• {v}" for v in value)
    return str(value)


class _Heading(Paragraph):
    """A heading that is also an entry of the document's outline."""

    def __init__(self, text, style, level):
        super().__init__(_text(text), style)
        self.outline = (text, level)


class _ResponseTemplate(SimpleDocTemplate):
    def __init__(self, *args, footer="", footer_font="Helvetica", **kwargs):
        super().__init__(*args, **kwargs)
        self._footer, self._footer_font, self._bookmarks = footer, footer_font, 0

    def afterFlowable(self, flowable):
        outline = getattr(flowable, "outline", None)
        if outline is None:
            return
        text, level = outline
        self._bookmarks += 1
        key = f"h{self._bookmarks}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level >= 1)

    def _on_page(self, canvas, doc):
        canvas.saveState()
        canvas.setFont(self._footer_font, 8)
        canvas.setFillColor(colors.HexColor("#505a5f"))
        canvas.drawString(self.leftMargin, 10 * mm, f"{PROTECTIVE_MARKING} · {self._footer}")
        canvas.drawRightString(A4[0] - self.rightMargin, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    def build(self, flowables, **kwargs):
        super().build(flowables, onFirstPage=self._on_page, onLaterPages=self._on_page, **kwargs)


def subject_access_pdf(export: Export) -> bytes:
    styles = _styles()
    reference = export.request.get("reference", "")
    buffer = BytesIO()
    doc = _ResponseTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=f"Subject access response {reference}",
        author=export.force_name,
        subject=f"Personal information held by {export.force_name}",
        lang="en-GB",
        displayDocTitle=True,
        footer=f"Subject access response {reference}",
        footer_font=styles["footer"],
    )
    story = [
        _Heading(f"Your personal information held by {export.force_name}", styles["title"], 0),
        Paragraph(_text(f"Response to your subject access request {reference}"), styles["body"]),
        Spacer(1, 3 * mm),
        *_fields(
            [
                ("Request received on", display(export.request.get("received_on"))),
                ("Received from", display(export.request.get("received_from"))),
                ("We had to respond by", display(export.request.get("due_on"))),
                ("This response was produced on", display(export.produced_at)),
                ("About", export.person_name),
            ],
            styles,
        ),
        _Heading("About this response", styles["h1"], 0),
        *[Paragraph(_text(p), styles["body"]) for p in ABOUT],
    ]
    for section in export.sections:
        story += _section(section, styles, depth=0)
    story += [_Heading("Information withheld", styles["h1"], 0)]
    if export.withheld:
        story.append(
            Paragraph(
                _text(
                    "We have withheld the information below, as section 45(4) of the Data Protection Act "
                    "2018 allows, for as long as it is necessary and proportionate. Where an item is "
                    "named, it is marked “Withheld” where it appears above."
                ),
                styles["body"],
            )
        )
        for w in export.withheld:
            what = f"Item {w['item']}" if w["item"] else "Part of this response"
            story += _fields([(what, f"Section {w['paragraph']}: {w['ground']}")], styles)
    else:
        story.append(Paragraph(_text("We have not withheld anything."), styles["body"]))
    doc.build(story)
    return buffer.getvalue()


HEADINGS = ("h1", "h2", "h3", "h4")


def _heading(text, styles, depth):
    style = styles[HEADINGS[min(depth, len(HEADINGS) - 1)]]
    if depth <= MAX_OUTLINE_LEVEL:
        return _Heading(text, style, depth)
    return Paragraph(_text(text), style)


def _section(section: Section, styles, depth) -> list:
    flowables = [_heading(section.title, styles, depth)]
    if section.intro:
        flowables.append(Paragraph(_text(section.intro), styles["body"]))
    if not section.items:
        flowables.append(Paragraph(_text("We hold nothing of this kind about you."), styles["body"]))
    for item in section.items:
        flowables += _item(item, styles, depth + 1, outline=section.key == "cases")
    return flowables


def _item(item: Item, styles, depth, *, outline=False) -> list:
    title = (
        _heading(item.title, styles, depth)
        if outline
        else Paragraph(_text(item.title), styles[HEADINGS[min(depth, len(HEADINGS) - 1)]])
    )
    flowables = [title, Paragraph(_text(f"Item {item.key}"), styles["key"])]
    if item.withheld:
        flowables.append(Paragraph(_text(item.withheld), styles["withheld"]))
        return flowables
    for f in item.fields:
        if f.withheld:
            flowables.append(Paragraph(_text(f.label), styles["label"]))
            flowables.append(Paragraph(_text(f.withheld), styles["withheld"]))
        elif _empty(f.value):
            continue  # nothing held: left out of the PDF (the archive says null)
        elif _short(value := display(f.value)):
            flowables.append(Paragraph(f"<b>{_text(f.label)}:</b> {_text(value)}", styles["field"]))
        else:
            flowables.append(Paragraph(_text(f.label), styles["label"]))
            flowables.append(Paragraph(_text(value), styles["value"]))
    for section in item.sections:
        # The parts of a case are in the outline below it; deeper parts are headings only.
        flowables += _section(section, styles, depth + 1)
    return flowables


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def _short(text: str) -> bool:
    """A value shown on its label's line: short and on one line."""
    return len(text) <= 70 and "\n" not in text


def _fields(rows, styles) -> list:
    flowables = []
    for label, value in rows:
        flowables.append(Paragraph(_text(label), styles["label"]))
        flowables.append(Paragraph(_text(value), styles["value"]))
    return flowables
