"""The README's configuration table lists every environment variable config/settings.py reads,
each with its default and meaning, and nothing the settings no longer read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection

from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]
# env("NAME"…), env.bool("NAME"…), env.email_url("NAME"…), os.environ["NAME"], os.getenv("NAME")…
READS = re.compile(
    r"""\b(?:env(?:\.\w+)?\(|os\.environ(?:\.get)?[\[(]|os\.getenv\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)
ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|(.*)\|\s*$")


def variables_read_by_settings() -> set[str]:
    return set(READS.findall((ROOT / "config" / "settings.py").read_text()))


def configuration_table() -> dict[str, list[str]]:
    """{variable: [default, meaning]} from the table under the README's "## Configuration"."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            rows[match[1]] = [cell.strip() for cell in match[2].split("|")]
    return rows


def test_the_pattern_finds_what_settings_read():
    # Guards the guard: a few reads of each form settings.py uses.
    some = {"DEBUG", "DATABASE_URL", "EMAIL_URL", "ALLOWED_HOSTS", "MEDIA_ROOT"}
    assert some <= variables_read_by_settings()


def test_every_variable_the_settings_read_is_in_the_readme_table():
    missing = variables_read_by_settings() - set(configuration_table())
    assert not missing, f"add to the README's configuration table: {sorted(missing)}"


def test_the_readme_table_lists_only_variables_the_settings_read():
    assert set(configuration_table()) - variables_read_by_settings() == set()


def test_each_row_says_its_default_and_meaning():
    for variable, cells in configuration_table().items():
        assert len(cells) == 2 and all(cells), f"{variable}: {cells}"


@pytest.mark.django_db
def test_the_readme_counts_the_case_tables_indexes():
    claim = re.search(r"the case table's (\d+) indexes", (ROOT / "README.md").read_text())
    assert claim, "the README says how many indexes the case table has"
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Ticket._meta.db_table)
    # Unique and foreign-key indexes count. PostgreSQL's two extra indexes the README names apart
    # are not counted here: the pattern index on the case number (same column as its unique index)
    # and the GIN index on the full-text `search` column, which only PostgreSQL's tables have.
    indexed = [c for c in constraints.values() if (c["index"] or c["unique"]) and not c["primary_key"]]
    columns = {tuple(c["columns"]) for c in indexed} - {("search",)}
    assert int(claim[1]) == len(columns)
