"""The project's URLs plus three that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from config.urls import handler400, urlpatterns  # noqa: F401 (handler400 is read from this module)


def _forbidden(request):
    raise PermissionDenied


def _broken(request):
    raise RuntimeError("a bug")


urlpatterns = [*urlpatterns, path("forbidden/", _forbidden), path("broken/", _broken)]
