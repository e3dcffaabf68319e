"""Django's SMTP backend with a deadline for the one step of SMTP whose failure is ambiguous.

A message is the server's once it has read the end of the message (the final "." line) and
answered 250. A failure before that final line is sent (refused connection, a timeout at the
banner, a 4xx at RCPT) means nothing was delivered: the outbox tries again. A failure after it
and before the reply is read (the reply is late, the connection drops) means the server may or
may not have the message: `DeliveryUncertain`, which the outbox never retries early.

The outbox sets `deadline` (a `time.monotonic()` instant) on the backend before each message:
the end of the notice's lease minus the margin for marking it sent. The final line is sent only
if at least `EMAIL_TIMEOUT` is left before the deadline, and the reply is awaited until the
deadline itself, not just `EMAIL_TIMEOUT`: a server that answers late, but within the lease, is
heard (RFC 5321 §4.5.3.2.6 asks clients to wait long for exactly this reply, to avoid
duplicates), and no attempt can still complete once the lease has run out and the sweep may
hand the notice to another worker.
"""

from __future__ import annotations

import email.policy
import re
import smtplib
import time
from email.parser import BytesParser

from django.core.mail.backends import console
from django.core.mail.backends.smtp import EmailBackend

CRLF = b"\r\n"


class NotSent(smtplib.SMTPException):
    """Given up before the end of the message was sent: nothing was delivered."""


class DeliveryUncertain(smtplib.SMTPException):
    """The end of the message was sent but no reply was read: the server may have it."""


class DeadlineSMTP(smtplib.SMTP):
    deadline: float | None = None
    reply_wait_min: float = 1.0  # seconds that must be left to send the final line

    def data(self, msg):
        if self.deadline is None:
            return super().data(msg)
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        left = self.deadline - time.monotonic()
        if left < self.reply_wait_min:
            self.close()  # the server drops a transaction whose end never came
            raise NotSent(f"only {left:.1f} s of the lease left: the message's end was not sent")
        if isinstance(msg, str):
            msg = msg.encode("ascii")
        body = re.sub(rb"(?m)^\.", b"..", msg)
        if not body.endswith(CRLF):
            body += CRLF
        self.sock.settimeout(left)
        # sendall either writes everything, final line included, or raises before its end:
        # a failure here (SMTPServerDisconnected) is "not sent".
        self.send(body + b"." + CRLF)
        self.sock.settimeout(max(self.deadline - time.monotonic(), 0.001))
        try:
            return self.getreply()
        except smtplib.SMTPServerDisconnected as error:  # a timeout or a dropped connection
            raise DeliveryUncertain(f"no reply to the end of the message: {error}") from error


class DeadlineSMTPSSL(DeadlineSMTP, smtplib.SMTP_SSL):
    pass


class SMTPBackend(EmailBackend):
    """EMAIL_URL=smtp://… uses this backend (config/settings.py)."""

    deadline: float | None = None

    @property
    def connection_class(self):
        return DeadlineSMTPSSL if self.use_ssl else DeadlineSMTP

    def send_raw(self, from_addr: str, to_addrs: list[str], message: bytes) -> None:
        """Send a message already built (portal.outbox stores each notice's bytes) on the open
        connection, under the same deadline; raises as smtplib does."""
        if self.connection is None:
            self.open()
        self.connection.deadline = self.deadline
        self.connection.reply_wait_min = float(self.timeout or 1)
        self.connection.sendmail(from_addr, to_addrs, message)

    def _send(self, email_message):
        self.connection.deadline = self.deadline
        self.connection.reply_wait_min = float(self.timeout or 1)
        return super()._send(email_message)


class ConsoleBackend(console.EmailBackend):
    """Django's console backend (EMAIL_URL's default, `make run`'s), printing each email as its
    recipient reads it: the headers decoded, the text part decoded and each other part named. The
    wire form, base64 for any body that is not plain ASCII, is unreadable on a console."""

    def write_message(self, message):
        parsed = BytesParser(policy=email.policy.default).parsebytes(message.message().as_bytes())
        lines = [f"{name}: {value}" for name, value in parsed.items()]
        for part in parsed.walk():
            if part.is_multipart():
                continue
            kind = part.get_content_type()
            if kind == "text/plain":
                lines += ["", part.get_content().rstrip("\n"), ""]
            else:
                lines.append(f"[{kind} part: {len(part.get_payload(decode=True) or b'')} bytes]")
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")
