"""portal.idempotency on its own: one creation per (user, operation, key), whatever is created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from portal import idempotency
from portal.idempotency import (
    FORM_FIELD,
    KEY_LIFETIME,
    KeyReused,
    Submission,
    fingerprint,
    form_token,
    idempotency_keys_forget,
    new_token,
    submit_once,
)
from portal.models import IdempotencyKey

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


class Creator:
    """Counts its runs; each run "creates" thing <n>."""

    def __init__(self, *, fails: bool = False):
        self.runs, self.fails = 0, fails

    def __call__(self) -> Submission:
        self.runs += 1
        if self.fails:
            raise ValidationError({"body": "Write something."})
        return Submission(f"thing-{self.runs}", 201, {"id": self.runs, "zeta": 1, "alpha": 2})


def once(user, creator, *, key="k-1", scope="things.make", print_="same", now=NOW) -> Submission:
    return submit_once(
        user=user, scope=scope, key=key, fingerprint=lambda: fingerprint(print_), create=creator, now=now
    )


def test_a_repeat_answers_with_the_first_result_and_creates_nothing(customer):
    creator = Creator()
    first = once(customer, creator)
    second = once(customer, creator, now=NOW + timedelta(hours=1))
    assert creator.runs == 1
    assert (first.reference, first.replayed) == ("thing-1", False)
    assert (second.reference, second.status, second.replayed) == ("thing-1", 201, True)
    assert list(second.body) == ["id", "zeta", "alpha"]  # stored as sent, keys in their order


def test_a_twin_that_claimed_first_is_answered_when_the_insert_fails(customer, monkeypatch):
    """The race, without threads: the twin's claim commits between our look-up and our INSERT,
    so the unique constraint refuses ours, nothing is created, and the twin's result answers."""
    creator = Creator()
    once(customer, creator)
    looked_up = []

    def missed_the_first_time(claimed, now):
        looked_up.append(now)
        return None if len(looked_up) == 1 else real(claimed, now)

    real = idempotency._claimed
    monkeypatch.setattr(idempotency, "_claimed", missed_the_first_time)
    second = once(customer, creator)
    assert (second.reference, second.replayed, creator.runs, len(looked_up)) == ("thing-1", True, 1, 2)
    assert IdempotencyKey.objects.count() == 1


def test_the_same_key_with_another_request_is_refused(customer):
    creator = Creator()
    once(customer, creator)
    with pytest.raises(KeyReused) as refused:
        once(customer, creator, print_="different")
    assert refused.value.previous.reference == "thing-1" and creator.runs == 1


def test_keys_are_per_user_and_per_operation(customer, colleague):
    creator = Creator()
    once(customer, creator)
    once(colleague, creator)
    once(customer, creator, scope="things.other")
    assert creator.runs == 3


def test_a_failed_creation_keeps_the_key_usable(customer):
    with pytest.raises(ValidationError):
        once(customer, Creator(fails=True))
    assert not IdempotencyKey.objects.exists()
    assert once(customer, Creator()).replayed is False


def test_without_a_key_every_call_creates(customer):
    creator = Creator()
    once(customer, creator, key=None)
    once(customer, creator, key="")
    assert creator.runs == 2 and not IdempotencyKey.objects.exists()


def test_a_malformed_key_is_refused(customer):
    with pytest.raises(ValidationError):
        once(customer, Creator(), key="k" * 256)


def test_a_key_lives_24_hours(customer):
    creator = Creator()
    once(customer, creator)
    assert once(customer, creator, now=NOW + KEY_LIFETIME - timedelta(seconds=1)).replayed
    # Past its lifetime the key is free again, even before the daily purge ran.
    assert once(customer, creator, now=NOW + KEY_LIFETIME).reference == "thing-2"
    assert IdempotencyKey.objects.get().created_at == NOW + KEY_LIFETIME


def test_the_purge_forgets_only_expired_keys(customer):
    once(customer, Creator(), key="old", now=NOW - KEY_LIFETIME)
    once(customer, Creator(), key="young", now=NOW - KEY_LIFETIME + timedelta(seconds=1))
    assert idempotency_keys_forget(now=NOW) == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]


def test_fingerprints_are_stable_and_tell_requests_apart():
    assert fingerprint("a", {"x": 1, "y": [2]}) == fingerprint("a", {"y": [2], "x": 1})
    assert fingerprint("a", {"x": 1}) != fingerprint("a", {"x": 2})


def test_new_tokens_are_long_and_different():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and min(map(len, tokens)) >= 32


# ---------------------------------------------------------------------------- form_token


def posted(user, token: str):
    request = RequestFactory().post("/", {FORM_FIELD: token})
    request.user = user
    return request


def test_a_page_gets_one_new_token_for_all_its_forms(customer):
    request = RequestFactory().get("/")
    request.user = customer
    assert form_token(request) == form_token(request)
    other = RequestFactory().get("/")
    other.user = customer
    assert form_token(other) != form_token(request)


def test_a_form_sent_back_keeps_its_unused_token(customer):
    assert form_token(posted(customer, "t" * 32)) == "t" * 32


def test_a_used_or_malformed_token_is_replaced(customer):
    once(customer, Creator(), key="u" * 32)
    assert form_token(posted(customer, "u" * 32)) != "u" * 32
    assert form_token(posted(customer, "bad token\n")) != "bad token\n"
