from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project shell as an app only so that its commands (loaddemo) are found: it has no
    models. It sits above every app and may import any of them; none imports it."""

    name = "config"
    verbose_name = "Project shell"
