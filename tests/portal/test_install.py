"""Installing needs Python 3.12+ (Django 6.1): `scripts/find-python` and `make` say so plainly,
and requirements.txt pins one Django for every interpreter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEEDS_312 = "Python 3.12 or newer is needed"


def _fake_python(directory: Path, name: str, version: tuple[int, int, int]) -> Path:
    """A stand-in for an interpreter of another version: it runs `-c` code (and answers
    `--version`) with `sys.version_info` set to that version, so no Python 3.11 is needed."""
    path = directory / name
    path.write_text(
        "#!{}\n"
        "import sys\n"
        "code = sys.argv[2] if sys.argv[1:2] == ['-c'] else None\n"
        "sys.version_info = {!r}\n"
        "if sys.argv[1:2] in (['--version'], ['-V']):\n"
        "    print('Python %d.%d.%d' % sys.version_info[:3])\n"
        "elif code is not None:\n"
        "    exec(compile(code, '<string>', 'exec'))\n".format(sys.executable, (*version, "final", 0))
    )
    path.chmod(0o755)
    return path


def _only(tmp_path: Path, *pythons: tuple[str, tuple[int, int, int]]) -> dict[str, str]:
    """An environment whose PATH holds only a shell and the given interpreters, and whose HOME
    has no pyenv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sh").symlink_to(shutil.which("sh"))
    for name, version in pythons:
        _fake_python(bin_dir, name, version)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}


def _find_python(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/sh", str(ROOT / "scripts" / "find-python")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_find_python_refuses_python_3_11_and_says_what_is_needed(tmp_path):
    result = _find_python(_only(tmp_path, ("python3.11", (3, 11, 7)), ("python3", (3, 11, 7))))

    assert result.returncode != 0
    assert result.stdout == ""
    assert NEEDS_312 in result.stderr
    assert "Django 6.1" in result.stderr


def test_find_python_picks_python_3_12(tmp_path):
    env = _only(tmp_path, ("python3.11", (3, 11, 7)), ("python3.12", (3, 12, 1)))

    result = _find_python(env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "bin" / "python3.12")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_stops_with_the_message_when_no_python_3_12_is_found(tmp_path):
    env = _only(tmp_path, ("python3.11", (3, 11, 7)))

    result = subprocess.run(
        [shutil.which("make"), "--no-print-directory", "install", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert NEEDS_312 in result.stderr
    assert not (tmp_path / "venv").exists()
    # The message is the only complaint: no shell error about an empty interpreter name.
    assert "not found" not in result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_refuses_a_venv_made_with_python_3_11(tmp_path):
    env = _only(tmp_path, ("python3.12", (3, 12, 1)))
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    _fake_python(venv_bin, "python", (3, 11, 7))

    result = subprocess.run(
        [shutil.which("make"), "--no-print-directory", "install", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert NEEDS_312 in result.stderr
    assert "make clean" in result.stderr
    assert not (tmp_path / "venv" / ".installed-stamp").exists()


def test_requirements_pin_one_django_for_every_interpreter():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    django = [line for line in lines if line.lower().startswith("django==")]

    assert len(django) == 1, django
    assert ";" not in django[0], "no environment marker: the same Django on every interpreter"
    assert not [line for line in lines if "python_version" in line]
