"""An SMTP server in its own process, for the fault tests and bench/faults.py: it can be frozen
(SIGSTOP), killed and started again on the same port, which an in-process server cannot.

    python tests/services/smtp_sink.py PORT RECEIPTS CONTROL

Every message accepted is one line appended to RECEIPTS ("<unix time> <Message-ID>"), written
and flushed *before* the final reply is sent: a receipt is a message the server took responsibility for,
whether or not its "250" reaches the client. CONTROL is a file read at each transaction:

    ok             answer 250 (the default, also when the file is missing)
    slow <seconds> accept (write the receipt), then wait that long before answering 250
    stall <seconds> wait that long at RCPT, then go on (nothing accepted meanwhile)
    refuse         answer 451 at RCPT (a temporary refusal: nothing is accepted)
    reject         answer 550 at RCPT (a permanent refusal)
"""

from __future__ import annotations

import asyncio
import sys
import time
from email import message_from_bytes
from pathlib import Path


class Sink:
    def __init__(self, receipts: Path, control: Path):
        self.receipts, self.control = receipts, control

    def mode(self) -> list[str]:
        try:
            return self.control.read_text().split() or ["ok"]
        except OSError:
            return ["ok"]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        mode = self.mode()
        if mode[0] == "stall":
            await asyncio.sleep(float(mode[1]))
        mode = mode[0]
        if mode == "refuse":
            return "451 4.3.0 Try again later"
        if mode == "reject":
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        message_id = message_from_bytes(envelope.content)["Message-ID"] or "<none>"
        with self.receipts.open("a") as receipts:
            receipts.write(f"{time.time():.3f} {message_id}\n")
        mode = self.mode()
        if mode[0] == "slow":
            await asyncio.sleep(float(mode[1]))
        return "250 Message accepted for delivery"


def main() -> None:
    from aiosmtpd.controller import Controller

    port, receipts, control = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    controller = Controller(Sink(receipts, control), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink listening on {port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
