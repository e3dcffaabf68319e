"""`make run` prints the emails on the console (EMAIL_URL's default, consolemail://): a newcomer reads
each as its recipient would, its text decoded, not as the base64 the wire carries for any body that
is not plain ASCII (a "·" in the footer is enough)."""

from __future__ import annotations

from io import StringIO

from django.core import mail

from portal.mail import ConsoleBackend


def test_the_console_prints_the_text_decoded_with_its_headers():
    message = mail.EmailMultiAlternatives(
        subject="Дело ALC-000008: ответ поддержки",
        body="Здравствуйте! Срок первого ответа: 3 декабря, 18:00 · Support Desk",
        from_email="Support Desk <support@portal.test>",
        to=["casey@demo.portal.test"],
        headers={"Message-ID": "<n1@portal.test>"},
    )
    message.attach_alternative("<p>Здравствуйте!</p>", "text/html")
    stream = StringIO()
    assert ConsoleBackend(stream=stream).send_messages([message]) == 1
    printed = stream.getvalue()
    assert "Subject: Дело ALC-000008: ответ поддержки" in printed
    assert "To: casey@demo.portal.test" in printed and "Message-ID: <n1@portal.test>" in printed
    assert "Здравствуйте! Срок первого ответа: 3 декабря, 18:00 · Support Desk" in printed
    assert "text/html" in printed and "<p>Здравствуйте!</p>" not in printed  # named, not dumped
