"""Full-text search of cases on SQLite (tickets.selectors.ticket_search), the counterpart of the
PostgreSQL `search` column (migrations 0009 and 0014): an FTS5 index `tickets_ticket_search` over the
case's number, subject and description, kept in step with the case table by triggers.

It is an external-content table (content='tickets_ticket'): the index holds the words only and reads
nothing else, so the text is not stored twice. Its tokenizer splits as PostgreSQL's "simple" parser
does for the words a query can hold: on every character that is not a letter or a digit, case folded,
accents kept ('remove_diacritics 0', as 'simple' does not unaccent). So the number enters as two words,
its prefix and its digits ("SEC-000001" -> 'sec', '000001'), as migration 0014 feeds PostgreSQL; the
number and subject columns are what PostgreSQL holds at weight A, which the subject rank reads.

The update trigger fires only when the number, subject or description change, so the frequent writes
of a case's SLA columns do not touch the index. The triggers belong to the table: a later migration
that makes Django remake tickets_ticket on SQLite (an AlterField does: a new table, copy, drop, rename)
drops them, and tests/tickets/test_search.py's edit and trigger tests then go red.

PostgreSQL gets nothing here: its index is the GIN one of migration 0009."""

from django.db import migrations

CREATE = [
    """CREATE VIRTUAL TABLE tickets_ticket_search USING fts5(
        number, subject, body,
        content='tickets_ticket', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0"
    )""",
    """CREATE TRIGGER tickets_ticket_search_insert AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO tickets_ticket_search (rowid, number, subject, body)
        VALUES (new.id, new.number, new.subject, new.body);
    END""",
    """CREATE TRIGGER tickets_ticket_search_delete AFTER DELETE ON tickets_ticket BEGIN
        INSERT INTO tickets_ticket_search (tickets_ticket_search, rowid, number, subject, body)
        VALUES ('delete', old.id, old.number, old.subject, old.body);
    END""",
    """CREATE TRIGGER tickets_ticket_search_update AFTER UPDATE OF number, subject, body ON tickets_ticket
    BEGIN
        INSERT INTO tickets_ticket_search (tickets_ticket_search, rowid, number, subject, body)
        VALUES ('delete', old.id, old.number, old.subject, old.body);
        INSERT INTO tickets_ticket_search (rowid, number, subject, body)
        VALUES (new.id, new.number, new.subject, new.body);
    END""",
    # The cases that exist already.
    "INSERT INTO tickets_ticket_search (tickets_ticket_search) VALUES ('rebuild')",
]

DROP = [
    "DROP TRIGGER IF EXISTS tickets_ticket_search_insert",
    "DROP TRIGGER IF EXISTS tickets_ticket_search_delete",
    "DROP TRIGGER IF EXISTS tickets_ticket_search_update",
    "DROP TABLE IF EXISTS tickets_ticket_search",
]


def _on_sqlite(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0015_case_keys_without_index")]

    operations = [migrations.RunPython(_on_sqlite(CREATE), _on_sqlite(DROP), elidable=False)]
