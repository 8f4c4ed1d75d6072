"""Background work for a CLI process: the Celery app is imported on the first request for work, not at start-up.

Most commands (``sanctrack match``, ``targets list``, ``lists status``) ask the workers for nothing, and importing
Celery and its broker transport costs a quarter of a second of a command's start. A command that does ask
(``targets add`` asks for a screening) imports it then and sends the task as the API would.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from app.background import BackgroundWork, provide


class CeleryOnFirstRequest:
    """``app.background``'s interface, handing each call to the Celery implementation loaded on the first call."""

    def __init__(self) -> None:
        self._work: BackgroundWork | None = None
        self._lock = threading.Lock()

    def _celery(self) -> BackgroundWork:
        with self._lock:
            if self._work is None:
                # Deferred for its cost (see the module's docstring), not to break an import cycle.
                from workers.celery_app import CeleryBackgroundWork, app

                self._work = CeleryBackgroundWork(app)
            return self._work

    def screen_soon(self, target_ids: Sequence[int]) -> None:
        self._celery().screen_soon(target_ids)

    def send_deliveries_soon(self) -> None:
        self._celery().send_deliveries_soon()

    def refresh_soon(self, run_id: str) -> None:
        self._celery().refresh_soon(run_id)


def install_on_first_request() -> None:
    """Make this process's follow-up work go to the Celery workers, importing Celery only when some is asked for."""
    provide(CeleryOnFirstRequest())
