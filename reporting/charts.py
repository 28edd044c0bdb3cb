"""The dashboard's charts, drawn on the server (issue 16, part 3): no JavaScript, the page's own font,
labels at the size of the text around them, and each chart downloadable as SVG or PNG for a board
report.

A chart is built once, as a list of shapes in its own coordinates (``Chart``), from the figures as
they may be shown (``disclosure.protect``: counts rounded, small ones suppressed, rates withheld), so
a chart never says more than the table beside it. Two renderers draw the same shapes: ``to_svg``
(inline in the page, or a standalone file) and ``to_png`` (Pillow, at twice the size, with Pillow's
own sans-serif font so the server needs no font installed). A gap in a line is a month whose figure
is withheld, never a zero.
"""

import io
import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from .disclosure import Count

FONT_FAMILY = "helvetica, arial, sans-serif"  # static/src/_settings.scss: the page's font
INK = "#0b0c0c"
SECONDARY_INK = "#484949"
GRID = "#cecece"
BLUE = "#1d70b8"
DARK_BLUE = "#003078"
GREEN = "#0f7a52"
WIDTH = 720
TEXT = 16  # the page's body text (px): the chart is drawn at the width it is shown at, up to WIDTH


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: int = TEXT
    anchor: str = "start"  # start, middle, end
    bold: bool = False
    fill: str = INK


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID
    width: float = 1


@dataclass(frozen=True)
class Polyline:
    points: tuple
    stroke: str = BLUE
    width: float = 3


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str = BLUE


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str  # said on hover in the page, and kept in the file
    fill: str = BLUE
    r: float = 4.5


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    height: float
    width: float = WIDTH
    shapes: list = field(default_factory=list)
    figures: int = 0  # how many figures it draws (bars, points, steps): what a download discloses

    def add(self, *shapes):
        self.shapes.extend(shapes)


# --- Building --------------------------------------------------------------------------------------


def _count(count: Count) -> str:
    """A count as the page shows it, with a thousands separator: "<5" or "1,205"."""
    return str(count) if count.suppressed else f"{count.shown:,}"


def bar_chart(slug, title, rows, *, description, label_width=230, fill=BLUE) -> Chart:
    """Horizontal bars, one per ``(label, Count)`` row, longest first as given; a "<5" has no bar."""
    step, top, bar = 34, 8, 22
    chart = Chart(slug, title, description, height=top + step * max(len(rows), 1), figures=len(rows))
    largest = max((c.shown or 0 for _, c in rows), default=0) or 1
    room = WIDTH - label_width - 70
    for i, (label, count) in enumerate(rows):
        y = top + i * step
        chart.add(Text(label_width - 10, y + bar - 5, label, anchor="end"))
        width = round(room * (count.shown or 0) / largest, 1)
        if width:
            chart.add(Rect(label_width, y, width, bar, fill=fill))
        chart.add(Text(label_width + width + 8, y + bar - 5, _count(count), fill=SECONDARY_INK))
    return chart


def line_chart(slug, title, points, *, description, axis_label, unit="%", top=None) -> Chart:
    """One line over months: ``points`` are ``(month, value or None, hover text)``; the y axis runs
    from 0 to ``top`` (by default the highest value rounded up to a multiple of 10); a None leaves a
    gap."""
    if top is None:
        highest = max((float(v) for _, v, _ in points if v is not None), default=0)
        top = max(10, math.ceil(highest / 10) * 10)
    left, right, upper, plot_height = 64, 20, 32, 240
    chart = Chart(slug, title, description, height=upper + plot_height + 64, figures=len(points))
    plot_width = WIDTH - left - right
    bottom = upper + plot_height
    chart.add(Text(left, 18, axis_label, size=14, fill=SECONDARY_INK))
    for tick in range(0, top + 1, top // 5):
        y = bottom - plot_height * tick / top
        chart.add(
            Line(left, y, left + plot_width, y), Text(left - 8, y + 5, f"{tick}{unit}", anchor="end", size=14)
        )
    n = len(points)
    xs = [left + (plot_width * (i + 0.5) / n) for i in range(n)]
    for i, (month, _, _) in enumerate(points):
        if month.month in (1, 7):  # every half year, January and July
            chart.add(Line(xs[i], bottom, xs[i], bottom + 6, stroke=INK))
            chart.add(Text(xs[i], bottom + 24, f"{month:%b %Y}", anchor="middle", size=14))
    chart.add(Line(left, bottom, left + plot_width, bottom, stroke=INK))
    run = []
    for (_, value, hover), x in zip(points, xs, strict=True):
        if value is None:
            _flush(chart, run)
            run = []
            continue
        y = round(bottom - plot_height * float(value) / top, 1)
        run.append((round(x, 1), y, hover))
    _flush(chart, run)
    withheld = sum(1 for _, value, _ in points if value is None)
    if withheld:
        chart.add(
            Text(
                left,
                bottom + 52,
                f"No point for {withheld} of the {n} months: too few cases to show a rate.",
                size=14,
                fill=SECONDARY_INK,
            )
        )
    return chart


def _flush(chart, run):
    if len(run) > 1:
        chart.add(Polyline(tuple((x, y) for x, y, _ in run)))
    chart.add(*(Dot(x, y, hover) for x, y, hover in run))


def funnel_chart(slug, title, steps, *, description) -> Chart:
    """Centred bars narrowing from the first step: ``steps`` are ``(label, Count)``; each says its
    share of the first."""
    step, bar, label_height = 62, 30, 20
    chart = Chart(slug, title, description, height=8 + step * len(steps), figures=len(steps))
    first = steps[0][1].estimate if steps and not steps[0][1].suppressed else None
    centre, room = WIDTH / 2, WIDTH - 40
    for i, (label, count) in enumerate(steps):
        y = 8 + i * step
        share = (
            round(100 * count.estimate / first)
            if first and not count.suppressed and count.estimate is not None
            else None
        )
        caption = f"{label}: {_count(count)}" + (
            f" ({share}% of cases opened)" if share is not None and i else ""
        )
        chart.add(Text(centre, y + label_height - 4, caption, anchor="middle", bold=True))
        width = room * (share if share is not None else (100 if i == 0 and first else 0)) / 100
        if width:
            chart.add(
                Rect(round(centre - width / 2, 1), y + label_height, round(width, 1), bar, fill=DARK_BLUE)
            )
    return chart


# --- The dashboard's charts ------------------------------------------------------------------------


def _rate_text(value, of: Count, what: str) -> str:
    return f"{value}% of {of} {what}" if value is not None else "withheld"


def dashboard_charts(f) -> dict:
    """Every chart of the dashboard from its figures as shown (``disclosure.protect``), by slug."""
    if f["withheld"]:
        return {}
    charts = [
        bar_chart(
            "status",
            "Cases by status",
            list(f["by_status"]),
            description="The number of cases at each status now; the table gives the figures.",
        ),
        bar_chart(
            "opened",
            "Cases opened each month",
            [(f"{t['month']:%b %Y}", t["opened"]) for t in f["trends"]],
            description="Cases opened in each of the last 12 months; the table gives the figures.",
            label_width=120,
        ),
        line_chart(
            "compliance",
            "Compliance by month of caution",
            [
                (
                    m["month"],
                    m["rate"],
                    f"{m['month']:%B %Y}: {_rate_text(m['rate'], m['finished'], 'finished completed')}",
                )
                for m in f["compliance_trend"]
            ],
            description=(
                "Of the people cautioned each month whose outcome is known, the share who completed "
                "every condition (no prosecution). Recent months are still under caution."
            ),
            axis_label="Completed, of those finished",
            top=100,
        ),
        line_chart(
            "reoffending",
            "Proven reoffending by month of caution",
            [
                (
                    m["month"],
                    m["rate"],
                    f"{m['month']:%B %Y}: {_rate_text(m['rate'], m['cohort'], 'followed up reoffended')}",
                )
                for m in f["reoffending_trend"]
            ],
            description=(
                "Of the people cautioned each month and followed up for the full 18 months, the share "
                "with a proven reoffence. Months less than 18 months ago have no figure yet."
            ),
            axis_label="Reoffended, of those followed up",
        ),
        funnel_chart(
            "funnel",
            "From referral to outcome",
            list(f["funnel"]),
            description=(
                "Cases opened, found eligible, cautioned, finished and completed without a prosecution; "
                "each as a share of the cases opened."
            ),
        ),
    ]
    return {chart.slug: chart for chart in charts}


# --- Rendering -------------------------------------------------------------------------------------


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def to_svg(chart: Chart, *, standalone: bool = False) -> str:
    """The chart as SVG markup: inline in the page (its title and description read by assistive
    technology, the table beside it giving the figures), or a file of its own."""
    ident = f"chart-{chart.slug}"
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
        if standalone
        else '<svg class="app-chart" '
    )
    parts = [
        f'{head}role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {_num(chart.width)} {_num(chart.height)}" width="{_num(chart.width)}" '
        f'height="{_num(chart.height)}" font-family={quoteattr(FONT_FAMILY)} font-size="{TEXT}">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
    ]
    if standalone:
        parts.append(f'<rect width="{_num(chart.width)}" height="{_num(chart.height)}" fill="#ffffff"/>')
    for shape in chart.shapes:
        parts.append(_svg_shape(shape))
    parts.append("</svg>")
    return "\n".join(parts)


def _svg_shape(shape) -> str:
    if isinstance(shape, Text):
        weight = ' font-weight="bold"' if shape.bold else ""
        return (
            f'<text x="{_num(shape.x)}" y="{_num(shape.y)}" font-size="{shape.size}" '
            f'text-anchor="{shape.anchor}" fill="{shape.fill}"{weight}>{escape(shape.text)}</text>'
        )
    if isinstance(shape, Line):
        return (
            f'<line x1="{_num(shape.x1)}" y1="{_num(shape.y1)}" x2="{_num(shape.x2)}" y2="{_num(shape.y2)}" '
            f'stroke="{shape.stroke}" stroke-width="{_num(shape.width)}"/>'
        )
    if isinstance(shape, Polyline):
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points)
        return (
            f'<polyline points="{points}" fill="none" stroke="{shape.stroke}" '
            f'stroke-width="{_num(shape.width)}" stroke-linejoin="round"/>'
        )
    if isinstance(shape, Rect):
        return (
            f'<rect x="{_num(shape.x)}" y="{_num(shape.y)}" width="{_num(shape.w)}" height="{_num(shape.h)}" '
            f'fill="{shape.fill}"/>'
        )
    if isinstance(shape, Dot):
        return (
            f'<circle cx="{_num(shape.x)}" cy="{_num(shape.y)}" r="{_num(shape.r)}" fill="{shape.fill}">'
            f"<title>{escape(shape.label)}</title></circle>"
        )
    raise TypeError(f"Not a chart shape: {shape!r}")


PNG_SCALE = 2  # twice the size, for print and high-density screens


def to_png(chart: Chart, *, scale: int = PNG_SCALE) -> bytes:
    """The chart as a PNG with a title above it (a picture has no other place for one)."""
    from PIL import Image, ImageDraw, ImageFont

    title_height = 40
    image = Image.new("RGB", (int(chart.width * scale), int((chart.height + title_height) * scale)), "white")
    draw = ImageDraw.Draw(image)
    fonts = {}

    def font(size):
        if size not in fonts:
            fonts[size] = ImageFont.load_default(size=size * scale)
        return fonts[size]

    draw.text((0, 26 * scale), chart.title, font=font(20), fill=INK, anchor="ls", stroke_width=0)

    def at(x, y):
        return (x * scale, (y + title_height) * scale)

    anchors = {"start": "ls", "middle": "ms", "end": "rs"}
    for shape in chart.shapes:
        if isinstance(shape, Text):
            draw.text(
                at(shape.x, shape.y),
                shape.text,
                font=font(shape.size),
                fill=shape.fill,
                anchor=anchors[shape.anchor],
            )
        elif isinstance(shape, Line):
            draw.line(
                [at(shape.x1, shape.y1), at(shape.x2, shape.y2)],
                fill=shape.stroke,
                width=int(shape.width * scale),
            )
        elif isinstance(shape, Polyline):
            draw.line(
                [at(x, y) for x, y in shape.points],
                fill=shape.stroke,
                width=int(shape.width * scale),
                joint="curve",
            )
        elif isinstance(shape, Rect):
            x, y = at(shape.x, shape.y)
            draw.rectangle([x, y, x + shape.w * scale, y + shape.h * scale], fill=shape.fill)
        elif isinstance(shape, Dot):
            x, y = at(shape.x, shape.y)
            r = shape.r * scale
            draw.ellipse([x - r, y - r, x + r, y + r], fill=shape.fill)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
