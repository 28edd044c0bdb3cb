"""The static files: built without GOV.UK's own typeface, complete, and collectable for production.

The GDS Transport typeface is licensed for services on GOV.UK only, so a police force's service must
not ship it: `make assets` builds GOV.UK Frontend and MoJ Frontend from their Sass with fonts every
system has. These tests fail if the font, or a reference to it, comes back into static/.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

STATIC_DIR = Path(settings.BASE_DIR) / "static"
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
FONT_SUFFIXES = {".woff", ".woff2", ".ttf", ".otf", ".eot"}
GDS_TRANSPORT = re.compile(rb"gds[ _-]?transport", re.IGNORECASE)
STYLESHEET_LINK = re.compile(r"""<link rel="stylesheet" href="\{% static '([^']+)' %\}">""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
SOURCE_MAP = re.compile(r"sourceMappingURL=([^\s*]+)")


def _static_files():
    return sorted(path for path in STATIC_DIR.rglob("*") if path.is_file())


def _vendored(suffix):
    return sorted((STATIC_DIR / "vendor").rglob(f"*{suffix}"))


def test_no_static_file_names_the_gds_transport_font():
    naming = [str(path) for path in _static_files() if GDS_TRANSPORT.search(path.read_bytes())]

    assert naming == []


def test_static_holds_no_font_files():
    fonts = [str(path) for path in _static_files() if path.suffix.lower() in FONT_SUFFIXES]

    assert fonts == []


def test_the_vendored_stylesheets_use_the_system_font_stack():
    for stylesheet in _vendored(".css"):
        css = stylesheet.read_text(encoding="utf-8-sig")

        assert "font-family:helvetica,arial,sans-serif" in css, stylesheet
        assert "@font-face" not in css, stylesheet


@pytest.mark.parametrize("template", ["base.html", "500.html"])
def test_every_stylesheet_the_page_templates_link_is_in_static(template):
    linked = STYLESHEET_LINK.findall((TEMPLATES_DIR / template).read_text())

    assert "vendor/govuk/govuk-frontend.min.css" in linked
    assert "vendor/moj/moj-frontend.min.css" in linked
    assert [path for path in linked if not (STATIC_DIR / path).is_file()] == []


def test_every_image_the_vendored_stylesheets_use_is_in_static():
    missing = [
        f"{stylesheet.name}: {url}"
        for stylesheet in _vendored(".css")
        for url in CSS_URL.findall(stylesheet.read_text(encoding="utf-8-sig"))
        if not url.startswith("data:") and not (stylesheet.parent / url).is_file()
    ]

    assert missing == []


def test_no_static_file_points_at_a_missing_source_map():
    """collectstatic rewrites source-map comments to hashed names and stops on a missing map."""
    missing = [
        f"{path}: {name}"
        for path in _static_files()
        if path.suffix in {".css", ".js", ".mjs"}
        for name in SOURCE_MAP.findall(path.read_text(encoding="utf-8-sig"))
        if not (path.parent / name).is_file()
    ]

    assert missing == []


def test_collectstatic_builds_the_production_manifest(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    assert (tmp_path / "staticfiles.json").is_file()
    collected = [path for path in tmp_path.rglob("*.css") if GDS_TRANSPORT.search(path.read_bytes())]
    assert collected == []
