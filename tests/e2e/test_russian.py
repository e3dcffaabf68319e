"""The portal in Russian (issue 22 point 1), in Chromium at 1280×800 and on a 390×844 phone: a
browser that asks for Russian gets every page in Russian, with no sideways scrolling; the footer's
switch turns a signed-in person's pages (and profile) to English and back. Screenshots go to
artifacts/screenshots/ru-*.png."""

from __future__ import annotations

import pytest

from portal.models import Profile
from tests.e2e.test_phone import acme  # noqa: F401 — the fixture: Alice, a case, products
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PAGES = ["/tickets/", "/tickets/new/", "CASE", "/reports/", "/products/", "/profile/", "/policies/alectrona/"]


def _russian_page(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="ru-RU")
    context.set_default_timeout(10_000)
    return context, context.new_page()


WIDER = """w => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > w + 1)
  .filter(e => { for (let a = e.parentElement; a; a = a.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return false;
    } return true; })
  .slice(-3).map(e => e.tagName + "." + e.className + ": " + (e.textContent || "").trim().slice(0, 60))"""


PAST_COLUMN = """() => { const main = document.querySelector("main");
  const edge = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  return [...main.querySelectorAll("table")]
    .filter(t => t.getBoundingClientRect().right > edge + 1)
    .filter(t => { for (let a = t.parentElement; a && a !== main; a = a.parentElement) {
        if (["auto", "scroll"].includes(getComputedStyle(a).overflowX)) return false;
      } return !["auto", "scroll"].includes(getComputedStyle(t).overflowX); })
    .map(t => t.className + ": " + Math.round(t.getBoundingClientRect().right - edge) + " px past"); }"""


def _fits(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide: {page.evaluate(WIDER, width)}"
    # A table wider than its column scrolls inside it, not across the page's margin.
    assert page.evaluate(PAST_COLUMN) == [], f"{page.url}: {page.evaluate(PAST_COLUMN)}"


OUTSIDE = """svg => { const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll("text")].map(t => [t.textContent, t.getBoundingClientRect()])
    .filter(([, r]) => r.left < box.left - 1 || r.right > box.right + 1 || r.width > box.width / 2)
    .map(([text]) => text); }"""


def _timeline_legible(page) -> None:
    """Each label of the timeline is drawn inside the picture, as one run of text: a localized
    coordinate (x="30,0") spread a label's glyphs over the picture and past its edges."""
    assert page.locator("svg.timeline").evaluate(OUTSIDE) == []
    assert "сейчас" in page.locator("svg.timeline").inner_html()


@pytest.mark.parametrize("size", SIZES)
def test_every_page_reads_in_russian_and_fits(browser, live_server, acme, screenshot, size):  # noqa: F811
    viewport = SIZES[size]
    context, page = _russian_page(browser, live_server, viewport)
    try:
        for path in ["/", "/policies/", "/lifecycle/", "/accounts/login/"]:
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == "ru"
            _fits(page, viewport["width"])
        assert page.get_by_role("heading", name="Войти").is_visible()
        screenshot(page, f"ru-{size}-login")
        page.get_by_label("Имя пользователя").fill("alice")
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Войти").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        for path in PAGES:
            page.goto(f"/tickets/{acme.number}/" if path == "CASE" else path)
            assert page.locator("html").get_attribute("lang") == "ru"
            name = "case" if path == "CASE" else path.strip("/").replace("/", "-")
            screenshot(page, f"ru-{size}-{name}")
            _fits(page, viewport["width"])
            if path == "CASE":
                _timeline_legible(page)
        page.goto("/tickets/")
        assert page.get_by_role("heading", name="Мои обращения").is_visible()
        assert "My cases" not in page.content()
    finally:
        context.close()


def test_the_footer_switch_changes_the_language_and_keeps_it(browser, live_server, acme):  # noqa: F811
    context, page = _russian_page(browser, live_server, SIZES["phone"])
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Имя пользователя").fill("alice")
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Войти").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.goto("/tickets/")
        page.get_by_label("Язык").select_option("en")
        page.get_by_role("button", name="Сменить").click()
        page.wait_for_load_state()
        assert page.url.endswith("/tickets/")
        assert page.get_by_role("heading", name="My cases").is_visible()
        assert Profile.objects.get(user__username="alice").language == "en"
        page.get_by_label("Language").select_option("ru")
        page.get_by_role("button", name="Change").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Мои обращения").is_visible()
        assert Profile.objects.get(user__username="alice").language == "ru"
    finally:
        context.close()


def test_the_scripts_words_are_russian_too(browser, live_server, acme):  # noqa: F811
    """static/js/portal.js speaks through the JavaScript catalog (/jsi18n/): when the deadlines
    cannot be fetched (the request is cut here), it says so in Russian and brings back the button
    that fetches them without JavaScript."""
    from django.urls import reverse

    context, page = _russian_page(browser, live_server, SIZES["desktop"])
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Имя пользователя").fill("alice")
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Войти").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.route(f"**{reverse('tickets:open_panel')}*", lambda route: route.abort())
        page.goto("/tickets/new/")
        page.locator("#id_vendor").select_option("alectrona")
        problem = page.locator("#policy-panel [data-js-problem]")
        problem.wait_for()
        assert (
            problem.inner_text()
            == "Не удалось обновить сроки. Нажмите «Показать сроки», чтобы попробовать ещё раз."
        )
        assert page.get_by_role("button", name="Показать сроки").is_visible()
    finally:
        context.close()
