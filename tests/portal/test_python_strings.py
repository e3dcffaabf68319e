"""Python strings a user reads go through gettext (issue 22 point 1). test_translations.py holds the
catalogs complete, but makemessages only sees strings wrapped in `_()`: a bare literal never reaches
a catalog and stays English on a Russian page. Two checks close that gap.

The source scan (`ast`, the apps' Python without migrations, tests, bench and scripts) fails on a
string constant with a letter in it, plain or f-string, that is

- the value of `label=`, `help_text=`, `verbose_name=`, `verbose_name_plural=`, `description=`
  (model and form fields, `@admin.display`, `extend_schema`, `OpenApiParameter`), `empty_label=`
  or `title=`;
- the label (second element) of a 2-tuple inside a `choices=` argument or an assignment to a name
  with "choices" in it (`[("", "All vendors")]`), or of a member of a `TextChoices` class;
- returned by a function decorated with `@admin.display` (an admin column's text);
- the text of an `aria-label`, `title`, `alt` or `placeholder` attribute in HTML written in Python.

The form check imports every module of the apps and looks at each Form and ModelForm class
defined there: a field declared on the form needs a label that is a lazy translation, since a
label of None renders as the field's name, capitalized, in English. Hidden fields have no label
and are left alone.

The model check fails a concrete or many-to-many field of the apps' models (not simple-history's
Historical* copies, not auto-created or reverse ones) whose verbose_name is a plain str: Django
derives it from the field's name ("license price"), and the admin and every ModelForm show it as
the label, English on a Russian page.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

from django import forms
from django.utils import translation
from django.utils.functional import Promise

ROOT = Path(__file__).resolve().parents[2]
APPS = ["portal", "policies", "lifecycle", "tickets", "reports", "mailroom", "config"]
NOT_SOURCES = {"migrations", "tests", "bench", "scripts", "locale", "__pycache__"}

USER_FACING_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "description",
    "empty_label",
    "title",
}
HTML_TEXT_ATTRIBUTE = re.compile(r"""\b(?:aria-label|title|alt|placeholder)=["'][^"'{]*[^\W\d_]""")
LETTER = re.compile(r"[^\W\d_]")

# Literals that look like UI text but are not words to translate, each with its reason: (file, text).
ALLOWED = {
    # Demo data: the text of a work record the demo desk wrote, stored as the record's content.
    ("config/demo.py", "Replaced the watchdog board, cluster back"),
    # Names of mail transports, the same in every language.
    ("mailroom/models.py", "Maildir"),
    ("mailroom/models.py", "IMAP"),
}


def _sources() -> list[Path]:
    paths = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if not NOT_SOURCES & set(path.relative_to(ROOT).parts):
                paths.append(path)
    return paths


def _literal_text(node: ast.AST) -> str | None:
    """The words of a str constant or an f-string (its constant parts); None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values if isinstance(part, ast.Constant))
    return None


def _worded(node: ast.AST) -> str | None:
    text = _literal_text(node)
    return text if text and LETTER.search(text) else None


def _choice_labels(node: ast.AST):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Tuple) and len(sub.elts) == 2 and (text := _worded(sub.elts[1])):
            yield sub.elts[1], text


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _is_admin_display(function: ast.FunctionDef) -> bool:
    return any(_name(decorator) == "display" for decorator in function.decorator_list)


def _offenders_in(path: Path) -> list[tuple[int, str, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.keyword)
            and node.arg in USER_FACING_KEYWORDS
            and (text := _worded(node.value))
        ):
            found.append((node.value.lineno, f"{node.arg}=", text))
        elif isinstance(node, ast.keyword) and node.arg == "choices":
            found += [(label.lineno, "choices", text) for label, text in _choice_labels(node.value)]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any("choices" in _name(target).lower() for target in targets):
                found += [(label.lineno, "choices", text) for label, text in _choice_labels(node.value)]
        elif isinstance(node, ast.ClassDef) and any(_name(base).endswith("Choices") for base in node.bases):
            for member in node.body:
                if isinstance(member, ast.Assign) and isinstance(member.value, ast.Tuple):
                    if len(member.value.elts) == 2 and (text := _worded(member.value.elts[1])):
                        found.append((member.lineno, "choices label", text))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_admin_display(node):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return) and sub.value is not None:
                    returned = (
                        [sub.value.body, sub.value.orelse]
                        if isinstance(sub.value, ast.IfExp)
                        else [sub.value]
                    )
                    found += [(r.lineno, "admin column", text) for r in returned if (text := _worded(r))]
        if (text := _literal_text(node)) is not None and HTML_TEXT_ATTRIBUTE.search(text):
            found.append((node.lineno, "HTML attribute", text))
    relative = path.relative_to(ROOT).as_posix()
    return [(line, where, text) for line, where, text in found if (relative, text) not in ALLOWED]


def test_user_facing_python_literals_go_through_gettext():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {where} {text!r}"
        for path in _sources()
        for line, where, text in _offenders_in(path)
    ]
    assert not offenders, "Wrap in gettext_lazy (`_`) and translate:\n" + "\n".join(sorted(offenders))


def _project_modules() -> list[str]:
    names = []
    for path in _sources():
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in ("config.wsgi", "config.asgi", "config.settings") and parts[-1] != "manage":
            names.append(name)
    return names


def _project_forms() -> list[type[forms.BaseForm]]:
    found = []
    for name in _project_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                found.append(cls)
    return found


def test_the_scan_sees_the_portal_forms():
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in _project_forms()}
    assert {
        "tickets.forms.TicketFilterForm",
        "tickets.forms.TicketOpenForm",
        "portal.views.ProfileForm",
    } <= names


def test_every_declared_form_field_has_a_translated_label():
    offenders = []
    for cls in _project_forms():
        for name, field in cls.declared_fields.items():
            if field.widget.is_hidden or isinstance(field.label, Promise) or field.label == "":
                continue
            offenders.append(f"{cls.__module__}.{cls.__qualname__}.{name}: label={field.label!r}")
    assert not offenders, "Give these fields label=_(...):\n" + "\n".join(sorted(offenders))


def test_the_my_cases_filter_reads_in_russian():
    from tickets.forms import TicketFilterForm

    with translation.override("ru"):
        form = TicketFilterForm(vendors=[], products=[], requesters=[])
        labels = [str(form[name].label) for name in ("vendor", "product")]
        words = set(re.findall(r">([^<]+)<", str(form)))
    assert labels == ["Поставщик", "Продукт"]
    assert {"Все поставщики", "Все продукты", "Любой"} <= words
    assert not {"Vendor", "All vendors", "Product", "All products", "Anyone"} & words


def _project_model_fields():
    from django.apps import apps

    for app in APPS:
        if not apps.is_installed(app):
            continue
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical"):
                continue
            for field in model._meta.get_fields():
                if field.auto_created or not (field.concrete or field.many_to_many) or field.name == "id":
                    continue
                yield model, field


def test_every_model_field_has_a_translated_verbose_name():
    """A model field with no verbose_name gets one derived from its name ("license price"): a plain
    English str that the admin and every ModelForm show as the label, untranslated in Russian."""
    offenders = [
        f"{model._meta.label}.{field.name}: verbose_name={field.verbose_name!r}"
        for model, field in _project_model_fields()
        if isinstance(field.verbose_name, str)
    ]
    assert not offenders, "Give these model fields verbose_name=_(...):\n" + "\n".join(sorted(offenders))
