"""Files are kept on the local file system by default and in an S3-compatible bucket when
STORAGE_S3_BUCKET is set (tests/services/test_storage_live.py serves them across two nodes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = (
    "import json\n"
    "from django.conf import settings\n"
    "from django.core.files.storage import default_storage\n"
    "default_storage._setup()\n"
    "s = default_storage._wrapped\n"
    "print(json.dumps([type(s).__name__, getattr(s, 'bucket_name', None),"
    " getattr(s, 'file_overwrite', None), s.location]))\n"
)


def storage_with(**env: str) -> list:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE_S3_")}
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_files_stay_on_the_local_file_system_by_default():
    name, _, _, location = storage_with()
    assert name == "FileSystemStorage"
    assert location.endswith("media")


def test_a_bucket_moves_them_to_s3_without_overwriting_a_name_twice():
    assert storage_with(STORAGE_S3_BUCKET="desk-files", STORAGE_S3_PREFIX="portal") == [
        "S3Storage",
        "desk-files",
        False,
        "portal",
    ]
