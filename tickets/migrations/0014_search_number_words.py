"""The case number enters the PostgreSQL `search` column as two words, its prefix and its digits
("SEC-000001" -> 'sec', '000001'): the "simple" parser read "-000001" as a signed number, so a
search for the first digits of a number ("SEC-00000") found nothing on PostgreSQL, though it did on
SQLite. The column is generated, so it is dropped and added back with the new expression."""

from django.db import migrations

OLD = "coalesce(number, '')"
NEW = "translate(coalesce(number, ''), '-', ' ')"

COLUMN = """
DROP INDEX IF EXISTS ticket_search;
ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search;
ALTER TABLE tickets_ticket ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', {number} || ' ' || coalesce(subject, '')), 'A')
    || setweight(to_tsvector('simple', coalesce(body, '')), 'B')
) STORED;
CREATE INDEX ticket_search ON tickets_ticket USING gin (search);
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_vendor_reference_and_handoffs")]

    operations = [
        migrations.RunPython(
            _on_postgresql(COLUMN.format(number=NEW)),
            _on_postgresql(COLUMN.format(number=OLD)),
            elidable=False,
        )
    ]
