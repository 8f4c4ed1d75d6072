"""What ``sanctrack demo`` leaves on the terminal: the admin key shown once and also kept in a file only its owner
can read (the key must outlive the scrollback), and the embedded worker's routine log sent to a file the output
names, so that the terminal keeps what a newcomer needs: where to go and how to sign in.
"""

from __future__ import annotations

import os
from pathlib import Path

ADMIN_KEY_FILE = "sanctrack-admin-key.txt"
WORKER_LOG_FILE = "sanctrack-worker.log"


def save_admin_key(key: str, folder: Path) -> Path:
    """Write the key to ``folder/sanctrack-admin-key.txt`` with mode 0600 (an older file is replaced, and its mode
    tightened: O_CREAT keeps the mode of a file that exists)."""
    path = folder / ADMIN_KEY_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return path


def closing_lines(base_url: str, key: str, key_file: Path, worker_log: Path | None) -> list[str]:
    """The demo's last lines before the server starts: the sign-in key last, so that it is what stays in view."""
    lines = [f"\nConsole: {base_url}/console   API docs: {base_url}/docs"]
    if worker_log is not None:
        lines.append(f"The background worker logs to {_shown(worker_log)} (tail -f it to watch)")
    lines.append(f"The admin key is also in {_shown(key_file)} (readable only by you)")
    lines.append(f"Sign in with this admin key (shown once): {key}")
    return lines


def _shown(path: Path) -> str:
    """A path as a newcomer would type it from where the demo runs."""
    try:
        return "./" + str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
