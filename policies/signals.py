"""Events of the policies app that apps above it act on. `policies` knows nothing of who
listens: contracts, and so who must hear about a policy change, belong to lifecycle, which
connects its receiver in its AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by policies.services.policy_version_publish inside its transaction, once per version
# published, with `version` (the PolicyVersion) and `published_at`. A receiver's rows commit
# (or roll back) with the publication; an exception in a receiver undoes the publication.
policy_version_published = Signal()
