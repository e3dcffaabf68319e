"""Two complete languages (issue 22 point 1): `makemessages -l ru`, run on a copy of the project,
finds nothing untranslated or fuzzy in any catalog. A template or Python string added without its
Russian translation turns the catalog it belongs to red, one test per catalog, so that each owner
runs theirs: `pytest tests/portal/test_translations.py -k "locale-portal"`.

Every app gets its own catalog (`<app>/locale/`): the copy creates the directory when an app has
none yet, so an app's strings never land in the root catalog (makemessages puts a file's strings in
the nearest enclosing locale directory).

The JavaScript in static/ dirs has its own domain, djangojs (`makemessages -d djangojs -l ru`, served
by Django's JavaScriptCatalog at /jsi18n/): its catalogs are held to the same rule."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["portal", "policies", "lifecycle", "tickets", "reports", "mailroom"]
# Where each part's strings go: the pages' templates and config/ (root), the emails' and the admin's
# templates, and each app's Python.
CATALOGS = ["locale", "templates/emails/locale", "templates/admin/locale"] + [f"{app}/locale" for app in APPS]
NOT_SOURCES = ["tests", "bench", "scripts", "var", "node_modules", "staticfiles"]
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.mo", "*.pyc", "*.sqlite3", *NOT_SOURCES
)

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msgattrib")),
    reason="GNU gettext (xgettext, msgmerge, msgattrib) is needed",
)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """A copy of the project whose catalogs makemessages has just updated from the sources."""
    copy = tmp_path_factory.mktemp("catalogs") / "project"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    for app in APPS:
        (copy / app / "locale").mkdir(exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    ignored = [f"--ignore={name}" for name in NOT_SOURCES]
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-obsolete", *ignored],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-d",
            "djangojs",
            "-l",
            "ru",
            "--no-obsolete",
            *ignored,
        ],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    return copy


def _entries(po: Path, *flags: str) -> list[str]:
    out = subprocess.run(
        ["msgattrib", *flags, "--no-obsolete", "--no-wrap", str(po)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [m for m in re.findall(r'^msgid "(.+)"$', out, flags=re.M)]


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda c: c.replace("/", "-"))
def test_catalog_is_complete(extracted, catalog):
    po = extracted / catalog / "ru" / "LC_MESSAGES" / "django.po"
    if not po.exists():
        pytest.skip(f"{catalog}: no translatable string yet")
    untranslated = _entries(po, "--untranslated")
    fuzzy = _entries(po, "--only-fuzzy")
    assert not untranslated and not fuzzy, (
        f"{catalog}/ru: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy "
        f"(run makemessages -l ru and translate): {(untranslated + fuzzy)[:20]}"
    )


def test_the_javascript_catalogs_are_complete(extracted):
    catalogs = sorted(extracted.glob("**/locale/ru/LC_MESSAGES/djangojs.po"))
    assert catalogs, "no djangojs catalog: static/js has Russian words (locale/ru/LC_MESSAGES/djangojs.po)"
    problems = {
        str(po.relative_to(extracted)): _entries(po, "--untranslated") + _entries(po, "--only-fuzzy")
        for po in catalogs
    }
    assert not any(problems.values()), f"run makemessages -d djangojs -l ru and translate: {problems}"


def test_a_new_string_without_translation_is_found(extracted, tmp_path):
    """The check itself: a template string nobody translated makes the root catalog incomplete, a
    Python one its app's catalog, a script's the root djangojs catalog."""
    copy = tmp_path / "project"
    shutil.copytree(extracted, copy)
    (copy / "templates" / "portal" / "untranslated.html").write_text(
        '{% load i18n %}<p>{% translate "A sentence nobody translated" %}</p>'
    )
    (copy / "portal" / "untranslated.py").write_text(
        'from django.utils.translation import gettext as _\n\nWORDS = _("Python words nobody translated")\n'
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    ignored = [f"--ignore={name}" for name in NOT_SOURCES]
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", *ignored],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    (copy / "static" / "js" / "untranslated.js").write_text(
        'alert(gettext("Script words nobody translated"));\n'
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-d", "djangojs", "-l", "ru", *ignored],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    po = copy / "locale" / "ru" / "LC_MESSAGES" / "djangojs.po"
    assert "Script words nobody translated" in _entries(po, "--untranslated")
    po = copy / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    assert "A sentence nobody translated" in _entries(po, "--untranslated")
    po = copy / "portal" / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    assert "Python words nobody translated" in _entries(po, "--untranslated")
