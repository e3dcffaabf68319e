"""`{% submit_token %}`: the one-time token of a form that creates something (portal.idempotency)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from portal.idempotency import FORM_FIELD, form_token

register = template.Library()


@register.simple_tag(takes_context=True)
def submit_token(context) -> str:
    return format_html(
        '<input type="hidden" name="{}" value="{}">', FORM_FIELD, form_token(context["request"])
    )
