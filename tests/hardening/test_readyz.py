"""/readyz says which lists are stale: only for sources that have refreshed before (a fresh install is ready)."""

from __future__ import annotations

from app.config import get_settings
from app.db import session_scope
from tests.hardening import factories

MAX_AGE_DAYS = get_settings().stale_list_age_seconds / 86400


def test_fresh_install_without_lists_is_ready(live_client) -> None:  # type: ignore[no-untyped-def]
    response = live_client.get("/readyz")
    assert response.status_code == 200, response.text
    lists = response.json()["checks"]["lists"]
    assert lists["ok"] is True and lists["sources"] == [] and "stale" not in lists


def test_a_list_not_refreshed_for_too_long_makes_the_service_unready(live_client) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        factories.snapshot(session, "ofac_sdn", "current", applied_days_ago=MAX_AGE_DAYS + 1)
        factories.snapshot(session, "un_sc", "current", applied_days_ago=0.1)
        # A recent but rejected publication is not a successful refresh.
        factories.snapshot(session, "ofac_sdn", "rejected", fetched_days_ago=0.1)
    response = live_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["database"]["ok"] is True
    lists = body["checks"]["lists"]
    assert lists["ok"] is False and set(lists["stale"]) == {"ofac_sdn"}
    assert lists["stale"]["ofac_sdn"]["age_seconds"] > get_settings().stale_list_age_seconds
    assert lists["sources"] == ["ofac_sdn", "un_sc"]


def test_a_recent_succeeded_run_counts_as_a_refresh(live_client) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        factories.snapshot(session, "uk", "current", applied_days_ago=MAX_AGE_DAYS + 3)
        # An unchanged publication (304 Not Modified) makes no snapshot, but the refresh did succeed.
        factories.run(session, "uk", "succeeded", finished_days_ago=0.01)
        factories.run(session, "eu_fsf", "failed", finished_days_ago=0.01)
    response = live_client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["lists"]["sources"] == ["uk"]


def test_only_failed_refreshes_do_not_count_as_ingested(live_client) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        factories.run(session, "eu_fsf", "failed", finished_days_ago=30)
    assert live_client.get("/readyz").status_code == 200
