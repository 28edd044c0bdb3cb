"""A serving process compiles the templates and builds the URLs as it starts, before its first
request (offenderhub/startup.py's warm_up, run by offenderhub/wsgi.py)."""

import subprocess
import sys
from pathlib import Path

from django.template import engines

from offenderhub.startup import warm_up

BASE_DIR = Path(__file__).resolve().parents[2]


def _cached_names():
    loader = engines["django"].engine.template_loaders[0]
    return {key.split("-", 1)[0] for key in loader.get_template_cache}


def test_warm_up_compiles_the_project_templates_into_the_processs_cache():
    engines["django"].engine.template_loaders[0].reset()

    compiled = warm_up()

    ours = list((BASE_DIR / "templates").rglob("*.html"))
    assert compiled >= len(ours)
    pages = {"base.html", "cases/detail.html", "cases/list.html", "reporting/dashboard.html"}
    assert pages <= _cached_names()


def test_the_wsgi_application_warms_up_as_it_is_imported():
    script = (
        "import os; os.environ['DEBUG'] = 'True'; import offenderhub.wsgi; "
        "from django.template import engines; "
        "print(len(engines['django'].engine.template_loaders[0].get_template_cache))"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", script], cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) >= 100
