from django.apps import AppConfig


class MailroomConfig(AppConfig):
    name = "mailroom"
    verbose_name = "Mailroom"

    def ready(self) -> None:
        from tickets.signals import case_originals

        from .selectors import case_originals as originals

        case_originals.connect(originals, dispatch_uid="mailroom.case_originals")
