"""Issue 22 point 1: the API's own error messages and the SLA explanations in Russian, with
Russian plural forms (1 час, 2 часа, 5 часов, 21 час, 11 часов)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from policies import clock
from policies.words import due_words, duration_words
from portal.models import ApiToken
from portal.services import api_token_create
from tickets.explain import explain_target, target_explanation
from tickets.models import TargetKind
from tickets.services import ticket_close, ticket_open, ticket_wait_on_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk_language_after():
    """A request in Russian leaves Russian active in this thread (the middleware activates the
    reader's language and nothing resets it): the next test starts in the desk's language."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _api(user) -> APIClient:
    client = APIClient()
    token, key = api_token_create(user=user)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_an_api_error_message_in_russian(customer):
    body = {"vendor": "nobody", "priority": "high", "subject": "Сбой", "body": "Не работает"}
    russian = _api(customer).post(reverse("api:ticket-list"), body, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert russian.status_code == HTTPStatus.BAD_REQUEST
    assert russian.json()["vendor"] == ["Неизвестный поставщик 'nobody'."]
    english = _api(customer).post(reverse("api:ticket-list"), body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["vendor"] == ["Unknown vendor 'nobody'."]


def test_a_missing_case_is_404_in_russian(customer):
    response = _api(customer).get(
        reverse("api:ticket-detail", args=["ALC-999999"]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"] == "Такого обращения нет."


@pytest.mark.parametrize(
    ("hours", "minutes", "words"),
    [
        (1, 1, "1 час 1 минута"),
        (2, 2, "2 часа 2 минуты"),
        (5, 5, "5 часов 5 минут"),
        (21, 21, "21 час 21 минута"),
        (11, 11, "11 часов 11 минут"),
    ],
)
def test_russian_durations_decline_by_number(hours, minutes, words):
    with translation.override("ru"):
        assert duration_words(timedelta(hours=hours, minutes=minutes)) == words


@pytest.mark.parametrize(
    ("left", "words"),
    [
        (timedelta(minutes=1), "через 1 минуту"),
        (timedelta(minutes=21), "через 21 минуту"),
        (timedelta(minutes=2), "через 2 минуты"),
        (timedelta(minutes=11), "через 11 минут"),
        (-timedelta(hours=5), "просрочено на 5 часов"),
        (-timedelta(days=1, hours=2), "просрочено на 1 день 2 часа"),
    ],
)
def test_russian_deadlines_after_a_preposition(left, words):
    with translation.override("ru"):
        assert due_words(left) == words


def _target(duration: timedelta):
    started = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    return SimpleNamespace(
        get_kind_display=lambda: "Первый ответ",
        duration=duration,
        source="Alectrona Support Policy",
        source_code="",
        started_at=started,
        paused=timedelta(0),
        paused_since=None,
        due_at=started + duration,
        pk=None,
        recomputations=[],
    )


@pytest.mark.parametrize(
    ("hours", "words"),
    [(1, "1 час"), (2, "2 часа"), (5, "5 часов"), (21, "21 час"), (11, "11 часов")],
)
def test_a_russian_sla_explanation_with_the_right_plural(hours, words):
    calendar = clock.Calendar.twenty_four_seven()
    with translation.override("ru"):
        text = explain_target(_target(timedelta(hours=hours)), calendar)
    assert text.startswith(
        f"Первый ответ: срок — {words} учитываемого времени по круглосуточному графику 24×7"
    )
    assert "Отсчёт начался Пн 23 Ноя 2026 09:00 UTC." in text
    assert "Срок:" in text


def test_a_russian_reader_reads_a_cases_deadlines_explained_in_russian(customer, vendors):
    organization = customer.membership.organization
    organization.language = "ru"
    organization.save(update_fields=["language"])
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Экспорт не работает",
        body="Ночной экспорт останавливается.",
    )
    target = ticket.sla_targets.get(kind=TargetKind.FIRST_RESPONSE)
    with translation.override("ru"):
        explanation = target_explanation(target)
    assert "учитываемого времени в часы поддержки (с понедельника по пятницу, 09:00–17:30" in explanation
    assert "местное время America/New_York" in explanation


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def test_a_russian_case_page_draws_its_timeline_with_numbers_svg_reads_and_russian_words(
    client, customer, vendors
):
    """The timeline's coordinates were localized like the page's numbers: x="30,0" in Russian, which
    SVG reads as one position per glyph ("opened" drawn as "pened" over "o"); its words and the
    customer's status badge were English on a Russian page."""
    ticket = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Экспорт не работает",
        body="Ночной экспорт останавливается.",
    )
    client.force_login(customer)
    html = client.get(
        reverse("tickets:detail", args=[ticket.number]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    svg = html[
        html.index('<svg class="timeline"') : html.index("</svg>", html.index('<svg class="timeline"'))
    ]
    coordinates = re.findall(r'\b(?:x|x1|x2|cx|y|y1|y2|cy|width|height|r)="([^"]*)"', svg)
    assert coordinates and all(NUMBER.fullmatch(value) for value in coordinates), coordinates
    words = " ".join(re.findall(r">([^<]+)<", svg)) + " " + re.search(r'aria-label="([^"]*)"', svg).group(1)
    assert not re.search(r"\b(opened|now|due|replied|Customer|Opened|Case timeline|running)\b", words), words
    assert "сейчас" in words and "открыто" in words.lower()
    assert '<span class="badge big status-new">Получено</span>' in html


def test_a_text_too_long_is_refused_in_russian_with_a_russian_number(customer):
    from portal.markdown import MAX_LENGTH

    body = {"vendor": "alectrona", "priority": "high", "subject": "Сбой", "body": "x" * (MAX_LENGTH + 1)}
    russian = _api(customer).post(reverse("api:ticket-list"), body, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert russian.status_code == HTTPStatus.BAD_REQUEST
    assert russian.json()["body"] == [
        "Не больше 20\xa0000 символов; длинные журналы и документы приложите файлами."
    ]


def _russian_cases(customer, vendors, count: int) -> list:
    """SecPod Normal cases (12 h on 24x7) the customer opened in Russian, just now."""
    return [
        ticket_open(
            organization=customer.membership.organization,
            requester=customer,
            vendor=vendors["secpod"],
            priority="normal",
            subject=f"Экспорт {index}",
            body="Ночной экспорт останавливается.",
        )
        for index in range(count)
    ]


def test_a_russian_case_page_says_paused_and_withdrawn_in_russian(client, customer, agent, vendors):
    """The case page's line under a paused or withdrawn deadline was an English literal on a Russian
    page ("paused while we wait on you", "withdrawn: the case was closed before the desk answered")."""
    waiting, withdrawn = _russian_cases(customer, vendors, 2)
    ticket_wait_on_customer(ticket=waiting, by=agent)
    ticket_close(ticket=withdrawn, by=customer)
    client.force_login(customer)
    for ticket, words in ((waiting, "приостановлено, пока мы ждём вашего ответа"), (withdrawn, "отменён:")):
        html = client.get(
            reverse("tickets:detail", args=[ticket.number]), HTTP_ACCEPT_LANGUAGE="ru"
        ).content.decode()
        card = html[html.index('id="deadlines"') : html.index("</aside>")]
        assert words in card
        assert not re.search(r"paused while|withdrawn:", card), card


def test_a_russian_case_list_says_each_cases_deadline_in_russian(client, customer, agent, vendors):
    """My cases' deadline column: a waiting, a closed and a running case. "waiting on you",
    "closed", "no deadline running" were English literals on a Russian page."""
    waiting, closed, running = _russian_cases(customer, vendors, 3)
    ticket_wait_on_customer(ticket=waiting, by=agent)
    ticket_close(ticket=closed, by=customer)
    client.force_login(customer)
    html = client.get(reverse("tickets:list"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    column = " ".join(re.findall(r'<td class="due">(.*?)</td>', html, re.S))
    assert "ждём вашего ответа" in column and "закрыто" in column and "через 11 часов" in column, column
    assert not re.search(r"waiting on you|closed|resolved|no deadline|deadline was missed|due in", column)
