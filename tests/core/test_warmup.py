"""A gunicorn worker compiles the templates and builds the URLs before its first request
(gunicorn.conf.py's post_worker_init, offenderhub/core/warmup.py)."""

import importlib.util
from pathlib import Path

from django.template import engines

from offenderhub.core.warmup import warm_up


def _cached_names():
    loader = engines["django"].engine.template_loaders[0]
    return {key.split("-", 1)[0] for key in loader.get_template_cache}


def test_warm_up_compiles_the_project_templates_into_the_workers_cache():
    engines["django"].engine.template_loaders[0].reset()

    compiled = warm_up()

    project = Path(__file__).resolve().parents[2] / "templates"
    ours = {p.relative_to(project).as_posix() for p in project.rglob("*.html")}
    assert compiled >= len(ours)
    pages = {"base.html", "cases/detail.html", "cases/list.html", "reporting/dashboard.html"}
    assert pages <= _cached_names()


def test_gunicorn_runs_the_warm_up_in_each_worker_before_it_serves():
    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    )
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    calls = []
    import offenderhub.core.warmup as warmup

    real, warmup.warm_up = warmup.warm_up, lambda: calls.append("warmed") or 0
    try:
        conf.post_worker_init(worker=None)
    finally:
        warmup.warm_up = real
    assert calls == ["warmed"]
