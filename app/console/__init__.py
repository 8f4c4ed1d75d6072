"""The staff console: server-rendered pages under /console."""

from __future__ import annotations

from fastapi import FastAPI


def install_console(app: FastAPI) -> None:
    """Mount the console's routes and static files (filled in by the console issue)."""
