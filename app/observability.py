"""Logs, metrics and rate limits (filled in by the hardening issue)."""

from __future__ import annotations

from fastapi import FastAPI


def install_observability(app: FastAPI) -> None:
    """Add logging, metrics and rate-limit middleware to the app."""
