"""Which notices a person gets: chosen on the profile page, except the mandatory ones."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from portal.models import NoticeKind, NoticePreference

pytestmark = pytest.mark.django_db


def post(client, user, wanted, **extra):
    client.force_login(user)
    data = {"email": user.email, "timezone": "", "notices-shown": "1", "notices-wanted": wanted, **extra}
    return client.post(reverse("profile"), data)


def test_unticking_a_kind_mutes_it(client, customer):
    response = post(client, customer, [NoticeKind.TICKET_RECEIVED, NoticeKind.TICKET_RESOLVED])
    assert response.status_code == HTTPStatus.FOUND
    preference = NoticePreference.objects.get(user=customer)
    assert sorted(preference.muted_kinds) == [
        NoticeKind.PRIORITY_CHANGED,
        NoticeKind.STAFF_REPLY,
        NoticeKind.WAITING_ON_YOU,
    ]
    assert preference.wants(NoticeKind.TICKET_RECEIVED) and not preference.wants(NoticeKind.STAFF_REPLY)


def test_mandatory_notices_are_listed_not_offered(client, customer):
    client.force_login(customer)
    page = client.get(reverse("profile")).content.decode()
    assert 'value="policy_change"' not in page
    assert "Support policy change" in page and "Always sent" in page
    assert 'value="sla_warning"' not in page  # staff only
    assert 'value="new_case"' not in page and 'value="priority_changed"' in page


def test_staff_may_mute_sla_warnings(client, agent):
    post(client, agent, [NoticeKind.SLA_ESCALATION])
    assert NoticeKind.SLA_WARNING in NoticePreference.objects.get(user=agent).muted_kinds


def test_a_post_without_the_section_keeps_the_choices(client, customer):
    NoticePreference.objects.create(user=customer, muted_kinds=[NoticeKind.STAFF_REPLY])
    client.force_login(customer)
    client.post(reverse("profile"), {"email": customer.email, "timezone": ""})
    assert NoticePreference.objects.get(user=customer).muted_kinds == [NoticeKind.STAFF_REPLY]


def test_a_new_choice_holds_for_the_same_signed_in_user_at_once(customer):
    """Notices read the preference through the user's accessor (loaded with an API token): a
    change made through the service must not leave the old row cached on that user."""
    from portal.outbox import notice_wanted
    from portal.services import notice_preference_set

    assert notice_wanted(user=customer, kind=NoticeKind.STAFF_REPLY)  # caches "no preference row"
    notice_preference_set(user=customer, wanted=[], offered=[NoticeKind.STAFF_REPLY])
    assert not notice_wanted(user=customer, kind=NoticeKind.STAFF_REPLY)
    notice_preference_set(user=customer, wanted=[NoticeKind.STAFF_REPLY], offered=[NoticeKind.STAFF_REPLY])
    assert notice_wanted(user=customer, kind=NoticeKind.STAFF_REPLY)
