"""A real IMAP server for the tests: Debian's Dovecot (dovecot-imapd, which .ci/run installs),
started on a free port with its own configuration, user and mail folder. `dovecot` is a module-
scoped fixture: import it into a test module to use it there."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "desk", "desk-secret"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
"""


# TLS on: IMAPS on its own port and STARTTLS on the plain one, with a certificate for 127.0.0.1 that
# the client trusts only when told to (SSL_CERT_FILE), as a real server's is trusted through its CA.
TLS = """ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem"""


@dataclass(frozen=True)
class Server:
    port: int
    tls_port: int = 0
    cert: Path | None = None
    home: Path | None = None  # the mail user's home: its INBOX is the Maildir home/Maildir/

    @property
    def url(self) -> str:
        return f"imap+plain://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(USER, PASSWORD)
        connection.select("INBOX")
        return connection

    def append(self, *messages: bytes) -> None:
        self.append_to("INBOX", *messages)

    def append_to(self, folder: str, *messages: bytes) -> None:
        connection = self.connect()
        for raw in messages:
            connection.append(folder, None, None, raw)
        connection.logout()

    def empty(self) -> None:
        connection = self.connect()
        _, data = connection.search(None, "ALL")
        if data[0]:
            connection.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            connection.expunge()
        connection.logout()

    def unseen(self) -> int:
        connection = self.connect()
        _, data = connection.uid("SEARCH", None, "UNSEEN")
        connection.logout()
        return len(data[0].split())

    def flag_all(self, change: str) -> None:
        self.flag_all_in("INBOX", change)

    def flag_all_in(self, folder: str, change: str) -> None:
        """What another mail client does: `+FLAGS` or `-FLAGS` \\Seen on every message."""
        connection = self.connect()
        connection.select(folder)
        connection.store("1:*", change, r"(\Seen)")
        connection.logout()

    def recreate(self, folder: str) -> None:
        """Delete and create the folder again: the server gives it a new UIDVALIDITY."""
        connection = self.connect()
        connection.select("INBOX")
        connection.delete(folder)
        connection.create(folder)
        connection.logout()

    def status(self, item: str, folder: str = "INBOX") -> int:
        connection = self.connect()
        _, data = connection.status(folder, f"({item})")
        connection.logout()
        return int(data[0].split(f"{item} ".encode())[1].rstrip(b")"))

    def uidvalidity(self, folder: str = "INBOX") -> int:
        return self.status("UIDVALIDITY", folder)

    def last_uid(self, folder: str = "INBOX") -> int:
        """The UID of the newest message: UIDs grow across the tests, never reused."""
        return self.status("UIDNEXT", folder) - 1

    def folder_url(self, folder: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unavailable() -> str:
    """Why this machine cannot run the test's Dovecot, or ""."""
    if not os.path.exists(DOVECOT):
        return "dovecot-imapd is not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "the test's Dovecot runs its mail user as nobody, which needs root"
    return ""


def _certificate(root: Path) -> Path:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return root / "cert.pem"


@contextmanager
def running_dovecot(*, tls: bool = False) -> Iterator[Server]:
    """Dovecot on a free port with a fresh folder, stopped and removed afterwards (the tests'
    fixture below, and bench/mail.py); with `tls`, IMAPS and STARTTLS too."""
    root = Path(tempfile.mkdtemp(prefix="portal-dovecot-"))
    root.chmod(0o755)  # the mail user (nobody) must reach its home below
    nobody = pwd.getpwnam("nobody")
    home = root / "home"
    home.mkdir()
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{nobody.pw_uid}:{nobody.pw_gid}::{home}\n")
    port, tls_port = _free_port(), (_free_port() if tls else 0)
    cert = _certificate(root) if tls else None
    ssl = TLS.format(root=root) if tls else "ssl = no"
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port, tls_port=tls_port, ssl=ssl))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    raise RuntimeError(f"Dovecot did not start: {log[-2000:]}") from None
                time.sleep(0.1)
        yield Server(port, tls_port, cert, home)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot():
    reason = unavailable()
    if reason and os.environ.get("PORTAL_REQUIRE_SERVICES") == "1" and not os.path.exists(DOVECOT):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    with running_dovecot() as server:
        yield server
