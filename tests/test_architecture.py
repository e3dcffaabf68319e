"""Dependencies point one way (DESIGN.md): every import of the project's own code, read from the
source with `ast` (imports inside functions included), must follow the layers

    config (the project shell: settings, urls, Celery app, wsgi/asgi, demo data)
      → reports, mailroom → tickets → lifecycle → policies → portal core

A module may import its own app and the apps below it, never one above it nor a sibling on
its own level (reports and mailroom both sit on tickets and know nothing of each other), and
nothing but the shell imports the shell. Within that, each app's web layer (views, API, admin,
forms, urls, template tags, management commands) sits on top of the domain: no model, service,
selector, notice or task module imports a web module, its own app's or another's.

What counts as an import: `import x` / `from x import y` anywhere in a module, relative ones
resolved; `importlib.import_module("x")` and `apps.get_model("x", ...)` with a literal name; and
a model field's literal "app.Model" target. And one reach that needs no import: an ORM lookup
path (`filter(membership__organization__contracts__vendor=...)`, `"contracts__end"`) through a
reverse relation that a higher app's model declares (`Contract.organization`'s "contracts"):
the lower app then reads the higher app's tables by name. Plain attribute access
(`organization.contracts`) is not checked: field names too often coincide with relation names.
Migrations are left out: a data migration may read another app's historical models. Tests are
not walked either."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lower number, lower layer. Equal numbers are siblings: neither may import the other.
LAYERS = {
    "portal": 0,
    "policies": 1,
    "lifecycle": 2,
    "tickets": 3,
    "reports": 4,
    "mailroom": 4,
    "config": 5,
}
# Modules of an app's web layer (a path part of the module's dotted name).
WEB = frozenset(
    {
        "views",
        "api",
        "api_urls",
        "urls",
        "admin",
        "forms",
        "filters",
        "downloads",
        "templatetags",
        "management",
    }
)
RELATION_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})


@dataclass(frozen=True)
class Arrow:
    source: str  # dotted module name
    line: int
    target: str  # dotted module name, or "app.Model" for a model reference

    @property
    def source_app(self) -> str:
        return self.source.split(".")[0]

    @property
    def target_app(self) -> str:
        return self.target.split(".")[0]

    def __str__(self) -> str:
        return f"{self.source}:{self.line} -> {self.target}"


def project_modules() -> dict[str, Path]:
    modules = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _targets(module: str, path: Path, node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = _absolute(module, path, node)
        # `from tickets import services` names the module tickets.services.
        return [f"{base}.{alias.name}" for alias in node.names] if base in LAYERS else [base]
    if isinstance(node, ast.Call) and node.args:
        first = _literal(node.args[0])
        if first is None:
            return []
        called = _called(node)
        if called in ("import_module", "__import__"):
            return [first]
        if called == "get_model":
            return [
                first if "." in first else f"{first}.{_literal(node.args[1]) if len(node.args) > 1 else ''}"
            ]
        if called in RELATION_FIELDS and "." in first:
            return [first]
    return []


def project_arrows() -> list[Arrow]:
    arrows = []
    for module, path in project_modules().items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            for target in _targets(module, path, node):
                if target.split(".")[0] in LAYERS:
                    arrows.append(Arrow(module, getattr(node, "lineno", 0), target))
    return arrows


def _relation_names(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Reverse relation names (related_name, related_query_name, else the model's lower-case
    name) each app's models declare on the models they point to, name → declaring apps."""
    names: dict[str, set[str]] = {}
    for module, path in modules.items():
        if module.split(".")[1:2] != ["models"]:
            continue
        for model in (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)):
            for node in ast.walk(model):
                if not (isinstance(node, ast.Call) and _called(node) in RELATION_FIELDS):
                    continue
                given = {
                    _literal(k.value)
                    for k in node.keywords
                    if k.arg in ("related_name", "related_query_name")
                }
                for name in (given - {None}) or {model.name.lower()}:
                    if not name.endswith("+"):
                        names.setdefault(name, set()).add(module.split(".")[0])
    return names


def _lookup_parts(node: ast.AST) -> list[str]:
    if isinstance(node, ast.keyword) and node.arg and "__" in node.arg:
        return node.arg.split("__")
    value = _literal(node)
    if value and "__" in value and not any(c in value for c in " /.:"):
        return value.lstrip("-").split("__")
    return []


def lookup_reaches() -> list[str]:
    """ORM lookups of a module through a relation only a higher app declares."""
    modules = project_modules()
    declared = _relation_names(modules)
    found = []
    for module, path in modules.items():
        app = module.split(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            for part in _lookup_parts(node):
                owners = declared.get(part, set())
                # A name some model at or below this layer also declares is read as that one.
                if owners and all(LAYERS[owner] > LAYERS[app] for owner in owners):
                    found.append(f"{module}:{node.lineno} -> {'/'.join(sorted(owners))} relation {part!r}")
    return found


def is_web(module: str) -> bool:
    return any(part in WEB for part in module.split(".")[1:])


def layer_violations(arrows: list[Arrow]) -> list[str]:
    """An import of an app above the module's own, or of a sibling on its level."""
    return [
        str(arrow)
        for arrow in arrows
        if arrow.source_app != arrow.target_app and LAYERS[arrow.target_app] >= LAYERS[arrow.source_app]
    ]


def web_violations(arrows: list[Arrow]) -> list[str]:
    """A domain module importing a web-layer module (its own app's or a lower one's)."""
    return [
        str(arrow)
        for arrow in arrows
        if arrow.source_app != "config" and not is_web(arrow.source) and is_web(arrow.target)
    ]


def test_the_walk_sees_every_kind_of_import():
    """The checker itself: each kind of import it promises to see is seen."""
    source = (
        "from tickets.models import Ticket\n"
        "from . import views\n"
        "def f():\n"
        "    import reports.stats\n"
        "    from tickets import services\n"
        "    importlib.import_module('tickets.notices')\n"
        "    apps.get_model('tickets', 'Ticket')\n"
        "owner = models.ForeignKey('tickets.Ticket', on_delete=models.CASCADE)\n"
    )
    module, path = "lifecycle.example", ROOT / "lifecycle" / "example.py"
    found = [t for node in ast.walk(ast.parse(source)) for t in _targets(module, path, node)]
    assert sorted(found) == sorted(
        [
            "tickets.models",
            "lifecycle.views",
            "reports.stats",
            "tickets.services",
            "tickets.notices",
            "tickets.Ticket",
            "tickets.Ticket",
        ]
    )
    arrows = [Arrow(module, 1, target) for target in found]
    assert len(layer_violations(arrows)) == 6  # all but its own views
    assert web_violations(arrows) == ["lifecycle.example:1 -> lifecycle.views"]


def test_the_lookup_walk_sees_keyword_and_string_paths():
    tree = ast.parse(
        "User.objects.filter(membership__organization__contracts__end__gte=day)"
        ".values('contracts__vendor').order_by('-contracts__start')\n"
        "organization.contracts.all()\n"
        "render('tickets/case.html', {'url': 'tickets:detail'})\n"
    )
    parts = [part for node in ast.walk(tree) for part in _lookup_parts(node)]
    assert parts.count("contracts") == 3 and "tickets" not in parts
    assert _relation_names(project_modules())["contracts"] == {"lifecycle"}


def test_no_module_imports_a_layer_above_its_own():
    violations = layer_violations(project_arrows())
    assert violations == [], (
        "Arrows against config → reports → tickets → lifecycle → policies → portal:\n"
        + ("\n".join(violations))
    )


def test_no_orm_lookup_reaches_a_layer_above_through_its_relations():
    reaches = lookup_reaches()
    assert reaches == [], "Lookups through relations a higher app declares:\n" + "\n".join(reaches)


def test_domain_modules_do_not_import_web_modules():
    violations = web_violations(project_arrows())
    assert violations == [], "Domain modules importing views, API, admin or forms:\n" + "\n".join(violations)


def test_the_shell_is_apart_from_the_core_models():
    """config holds no models: organizations, members and the outbox are the portal core's."""
    assert not (ROOT / "config" / "models.py").exists()
    assert not (ROOT / "config" / "migrations").exists()


@pytest.mark.parametrize("app", list(LAYERS))
def test_every_layer_is_walked(app):
    """A renamed or missing app would make the walk vacuous."""
    assert any(module.split(".")[0] == app for module in project_modules())
