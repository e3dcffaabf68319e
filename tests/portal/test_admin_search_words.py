"""An admin list's search reads the first MAX_WORDS words of what was typed, as the portal's and
the API's search do (tickets.selectors.search_words): Django's own search ANDs one OR of every
search field per word, and a search of 900 words made PostgreSQL plan and run one statement of
900 such groups for over a minute on the billing lists (tests/portal/test_admin_hostile.py)."""

from __future__ import annotations

import pytest

from tickets.models import CannedReply
from tickets.selectors import MAX_WORDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, agent, settings, verified_login):
    settings.STAFF_TWO_FACTOR = True
    verified_login(client, agent)
    return client


def test_an_admin_search_reads_its_first_words_only(desk):
    CannedReply.objects.create(title="Logs received", body="Thanks for the logs.")
    typed = " ".join(["logs"] * MAX_WORDS + ["nowhere"])
    response = desk.get("/admin/tickets/cannedreply/", {"q": typed})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1  # "nowhere", the ninth word, is not read


def test_within_the_words_every_word_still_narrows(desk):
    CannedReply.objects.create(title="Logs received", body="Thanks for the logs.")
    response = desk.get("/admin/tickets/cannedreply/", {"q": "logs nowhere"})
    assert response.context["cl"].result_count == 0
