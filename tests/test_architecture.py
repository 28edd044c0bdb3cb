"""The apps form a stack (docs/architecture.md): each app may use only the apps below it, the foundation
uses none, and there is no cycle. This reads every module of every app, with ``ast``, and fails on any
reference that points up the stack or sideways between apps of the same level.

A reference is:
- an import, wherever it is (top of the module or inside a function): ``import x.y``,
  ``from x import y``, ``from . import y``, ``from ..x import y``, and ``importlib.import_module("x")``;
- a model named by its app label: ``apps.get_model("label", "Model")`` or ``get_model("label.Model")``,
  and a relation ``ForeignKey("label.Model")`` / ``OneToOneField`` / ``ManyToManyField`` (also ``to=``);
- in a migration, a dependency ``("label", "0001_...")``;
- a URL module included by name, ``include("app.urls")``.

The one exemption is the composition root, the project's root URL configuration, which includes every
app's URLs. The settings (``INSTALLED_APPS``) and the Celery schedule name apps and tasks as plain
strings, which are not references in the sense above, so they need no exemption.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The stack, lowest first. Apps on the same level may not use each other. The foundation is the
# project package, offenderhub/ (accounts, audit, notifications, core, settings, URLs, Celery).
LEVELS = [
    ("offenderhub",),
    ("cases",),
    ("assessments",),
    ("conditions",),
    ("referrals",),
    ("reporting",),
    ("imports", "retention", "subjectaccess"),
    ("hub",),
]
RANK = {app: rank for rank, apps in enumerate(LEVELS) for app in apps}
FOUNDATION = "offenderhub"

# Django app labels of the foundation's apps (offenderhub.accounts is "accounts", ...).
LABELS = {"accounts": FOUNDATION, "audit": FOUNDATION, "notifications": FOUNDATION, "core": FOUNDATION}
LABELS.update({app: app for app in RANK if app != FOUNDATION})

# The composition root: it may name every app (each app's URLs), and nothing imports it but Django.
COMPOSITION_ROOT = {"offenderhub/urls.py"}

RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


def _modules():
    for app in RANK:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield app, path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _app_of_module(name: str):
    return name.split(".")[0] if name.split(".")[0] in RANK else None


def _app_of_label(label: str):
    return LABELS.get(label.split(".")[0])


def _absolute(node: ast.ImportFrom, path: Path) -> str:
    """The module a relative ``from`` import names, from the importing module's package."""
    if not node.level:
        return node.module
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _string(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _references(path: Path):
    """``(line, app, what)`` for every reference to an app the module makes."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_migration = "migrations" in path.parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, _app_of_module(alias.name), f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path)
            names = ", ".join(alias.name for alias in node.names)
            yield node.lineno, _app_of_module(module), f"from {module} import {names}"
        elif isinstance(node, ast.Call):
            name, args = _call_name(node), [_string(a) for a in node.args]
            keywords = {k.arg: _string(k.value) for k in node.keywords}
            if name == "import_module" and args and args[0]:
                yield node.lineno, _app_of_module(args[0]), f"import_module({args[0]!r})"
            elif name == "include" and args and args[0]:
                yield node.lineno, _app_of_module(args[0]), f"include({args[0]!r})"
            elif name == "get_model" and args and args[0]:
                yield node.lineno, _app_of_label(args[0]), f"get_model({args[0]!r}, ...)"
            elif name in RELATIONS:
                target = (args[0] if args else None) or keywords.get("to")
                if target and "." in target:
                    yield node.lineno, _app_of_label(target), f"{name}({target!r})"
        elif is_migration and isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if targets == ["dependencies"] and isinstance(node.value, ast.List):
                for item in node.value.elts:
                    if isinstance(item, ast.Tuple) and item.elts and _string(item.elts[0]):
                        label = _string(item.elts[0])
                        yield item.lineno, _app_of_label(label), f"migration dependency ({label!r}, ...)"


def _edges():
    """Every reference from one app to another: ``{(from_app, to_app): [(path, line, what), ...]}``."""
    edges = defaultdict(list)
    for app, path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        for line, target, what in _references(path):
            if target is None or target == app:
                continue
            edges[(app, target)].append((relative, line, what))
    return edges


def _where(found) -> str:
    return "\n".join(f"    {path}:{line}: {what}" for path, line, what in found)


def test_every_app_has_its_place_in_the_stack():
    on_disk = {p.parent.name for p in ROOT.glob("*/apps.py")}
    missing = on_disk - set(RANK)
    assert not missing, (
        f"Put {', '.join(sorted(missing))} in the stack (LEVELS here and docs/architecture.md): "
        "every app must have a level."
    )


def test_no_app_uses_an_app_above_it_or_beside_it():
    problems = []
    for (source, target), found in sorted(_edges().items()):
        found = [f for f in found if f[0] not in COMPOSITION_ROOT]
        if not found or RANK[target] < RANK[source]:
            continue
        if source == FOUNDATION:
            why = (
                f"the foundation (offenderhub/) uses no domain app, and {target} is one. Move what needs "
                f"{target} up the stack (hub/ gathers every app)"
            )
        else:
            why = (
                f"{source} and {target} sit on the same level and may not use each other"
                if RANK[target] == RANK[source]
                else f"{source} sits below {target}"
            )
            why += (
                f". Announce a domain event from {source} and handle it in the AppConfig.ready of "
                f"{target} instead"
            )
        problems.append(f"{source} -> {target}: {why} (docs/architecture.md).\n{_where(found)}")
    assert not problems, "References up the stack:\n" + "\n".join(problems)


def test_there_is_no_cycle_between_apps():
    graph = defaultdict(set)
    for (source, target), found in _edges().items():
        if any(f[0] not in COMPOSITION_ROOT for f in found):
            graph[source].add(target)
    cycles, state = [], {}

    def visit(app, trail):
        state[app] = "open"
        for target in sorted(graph[app]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target) :] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[app] = "done"

    for app in sorted(RANK):
        if app not in state:
            visit(app, [app])
    edges = _edges()
    assert not cycles, "Cycles between apps:\n" + "\n".join(
        " -> ".join(cycle)
        + "\n"
        + "\n".join(_where(edges[(a, b)][:3]) for a, b in zip(cycle, cycle[1:], strict=False))
        for cycle in cycles
    )


# --- The test reads what it should -------------------------------------------------------------------


def _references_in(source: str, tmp_path, name="conditions/services/example.py"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return sorted((line, app) for line, app, _ in _references(path))


@pytest.fixture
def in_repo(monkeypatch, tmp_path):
    """Read a made-up module as if it were in the repository."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    return tmp_path


def test_it_sees_imports_inside_functions_and_relative_imports(in_repo):
    source = (
        "from ..models import Condition\n"
        "from . import breach\n"
        "def f():\n"
        "    from referrals.services import referrals_withdraw_for\n"
        "    import hub.demo\n"
    )
    assert _references_in(source, in_repo) == [
        (1, "conditions"),
        (2, "conditions"),
        (4, "referrals"),
        (5, "hub"),
    ]


def test_it_sees_models_named_by_label_and_migration_dependencies(in_repo):
    source = (
        "from django.db import migrations, models\n"
        "dependencies = [('referrals', '0001_initial'), ('accounts', '0002')]\n"
        "def forwards(apps, schema_editor):\n"
        "    apps.get_model('reporting', 'CaseFact')\n"
        "field = models.ForeignKey('subjectaccess.Request', on_delete=models.CASCADE)\n"
    )
    found = _references_in(source, in_repo, name="conditions/migrations/0099_example.py")
    assert found == sorted(
        [(1, None), (2, "referrals"), (2, FOUNDATION), (4, "reporting"), (5, "subjectaccess")],
        key=str,
    )


def test_the_composition_root_is_exempt_only_for_the_url_modules_it_includes():
    """The exemption hides nothing else: the root URL configuration imports no domain app."""
    for path in sorted(COMPOSITION_ROOT):
        upward = [what for _, app, what in _references(ROOT / path) if app not in (None, FOUNDATION)]
        assert upward, f"{path} no longer needs its exemption: remove it from COMPOSITION_ROOT"
        assert all(what.startswith("include(") for what in upward), upward


def test_the_readme_points_only_to_documents_inside_the_repository():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#\s]+)", readme)
    local = [link for link in links if not link.startswith(("http://", "https://", "mailto:"))]
    inside = [link for link in local if (ROOT / link).resolve().is_relative_to(ROOT)]
    missing = [link for link in local if link not in inside or not (ROOT / link).exists()]
    assert not missing, f"The README links to documents that are not in the repository: {missing}"
    assert "../" not in readme, "The README names a path outside the repository"
    assert "](docs/architecture.md)" in readme
