"""`make run` keeps each process up on its own: scripts/supervise restarts the one process that
exited, and honcho's stop (SIGTERM) still stops it for good."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = ROOT / "scripts" / "supervise"


def wait_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_process_that_exits_is_started_again(tmp_path):
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [str(SUPERVISE), "sh", "-c", f"echo run >> {runs}; exit 3"],
        env={"PATH": "/usr/bin:/bin", "SUPERVISE_DELAY": "0.1"},
    )
    try:
        assert wait_until(lambda: runs.exists() and len(runs.read_text().split()) >= 3)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_honcho_stopping_it_stops_the_child_too(tmp_path):
    pid_file = tmp_path / "pid"
    process = subprocess.Popen(
        [str(SUPERVISE), "sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"],
        env={"PATH": "/usr/bin:/bin", "SUPERVISE_DELAY": "0.1"},
    )
    assert wait_until(lambda: pid_file.exists() and pid_file.read_text().strip())
    child = int(pid_file.read_text())
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert wait_until(lambda: not Path(f"/proc/{child}").exists() or "Z" in _state(child))


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return "Z"


def test_every_procfile_process_runs_supervised():
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip():
            name, command = line.split(":", 1)
            assert command.split()[0] == "scripts/supervise", name
