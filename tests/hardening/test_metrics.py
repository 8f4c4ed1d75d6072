"""Prometheus metrics at /metrics: request latency by route template, task and delivery counters, and gauges
read from the database at scrape time (which must not break the scrape when the database is gone)."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.db import session_scope
from app.metrics import observe_task, record_delivery
from tests.hardening import factories


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float | None:  # type: ignore[no-untyped-def]
    return samples.get((name, tuple(sorted(labels.items()))))


def test_request_latency_is_labelled_by_route_template_not_raw_path(client, keys) -> None:  # type: ignore[no-untyped-def]
    before = scrape(client)
    for target_id in (1001, 1002, 1003):
        assert client.get(f"/v1/targets/{target_id}", headers=keys.headers("read")).status_code == 404
    client.get("/no/such/path/8f1e2d")
    after = scrape(client)
    labels = {"method": "GET", "route": "/v1/targets/{target_id}", "status": "404"}
    count = "sanctrack_http_request_duration_seconds_count"
    assert (value(after, count, **labels) or 0) - (value(before, count, **labels) or 0) == 3
    assert value(after, count, method="GET", route="<unmatched>", status="404")
    assert not [key for key in after if "8f1e2d" in str(key) or "1001" in str(key)]


def test_task_and_delivery_counters(client) -> None:  # type: ignore[no-untyped-def]
    before = scrape(client)
    observe_task("refresh_source", 2.5, ok=True)
    observe_task("refresh_source", 0.5, ok=False)
    record_delivery("succeeded")
    record_delivery("failed")
    record_delivery("failed")
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew("sanctrack_task_duration_seconds_count", task="refresh_source") == 2
    assert grew("sanctrack_task_duration_seconds_sum", task="refresh_source") == pytest.approx(3.0)
    assert grew("sanctrack_task_failures_total", task="refresh_source") == 1
    assert grew("sanctrack_webhook_deliveries_total", outcome="succeeded") == 1
    assert grew("sanctrack_webhook_deliveries_total", outcome="failed") == 2


def test_database_gauges_at_scrape_time(live_client) -> None:  # type: ignore[no-untyped-def]
    empty = scrape(live_client)
    assert value(empty, "sanctrack_metrics_database_up") == 1
    assert value(empty, "sanctrack_review_queue_length") == 0
    assert value(empty, "sanctrack_webhook_deliveries_pending") == 0
    assert not [key for key in empty if key[0] == "sanctrack_list_age_seconds"]

    with session_scope() as session:
        current = factories.snapshot(session, "ofac_sdn", "current", applied_days_ago=1.0)
        factories.snapshot(session, "ofac_sdn", "superseded", applied_days_ago=5.0)
        factories.snapshot(session, "un_sc", "current", applied_days_ago=0.5)
        candidate = factories.target(session)
        factories.suggested_link(session, current, candidate)
        factories.suggested_link(session, current, factories.target(session, "Ali Taqi"))
        factories.suggested_link(session, current, factories.target(session, "Abu Fadak"), state="confirmed")
        factories.delivery(session, "pending")
        factories.delivery(session, "succeeded")

    samples = scrape(live_client)
    assert value(samples, "sanctrack_list_age_seconds", source="ofac_sdn") == pytest.approx(86400, abs=120)
    assert value(samples, "sanctrack_list_age_seconds", source="un_sc") == pytest.approx(43200, abs=120)
    assert value(samples, "sanctrack_review_queue_length") == 2
    assert value(samples, "sanctrack_webhook_deliveries_pending") == 1


def test_metrics_answer_when_the_database_is_down(live_client, monkeypatch, unused_tcp_port) -> None:  # type: ignore[no-untyped-def]
    from app.db import make_engine

    unreachable = make_engine(f"postgresql://postgres@127.0.0.1:{unused_tcp_port}/nowhere")
    monkeypatch.setattr("app.db.get_engine", lambda: unreachable)
    samples = scrape(live_client)
    assert value(samples, "sanctrack_metrics_database_up") == 0
    assert value(samples, "sanctrack_review_queue_length") is None
    # The process metrics are still there.
    assert any(name.startswith("sanctrack_http_request_duration_seconds") for name, _ in samples)


def test_metrics_are_open_and_not_in_the_api_schema(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/metrics")
    assert response.status_code == 200 and re.search(r"^# TYPE sanctrack_", response.text, re.M)
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
