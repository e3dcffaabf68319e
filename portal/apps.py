from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # the system checks, and IntegerField's `__in`
        from . import checks, lookups  # noqa: F401
