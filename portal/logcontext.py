"""What every log line of a piece of work carries (issue 23 point 5): the request's id, the
signed-in user's id, the case it is about and the Celery task's id. Set by the shell (a request's
middleware, a task's start, config.logs) and readable by any app; a context variable each, so
threads and tasks never see another's."""

from __future__ import annotations

from contextvars import ContextVar

FIELDS = ("request_id", "user_id", "case", "task_id")
_context: ContextVar[dict[str, str] | None] = ContextVar("portal_log_context", default=None)


def current() -> dict[str, str]:
    return dict(_context.get() or {})


def bind(**values: object) -> None:
    """Adds these fields (None leaves a field as it is) to the current context."""
    fields = current()
    fields.update({name: str(value) for name, value in values.items() if value is not None})
    _context.set(fields)


def clear() -> None:
    _context.set(None)
