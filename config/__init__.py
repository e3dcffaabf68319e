"""The project shell: settings, URLs, the Celery app, WSGI/ASGI entry points, the home page and
the demo loader. It sits above every app and imports any of them; no app imports it."""

from __future__ import annotations

# Loaded with Django so that @shared_task binds to this app (celery -A config finds it here).
from .celery import app as celery_app

__all__ = ["celery_app"]
