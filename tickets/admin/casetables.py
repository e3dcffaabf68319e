"""The case page's read-only sections (SLA targets, attachments, followers) as plain tables: each
from one query, its columns those of its inline class (fields, display methods, titles), each cell
as the admin's read-only field renders it (helpers.AdminReadonlyField.contents), but without an
inline formset — no management form, no form per row, no media to merge — that the page posted
back only to be validated as unchanged."""

from __future__ import annotations

from django.contrib.admin.templatetags.admin_list import _boolean_icon
from django.contrib.admin.utils import display_for_field, label_for_field, lookup_field, quote
from django.core.exceptions import ObjectDoesNotExist
from django.db.models.fields.related import ForeignObjectRel, OneToOneField
from django.template.defaultfilters import capfirst, linebreaksbr
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html

from ..models import Ticket


def case_table(inline_class, model_admin, request, ticket: Ticket) -> dict:
    """One section: {"id", "title", "columns", "rows", "column"} for case_table.html."""
    inline = inline_class(Ticket, model_admin.admin_site)
    fk = inline.fk_name or "ticket"
    prefix = inline.model._meta.get_field(fk).remote_field.get_accessor_name()
    fields = list(inline.fields)
    objects = list(inline.get_queryset(request).filter(**{fk: ticket}))
    for obj in objects:
        setattr(obj, fk, ticket)  # a display method reading the case asks no query
    links: dict = {}
    return {
        "id": prefix,
        "title": capfirst(inline.verbose_name_plural or inline.model._meta.verbose_name_plural),
        "column": getattr(inline, "desk_column", ""),
        "columns": [(name, capfirst(label_for_field(name, inline.model, inline))) for name in fields],
        "rows": [[(name, _cell(inline, name, obj, links)) for name in fields] for obj in objects],
    }


def _cell(inline, name: str, obj, links: dict) -> str:
    """As AdminReadonlyField.contents renders a read-only field (Django 6.1)."""
    try:
        field, attr, value = lookup_field(name, obj, inline)
    except (AttributeError, ValueError, ObjectDoesNotExist):
        return conditional_escape(inline.get_empty_value_display())
    if field is None:
        if getattr(attr, "boolean", False):
            return conditional_escape(_boolean_icon(value))
        return conditional_escape(value if hasattr(value, "__html__") else linebreaksbr(value))
    if isinstance(field.remote_field, (ForeignObjectRel, OneToOneField)) and value is not None:
        return conditional_escape(linebreaksbr(_admin_link(inline, field.remote_field, value, links)))
    return conditional_escape(linebreaksbr(display_for_field(value, field, inline.get_empty_value_display())))


def _admin_link(inline, remote_field, remote_obj, links: dict) -> str:
    """The related object's admin page, its address reversed once per model and page."""
    opts = remote_field.model._meta
    if opts.label not in links:
        try:
            links[opts.label] = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=["__pk__"],
                current_app=inline.admin_site.name,
            )
        except NoReverseMatch:
            links[opts.label] = None
    if links[opts.label] is None:
        return str(remote_obj)
    return format_html(
        '<a href="{}">{}</a>', links[opts.label].replace("__pk__", str(quote(remote_obj.pk)), 1), remote_obj
    )
