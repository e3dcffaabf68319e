"""The Celery application: configured from Django settings (the CELERY_ namespace)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs):
    """kombu's file-system transport (the serverless default) expects its folders to exist."""
    if str(sender.conf.broker_url).startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            folder = sender.conf.broker_transport_options.get(key)
            if folder:
                os.makedirs(folder, exist_ok=True)


@worker_init.connect
def _refuse_a_broken_configuration(**kwargs):
    """The worker runs no Django system checks by itself; the ones that guard delivery must.
    SystemExit, not an exception: Celery logs and swallows exceptions from signal handlers."""
    from portal.checks import notice_lease_outlasts_smtp

    errors = notice_lease_outlasts_smtp()
    if errors:
        raise SystemExit("; ".join(f"{error.id}: {error.msg}" for error in errors))
