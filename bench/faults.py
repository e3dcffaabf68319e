"""The fault scenarios under load: the whole desk on private servers (bench/_faults.py), one fault
at a time while customers open cases over HTTP.

Run from the repo root: `DATABASE_URL=postgres://… .venv/bin/python bench/faults.py [--cases 20]`.
DATABASE_URL names a migrated database with the policy catalog (`manage.py migrate` and
`loadpolicies`); it is only read (copied into a private PostgreSQL cluster). Needs PostgreSQL's
server programs (/usr/lib/postgresql/*/bin), redis-server, gunicorn and aiosmtpd.

Prints, per scenario: cases opened (201) and saved, emails expected (notice rows), delivered
(distinct Message-IDs at the SMTP sink), doubled and lost, 503 and other 5xx answers, the slowest
answer, and the time from the fault's end to the last email. No floor: it exits non-zero when a
case answered 201 is missing or an email is lost or doubled.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._faults import Desk, pg_available, scenarios  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20, help="cases opened during each fault")
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    options = parser.parse_args()
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith("postgres") or not pg_available():
        sys.exit("bench/faults.py needs DATABASE_URL=postgres://… and PostgreSQL's server programs")
    desk = Desk(Path(tempfile.mkdtemp(prefix="bench-faults-")), source_url=source)
    failed = False
    print(f"{'scenario':42} opened saved expected delivered doubled lost  503 5xx slowest recovery")
    try:
        desk.start()
        for name, plan in scenarios(desk).items():
            if options.only not in name:
                continue
            r = desk.run(name, cases=options.cases, **plan)
            recovery = "-" if r.recovery_s is None else f"{r.recovery_s:.1f} s"
            print(
                f"{name:42} {r.opened:6} {r.saved:5} {r.expected:8} {r.delivered:9} {r.doubled:7} {r.lost:4}"
                f" {r.status_503:4} {r.status_5xx:3} {r.slowest_answer_s:5.1f} s {recovery:>8}",
                *r.notes,
                flush=True,
            )
            failed |= r.saved < r.opened or r.lost > 0 or r.doubled > 0
    finally:
        desk.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
