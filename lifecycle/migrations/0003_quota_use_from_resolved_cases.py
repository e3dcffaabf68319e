"""Quota use becomes ledger rows (issue 15.10): lifecycle used to count the cases themselves, so
the cases already resolved or closed get their rows here, by the rule the old count applied: a
case of the organization about the contract's product, resolved (or closed) on a day of a Basic
contract's term (UTC), uses one ticket of that contract year. Reading tickets' historical model
is what a migration may do; lifecycle's code never imports tickets."""

from datetime import UTC, date

from django.db import migrations

USE = "use"
DONE = ("resolved", "closed")


def _add_years(day: date, years: int) -> date:
    # lifecycle.dates.add_years, frozen here: a migration must not change with the code.
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without it
        return day.replace(year=day.year + years, day=28)


def _contract_year(start: date, day: date) -> int:
    number = max(1, day.year - start.year + 1)
    while number > 1 and _add_years(start, number - 1) > day:
        number -= 1
    return number


def forwards(apps, schema_editor):
    Contract = apps.get_model("lifecycle", "Contract")
    Entry = apps.get_model("lifecycle", "QuotaLedgerEntry")
    Ticket = apps.get_model("tickets", "Ticket")
    rows = []
    for contract in Contract.objects.filter(plan="basic").order_by("pk"):
        cases = Ticket.objects.filter(
            organization_id=contract.organization_id,
            product_id=contract.product_id,
            status__in=DONE,
            resolved_at__isnull=False,
        ).values_list("number", "resolved_at")
        recorded = set(
            Entry.objects.filter(contract=contract, kind=USE).values_list("ticket_number", flat=True)
        )
        for number, resolved_at in cases:
            day = resolved_at.astimezone(UTC).date()
            if contract.start <= day <= contract.end and number not in recorded:
                rows.append(
                    Entry(
                        contract=contract,
                        contract_year=_contract_year(contract.start, day),
                        kind=USE,
                        tickets=1,
                        ticket_number=number,
                        recorded_at=resolved_at,
                    )
                )
    Entry.objects.bulk_create(rows, batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("lifecycle", "QuotaLedgerEntry").objects.filter(kind=USE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0002_quota_use_ledger"),
        ("tickets", "0006_truthful_targets"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
