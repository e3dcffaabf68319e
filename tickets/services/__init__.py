"""Operations on tickets. Views, admin, API and tasks call these; they never repeat the rules."""

from .attachments import MAX_FILES, attachment_add, attachment_validate
from .canned import canned_replies_for, canned_reply_check, canned_reply_render
from .organize import follower_add, follower_remove, ticket_merge
from .replies import reply_add
from .tickets import (
    reopen_offered,
    ticket_assign,
    ticket_change_priority,
    ticket_close,
    ticket_open,
    ticket_preview,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_set_open,
    ticket_split,
    ticket_wait_on_customer,
)

__all__ = [
    "MAX_FILES",
    "attachment_add",
    "attachment_validate",
    "canned_replies_for",
    "canned_reply_check",
    "canned_reply_render",
    "follower_add",
    "follower_remove",
    "reopen_offered",
    "reply_add",
    "ticket_assign",
    "ticket_change_priority",
    "ticket_close",
    "ticket_merge",
    "ticket_open",
    "ticket_preview",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_resume",
    "ticket_set_open",
    "ticket_split",
    "ticket_wait_on_customer",
]
