"""Follow-up work the domain asks for without knowing who does it: the worker layer provides it.

Services and the pipeline record what has to happen in the database first (a screening request, a delivery, a
queued run), so nothing is lost when no one is listening; these calls only ask for it to happen *now* rather than at
the periodic task's next tick. ``workers.celery_app`` provides the Celery implementation and installs it when an
entry point starts (the API, a worker; the CLI through ``workers.background``, which imports Celery when first
asked); until then the calls do nothing, which is always safe except for a queued refresh run, which nothing else
would pick up (so asking for one without a provider is an error).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

log = logging.getLogger("sanctrack.background")


class BackgroundWork(Protocol):
    def screen_soon(self, target_ids: Sequence[int]) -> None:
        """The candidates' screening requests are committed: screen them now rather than at the next drain."""

    def send_deliveries_soon(self) -> None:
        """Deliveries are due: send them now rather than at the sender's next tick."""

    def refresh_soon(self, run_id: str) -> None:
        """A refresh run is committed as queued: execute it."""


class NoBackgroundWork:
    """No worker layer in this process: the periodic tasks come by; a refresh run cannot be handed on."""

    def screen_soon(self, target_ids: Sequence[int]) -> None:
        log.debug("no background worker here; %d screening request(s) wait for the drain", len(target_ids))

    def send_deliveries_soon(self) -> None:
        log.debug("no background worker here; due deliveries wait for the periodic sender")

    def refresh_soon(self, run_id: str) -> None:
        raise RuntimeError(f"no background worker is installed in this process to execute run {run_id}")


_provider: BackgroundWork = NoBackgroundWork()


def provide(work: BackgroundWork) -> None:
    """Install the process's background work (the worker layer calls this at start-up)."""
    global _provider
    _provider = work


def background() -> BackgroundWork:
    return _provider
