from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Warm at boot, not on the first request: resolving the URLconf imports every view, serializer
# and admin (6-7 s on a fresh worker). With gunicorn's --preload this runs once, before forking.
get_resolver().url_patterns  # noqa: B018 - evaluated for its imports
