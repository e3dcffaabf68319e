"""The one application error type; the API turns it into the same JSON shape as a ValidationError."""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
