"""Beat's timetable: a refresh per source at its own interval; the delivery sender and the screening drain every few
seconds (a commit nudges them at once; the tick catches what a lost nudge missed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.config import Settings
from app.lists.records import SOURCES


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = {
        "send-due-deliveries": {
            "task": "sanctrack.send_due_deliveries",
            "schedule": timedelta(seconds=5),
            "options": {"expires": 30},
        },
        "drain-screening-requests": {
            "task": "sanctrack.drain_screening_requests",
            "schedule": timedelta(seconds=5),
            "options": {"expires": 30},
        },
    }
    for source in SOURCES:
        seconds = settings.refresh_interval(source)
        if seconds > 0:
            schedule[f"refresh-{source}"] = {
                "task": "sanctrack.scheduled_refresh",
                "args": [source],
                "schedule": timedelta(seconds=seconds),
                "options": {"expires": max(seconds - 1, 1)},
            }
    return schedule
