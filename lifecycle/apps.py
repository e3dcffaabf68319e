from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "lifecycle"

    def ready(self) -> None:
        # Policies announce a publication; contracts, and so the people to tell, live here.
        from policies.signals import policy_version_published

        from .notices import on_policy_version_published

        policy_version_published.connect(on_policy_version_published, dispatch_uid="lifecycle.policy_change")
