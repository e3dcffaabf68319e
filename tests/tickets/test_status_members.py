"""Every status, state, kind or phase compared in the apps' code or templates is a choices
member, never a bare string: renaming a value then breaks loudly instead of silently never
matching. Migrations and tests may keep strings."""

from __future__ import annotations

import ast
import re
from enum import Enum
from pathlib import Path

from django.db import models

from lifecycle.dates import Phase
from tickets.admin.listing import Badge

ROOT = Path(__file__).resolve().parents[2]
APPS = ("policies", "lifecycle", "tickets", "reports", "portal")
# A name on the other side of the comparison that says it holds one of these values.
SUBJECT = re.compile(r"status|state|kind|phase", re.IGNORECASE)
# {% if t.status == "waiting" %}, {% elif target.state != 'met' %}
TEMPLATE_COMPARISON = re.compile(
    r"{%\s*(?:el)?if\b[^%]*?\b\w*(?:status|state|kind|phase)\w*\s*(?:==|!=)\s*[\"']", re.IGNORECASE
)


def _subclasses(cls: type) -> list[type]:
    return [sub for child in cls.__subclasses__() for sub in (child, *_subclasses(child))]


def _choice_values() -> set[str]:
    enums: list[type[Enum]] = [*_subclasses(models.TextChoices), Phase, Badge]
    return {str(member.value) for enum in enums for member in enum}  # type: ignore[attr-defined]


def _names(node: ast.AST) -> str:
    return " ".join(
        n.attr if isinstance(n, ast.Attribute) else n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute | ast.Name)
    )


def _strings(node: ast.AST) -> list[str]:
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]


def _bare_comparisons(path: Path, values: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        literals = {s for side in sides for s in _strings(side)} & values
        subject = " ".join(_names(side) for side in sides)
        if literals and SUBJECT.search(subject):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} compares with {sorted(literals)}")
    return found


def test_python_compares_statuses_with_members():
    values = _choice_values()
    assert {"waiting", "breached", "due_soon", "recomputed", "mainstream"} <= values  # the net is cast
    sources = (p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)
    assert [hit for path in sources for hit in _bare_comparisons(path, values)] == []


def test_templates_compare_statuses_through_the_view_or_the_model():
    hits = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in (ROOT / "templates").rglob("*.html")
        for text in [path.read_text()]
        for match in TEMPLATE_COMPARISON.finditer(text)
    ]
    assert hits == []
