"""Re-render every stored case body and reply with today's `render_markdown`: under the old
renderer a pasted tag (XML, HTML, a stack trace's `<init>`) was dropped from the HTML while the
text kept it; now it shows as text (issue 15 point 7). The Markdown source is untouched."""

from __future__ import annotations

from django.db import migrations

from portal.markdown import render_markdown

BATCH = 500


def _rerender(model) -> None:
    rows = model.objects.only("pk", "body", "body_html").order_by("pk").iterator(chunk_size=BATCH)
    changed = []
    for row in rows:
        html = render_markdown(row.body)
        if html != row.body_html:
            row.body_html = html
            changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, ["body_html"])
            changed = []
    if changed:
        model.objects.bulk_update(changed, ["body_html"])


def forwards(apps, schema_editor):
    _rerender(apps.get_model("tickets", "Ticket"))
    _rerender(apps.get_model("tickets", "Reply"))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_truthful_targets")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
