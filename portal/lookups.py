"""`__in` on an integer column, as Django's own `exact`, `gt`, `lt`… already are: a value past the
column's integers is no row's (django.db.models.lookups.IntegerFieldOverflow), so it is left out of
the list, and a list of nothing but such values matches nothing. Without it SQLite raised
OverflowError ("Python int too large to convert to SQLite INTEGER") for such a list, a 500 wherever
a posted id reached an `__in`: the admin's action selection and its confirmed deletion, a
many-to-many field's choices (ModelMultipleChoiceField), an autocomplete field shown again after an
error. Registered on IntegerField when the portal app is ready (PortalConfig.ready)."""

from __future__ import annotations

from django.db.models import IntegerField
from django.db.models.lookups import In


def _past(value, low: int | None, high: int | None) -> bool:
    return isinstance(value, int) and (low is not None and value < low or high is not None and value > high)


@IntegerField.register_lookup
class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [value for value in self.rhs if not _past(value, low, high)]
        return super().process_rhs(compiler, connection)
