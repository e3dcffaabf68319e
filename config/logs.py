"""Structured logs (issue 23 point 5): JSON lines in production, each with the request id, user
id, case number and task id of the work it belongs to, carried from a web request into the Celery
tasks it queues.

- `RequestContext` (middleware) takes the request id from the proxy's `X-Request-ID` (when it
  looks like one) or draws one, answers with it, and binds it with the user and the case number
  of the URL (`/tickets/ALC-000123/…`, `/api/tickets/ALC-000123/…`).
- Publishing a task copies the context into the message's headers (`before_task_publish`); the
  worker binds them with the task's own id while it runs (`task_prerun`, `task_postrun`).
- `ContextFilter` puts the fields on every log record, and python-json-logger writes them.
"""

from __future__ import annotations

import logging
import re
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun

from portal import logcontext

HEADER = "portal_log_context"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")  # a proxy's id; anything else is replaced


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        fields = logcontext.current()
        for name in logcontext.FIELDS:
            if not hasattr(record, name):
                setattr(record, name, fields.get(name))
        return True


class RequestContext:
    """After AuthenticationMiddleware: binds the request id and the user, then the case number
    once the URL is resolved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        # Cleared here, not on the way out: Django logs a 4xx or 5xx after the middleware returned.
        logcontext.clear()
        user = getattr(request, "user", None)
        logcontext.bind(request_id=request_id, user_id=user.pk if user and user.is_authenticated else None)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        logcontext.bind(case=view_kwargs.get("number"))
        # A token-authenticated API request knows its user only now (DRF authenticates in the view).
        return None


@before_task_publish.connect
def _carry_context(headers=None, **kwargs):
    fields = logcontext.current()
    fields.pop("task_id", None)
    if headers is not None and fields:
        headers[HEADER] = fields


@task_prerun.connect
def _bind_task(task_id=None, task=None, **kwargs):
    logcontext.clear()
    carried = getattr(task.request, HEADER, None) or {}
    logcontext.bind(
        **{name: carried.get(name) for name in ("request_id", "user_id", "case")}, task_id=task_id
    )


@task_postrun.connect
def _unbind_task(**kwargs):
    logcontext.clear()
