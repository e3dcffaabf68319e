"""The mailroom's operations: transports and admin call these."""

from .ingest import TransientError, message_ingest
from .quarantine import message_add_sender_and_open, message_add_to_case, message_discard, message_open_for

__all__ = [
    "TransientError",
    "message_add_sender_and_open",
    "message_add_to_case",
    "message_discard",
    "message_ingest",
    "message_open_for",
]
