"""Full-text search of cases on PostgreSQL (tickets.selectors.ticket_search): a stored generated
`search` column, the number and subject at weight A and the description at weight B, parsed by
the "simple" configuration (no stemming, no stop words: the words as typed, in any language),
and a GIN index on it. The models do not know the column; PostgreSQL keeps it in step on every
write, bulk ones included. SQLite gets nothing: its search scans the same words as word starts.

PostgreSQL refuses to change the type of a column a generated column reads: a later migration
that alters `number`, `subject` or `body` drops the column first and adds it back after."""

from django.db import migrations

ADD = """
ALTER TABLE tickets_ticket ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(number, '') || ' ' || coalesce(subject, '')), 'A')
    || setweight(to_tsvector('simple', coalesce(body, '')), 'B')
) STORED;
CREATE INDEX ticket_search ON tickets_ticket USING gin (search);
"""
DROP = "DROP INDEX IF EXISTS ticket_search; ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search;"


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_issue20_exclusions_and_chases")]

    operations = [migrations.RunPython(_on_postgresql(ADD), _on_postgresql(DROP), elidable=False)]
