"""The dashboard's charts (issue 16, part 3): drawn on the server in the page's font at a readable
size, compliance and reoffending as lines over months of caution, the funnel from referral to outcome,
each beside its table and downloadable as SVG or PNG with the same filters; withheld figures are
never drawn."""

import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from offenderhub.audit.models import AuditAction, AuditEvent
from reporting.charts import (
    FONT_FAMILY,
    PNG_SCALE,
    WIDTH,
    Dot,
    Polyline,
    Text,
    dashboard_charts,
    funnel_chart,
    line_chart,
    to_png,
    to_svg,
)
from reporting.disclosure import Count

DASHBOARD = reverse("reporting:dashboard")
SLUGS = ["status", "opened", "compliance", "reoffending", "funnel"]


def _chart(slug, kind):
    return reverse("reporting:chart", args=[slug, kind])


# --- Drawing -----------------------------------------------------------------------------------------


def _months(values):
    first = date(2025, 1, 1)
    return [
        (date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1), v, f"m{i}")
        for i, v in enumerate(values)
    ]


def test_a_line_breaks_where_a_months_figure_is_withheld_and_never_drops_to_zero():
    chart = line_chart("x", "Compliance", _months([80, 75, None, 70, 72]), description="d", axis_label="y")
    lines = [s for s in chart.shapes if isinstance(s, Polyline)]
    dots = [s for s in chart.shapes if isinstance(s, Dot)]
    assert [len(line.points) for line in lines] == [2, 2]  # two runs, no point for the withheld month
    assert [d.label for d in dots] == ["m0", "m1", "m3", "m4"]
    assert any("No point for 1 of the 5 months" in s.text for s in chart.shapes if isinstance(s, Text))
    bottom = max(d.y for d in dots)
    assert all(d.y < bottom + 1 for d in dots)  # the highest value is lowest on screen; none at the axis
    assert dots[0].y < dots[2].y  # 80% above 70%


def test_labels_are_at_least_14px_in_the_pages_font_and_the_chart_fills_the_column():
    charts = [
        line_chart("x", "t", _months([50] * 24), description="d", axis_label="y"),
        funnel_chart("f", "t", [("Opened", Count.of(100)), ("Done", Count.of(40))], description="d"),
    ]
    for chart in charts:
        assert chart.width == WIDTH
        sizes = {s.size for s in chart.shapes if isinstance(s, Text)}
        assert min(sizes) >= 14, sizes  # the old charts' labels were drawn at 8px once scaled
        svg = to_svg(chart)
        assert f'font-family="{FONT_FAMILY}"' in svg
        assert f'width="{WIDTH}"' in svg and f'viewBox="0 0 {WIDTH} ' in svg


def test_the_funnel_gives_each_step_as_a_share_of_the_cases_opened_and_draws_no_bar_for_a_small_count():
    chart = funnel_chart(
        "f",
        "t",
        [("Opened", Count.of(200)), ("Cautioned", Count.of(101)), ("Done", Count.of(3))],
        description="d",
    )
    captions = [s.text for s in chart.shapes if isinstance(s, Text)]
    assert captions == ["Opened: 200", "Cautioned: 100 (50% of cases opened)", "Done: <5"]  # 102 / 202
    assert sum(1 for s in chart.shapes if type(s).__name__ == "Rect") == 2


def test_svg_text_is_escaped_and_the_chart_is_named_for_assistive_technology():
    chart = line_chart("x", "A <b>title</b> & more", _months([10]), description="<script>", axis_label="y")
    svg = to_svg(chart)
    assert "<b>" not in svg and "<script>" not in svg
    assert "A &lt;b&gt;title&lt;/b&gt; &amp; more" in svg
    assert 'role="img" aria-labelledby="chart-x-title chart-x-desc"' in svg
    standalone = to_svg(chart, standalone=True)
    assert standalone.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
    )


def test_the_png_is_the_chart_at_twice_its_size_with_its_title():
    chart = funnel_chart("f", "From referral to outcome", [("Opened", Count.of(100))], description="d")
    image = Image.open(io.BytesIO(to_png(chart)))
    assert image.format == "PNG"
    assert image.size == (WIDTH * PNG_SCALE, int((chart.height + 40) * PNG_SCALE))
    assert len(set(image.convert("L").get_flattened_data())) > 2  # something is drawn on the white


def test_no_chart_when_the_figures_are_withheld():
    assert dashboard_charts({"withheld": True, "min_cohort": 10}) == {}


# --- The dashboard and the downloads -------------------------------------------------------------------


@pytest.fixture
def cautioned_over_months(build):
    """40 cases cautioned in two months 200 days ago, 30 completed and 10 breached: enough for every
    figure, a point on the compliance line for each month."""
    today = timezone.localdate()
    for i in range(40):
        build(
            outcome="breached" if i % 8 < 2 else "completed",  # 5 of each month's 20
            cautioned_on=today - timedelta(days=200 + 31 * (i % 2)),
            sex="male",
        )


def test_the_dashboard_draws_every_chart_beside_its_table_with_its_downloads(
    client_for, analyst, cautioned_over_months
):
    html = client_for(analyst).get(DASHBOARD).content.decode()
    for slug in SLUGS:
        assert f'aria-labelledby="chart-{slug}-title chart-{slug}-desc"' in html, slug
        assert f'href="{_chart(slug, "svg")}"' in html and f'href="{_chart(slug, "png")}"' in html, slug
    for caption in [
        "Compliance by month of caution",
        "Proven reoffending by month of caution",
        "From referral to outcome",
    ]:
        assert f'<caption class="govuk-table__caption govuk-table__caption--m">{caption}</caption>' in html
    assert "<polyline" in html  # the compliance line
    assert "app-chart__label" not in html  # the old 8px bar labels are gone


def test_a_chart_downloads_as_svg_and_png_with_the_pages_filters_and_is_audited(
    client_for, analyst, cautioned_over_months
):
    client = client_for(analyst)
    svg = client.get(_chart("compliance", "svg"))
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert re.match(r'attachment; filename="offenderhub-compliance-\d{8}\.svg"', svg["Content-Disposition"])
    assert b"Compliance by month of caution" in svg.content
    png = client.get(_chart("funnel", "png"), {"sex": "male"})
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    labels = list(
        AuditEvent.objects.filter(action=AuditAction.EXPORTED, actor=analyst)
        .order_by("id")
        .values_list("object_label", flat=True)
    )
    assert labels == ["Dashboard chart: compliance (SVG)", "Dashboard chart: funnel (PNG)"]


def test_a_chart_of_figures_withheld_for_the_filters_is_not_found(client_for, analyst, build):
    for i in range(3):  # fewer than the minimum cohort
        build(outcome="completed", cautioned_on=timezone.localdate() - timedelta(days=100 + i))
    client = client_for(analyst)
    assert client.get(_chart("status", "svg")).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORTED).exists()


@pytest.mark.parametrize("path", [("nonsense", "svg"), ("status", "gif"), ("status", "SVG")])
def test_an_unknown_chart_or_file_type_is_not_found(client_for, analyst, cautioned_over_months, path):
    assert client_for(analyst).get(_chart(*path)).status_code == 404


@pytest.mark.parametrize("who", ["practitioner", "partner_manager", "case_worker", "decision_maker"])
def test_partners_and_other_roles_get_403_on_a_chart(client_for, request, cautioned_over_months, who):
    response = client_for(request.getfixturevalue(who)).get(_chart("status", "png"))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORTED).exists()


def test_an_outsider_supervisor_draws_their_own_forces_figures_only(
    client_for, outsider_supervisor, cautioned_over_months
):
    # The other force has no cases: its figures are withheld, so no chart of this force's leaks.
    assert client_for(outsider_supervisor).get(_chart("status", "svg")).status_code == 404
