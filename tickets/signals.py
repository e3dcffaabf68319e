"""Questions the tickets app asks of the apps above it, which it may not import. `tickets` knows
nothing of who answers: the mailroom, which knows which emails became a case or a reply, connects
its receiver in its AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by the portal's case page with `ticket`, `replies` (the conversation as `user` sees it) and
# `user`. A receiver returns {reply id, or None for the opening: the URL of the original it came
# from, which `user` may download}; the page links each one. Read-only: a receiver writes nothing.
case_originals = Signal()
