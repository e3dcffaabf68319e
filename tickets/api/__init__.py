"""The tickets REST API: one view per operation, each with its nested Input/Output serializers.
A view validates, calls one service or selector, and serializes; the rules live in
tickets.services. Two operations share a URL (GET and POST /tickets/, GET and PATCH
/tickets/<number>/): the URL's view class is the composition of the two operation views.

Visibility: every read goes through tickets.selectors, which knows who may see what. A case of
another organization answers 404 exactly like a number that does not exist."""

from .cases import TicketCollectionApi, TicketItemApi
from .conversation import (
    AttachmentDownloadApi,
    AttachmentUploadApi,
    NotFoundApi,
    ReplyCollectionApi,
    not_found_under,
)
from .exclusions import DeclineApi, ExclusionCollectionApi
from .organize import FollowerCollectionApi, FollowerItemApi, TicketMergeApi, TicketSplitApi

__all__ = [
    "AttachmentDownloadApi",
    "AttachmentUploadApi",
    "FollowerCollectionApi",
    "FollowerItemApi",
    "DeclineApi",
    "ExclusionCollectionApi",
    "NotFoundApi",
    "ReplyCollectionApi",
    "TicketCollectionApi",
    "TicketItemApi",
    "TicketMergeApi",
    "not_found_under",
    "TicketSplitApi",
]
