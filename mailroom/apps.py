from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailroomConfig(AppConfig):
    name = "mailroom"
    verbose_name = _("Mailroom")

    def ready(self) -> None:
        from tickets.signals import case_originals

        from .selectors import case_originals as originals

        case_originals.connect(originals, dispatch_uid="mailroom.case_originals")
