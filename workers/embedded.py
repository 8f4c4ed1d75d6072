"""Child processes for the embedded default: the Celery worker and beat run next to the API."""

from __future__ import annotations

import subprocess


def start_children() -> list[subprocess.Popen[bytes]]:
    # Filled in by the pipeline issue; the API alone works without them.
    return []
