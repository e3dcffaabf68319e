"""The mailroom's operations: transports and admin call these."""

from .ingest import message_ingest

__all__ = ["message_ingest"]
