"""The pipeline under faults, with real processes: receivers that go away or misbehave, a worker killed mid-refresh,
Redis restarted mid-run, list sites that fail, rate-limit, truncate or publish too little; and the refresh and
webhook API around them.

Publications are a few hundred real rows of the 2023-12-28 SDN set (see publications.py); "designations" adds the
real entries of Faleh al-Fayyadh and the Khazali brothers to the baseline, as the 2019-2023 change set did.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook as Verifier

from app.alerts.models import Event
from app.lists.models import Change, Snapshot
from tests.pipeline.publications import (
    CANDIDATES,
    FAYYADH,
    LAITH_KHAZALI,
    QAIS_KHAZALI,
    baseline_numbers,
    publish,
    subset,
)
from tests.pipeline.stack import CLAIM_KEY, Stack, received_ids, redis_client, redis_to_myself, wait_until
from tests.support.servers import Reply, WebhookReceiver

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

SDN = "/sdn/sdn.csv"
ADDED = (FAYYADH, QAIS_KHAZALI, LAITH_KHAZALI)


def base_set() -> dict[str, bytes]:
    return subset(baseline_numbers())


def designations_set() -> dict[str, bytes]:
    return subset([*baseline_numbers(), *ADDED])


def start(make_stack, sdn_server, *, beat: bool = True, **env: str) -> Stack:  # type: ignore[no-untyped-def]
    """A stack following the list server's SDN folder, with the baseline publication already current."""
    url = publish(sdn_server, base_set())
    stack = make_stack(SANCTRACK_OFAC_SDN_URL=url, **env)
    stack.start(beat=beat)
    run = stack.wait_run(stack.refresh())
    assert run["status"] == "succeeded" and run["counts"]["status"] == "stored", run
    return stack


def snapshots(stack: Stack) -> list[dict]:
    return list(stack.call("GET", "/v1/lists/ofac_sdn/snapshots", 200).json()["items"])


def change_keys(snapshot_id: int) -> list[tuple[str, str]]:
    from app.db import session_scope

    with session_scope() as session:
        return [
            (c.list_id, c.kind)
            for c in session.scalars(select(Change).where(Change.snapshot_id == snapshot_id))
        ]


def assert_each_once(ids: list[str]) -> None:
    repeated = {i: n for i, n in Counter(ids).items() if n > 1}
    assert not repeated, f"delivered more than once: {repeated}"


# ---- receivers ------------------------------------------------------------------------------------------------


def test_receiver_down_for_a_while_gets_every_event_once_when_back(
    make_stack, sdn_server, webhook_receiver
) -> None:
    stack = start(make_stack, sdn_server)
    targets = [stack.create_target(CANDIDATES[number]) for number in ADDED]
    hook = stack.create_webhook(webhook_receiver.url, [])  # every event type
    webhook_receiver.down()
    publish(sdn_server, designations_set())
    run = stack.wait_run(stack.refresh())
    assert run["status"] == "succeeded" and run["counts"]["added"] == 3

    designated = stack.events(type="target.designated")
    assert sorted(e["target_id"] for e in designated) == sorted(t["id"] for t in targets)
    owed = {e["id"] for e in stack.events()}
    # Every delivery is tried while the receiver is down, and fails.
    wait_until(
        lambda: (lambda ds: len(ds) == len(owed) and all(d["attempts"] >= 1 for d in ds))(
            stack.deliveries(hook["id"])
        ),
        20,
        "a first, failed attempt at every delivery",
        interval=0.5,
    )
    assert all(
        d["status"] == "pending" and "could not connect" in d["last_error"]
        for d in stack.deliveries(hook["id"])
    )
    time.sleep(1)  # down a little longer; the next attempt is due about 5 s after the first
    webhook_receiver.up()

    wait_until(lambda: set(received_ids(webhook_receiver)) >= owed, 30, "every event at the receiver")
    time.sleep(6)  # another tick of the sender: nothing may come twice
    ids = received_ids(webhook_receiver)
    assert_each_once(ids)
    assert set(ids) == owed
    webhook_receiver.verify(hook["secret"])
    assert all(d["status"] == "succeeded" and d["attempts"] >= 2 for d in stack.deliveries(hook["id"]))


# ---- workers and Redis ----------------------------------------------------------------------------------------


def test_worker_killed_mid_refresh_the_run_completes_once_on_another(
    make_stack, sdn_server, webhook_receiver
) -> None:
    stack = start(make_stack, sdn_server, beat=False)
    target = stack.create_target(CANDIDATES[FAYYADH])
    hook = stack.create_webhook(webhook_receiver.url, ["target.designated"])
    members = designations_set()
    publish(sdn_server, members)
    # The download stalls half-way, once: the kill lands while the worker holds the run and the lock.
    sdn_server.slow(SDN, 60, after_bytes=len(members["sdn.csv"]) // 2, times=1)
    before = len(sdn_server.requests_to(SDN))
    run_id = stack.refresh()
    wait_until(
        lambda: len(sdn_server.requests_to(SDN)) > before and stack.run(run_id)["status"] == "running",
        20,
        "the refresh to be downloading",
    )
    time.sleep(0.5)
    stack.workers[0].kill()
    assert stack.run(run_id)["status"] == "running"

    stack.start_worker(beat=False)
    # The task comes back after the visibility timeout; the dead worker's lock expires by itself.
    run = stack.wait_run(run_id, timeout=150)
    assert run["status"] == "succeeded" and run["attempts"] == 2 and run["counts"]["added"] == 3, run
    all_snapshots = snapshots(stack)
    assert len(all_snapshots) == 2 and all_snapshots[0]["id"] == run["snapshot_id"]
    changes = change_keys(run["snapshot_id"])
    assert sorted(changes) == sorted((number, "added") for number in ADDED)
    events = stack.events(type="target.designated")
    assert [e["target_id"] for e in events] == [target["id"]]
    webhook_receiver.wait_for(1, timeout=30)
    time.sleep(3)
    assert received_ids(webhook_receiver) == [events[0]["id"]]
    assert stack.deliveries(hook["id"])[0]["status"] == "succeeded"


def restart_redis(claims: dict[int, str]) -> None:
    """Stop the machine's Redis without saving and start it again, as an operator or a crash would."""
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True, timeout=10)
    wait_until(lambda: not _redis_answers(), 10, "Redis to stop")
    start_redis()
    # Everything was lost, our claim with it: take it back before another test run sees an empty database.
    for number, token in claims.items():
        redis_client(number).set(CLAIM_KEY, token, ex=6 * 3600)


def start_redis() -> None:
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/var/lib/redis",
            "--logfile",
            "/var/log/redis/ci.log",
        ],
        check=True,
        capture_output=True,
        timeout=10,
    )
    wait_until(_redis_answers, 10, "Redis to answer again")


def _redis_answers() -> bool:
    # A bare PING over a socket: redis-py's client would retry a refused connection for seconds.
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_restartable() -> Iterator[None]:
    """Redis is the whole machine's: no other stack may be using it, and it runs again afterwards, whatever
    happens in the test."""
    with redis_to_myself():
        try:
            yield
        finally:
            if not _redis_answers():
                start_redis()


def test_redis_restarted_mid_run_the_run_completes_and_workers_carry_on(
    make_stack, sdn_server, webhook_receiver, redis_restartable
) -> None:
    stack = start(make_stack, sdn_server)
    target = stack.create_target(CANDIDATES[FAYYADH])
    hook = stack.create_webhook(webhook_receiver.url, ["target.designated", "webhook.test"])
    members = designations_set()
    publish(sdn_server, members)
    sdn_server.slow(SDN, 3, after_bytes=len(members["sdn.csv"]) // 2, times=1)
    before = len(sdn_server.requests_to(SDN))
    run_id = stack.refresh()
    wait_until(lambda: len(sdn_server.requests_to(SDN)) > before, 20, "the refresh to be downloading")
    claim = redis_client(stack.redis_db).get(CLAIM_KEY)
    restart_redis({stack.redis_db: claim.decode() if claim else "restarted"})

    run = stack.wait_run(run_id, timeout=60)
    assert run["status"] == "succeeded" and run["counts"]["added"] == 3, run
    events = stack.events(type="target.designated")
    assert [e["target_id"] for e in events] == [target["id"]]
    # The worker and its beat reconnect: the alert goes out, and new work is taken up.
    webhook_receiver.wait_for(1, timeout=45)
    test = stack.call("POST", f"/v1/webhooks/{hook['id']}/test", 202).json()
    webhook_receiver.wait_for(2, timeout=45)
    assert_each_once(received_ids(webhook_receiver))
    assert received_ids(webhook_receiver) == [events[0]["id"], test["event_id"]]
    assert len(snapshots(stack)) == 2


# ---- list sites -----------------------------------------------------------------------------------------------


def test_list_server_error_then_ok_is_retried_by_the_task(make_stack, sdn_server) -> None:
    # No retry inside the download: the task itself must come back for it.
    stack = start(make_stack, sdn_server, beat=False, SANCTRACK_FETCH_RETRIES="0")
    publish(sdn_server, designations_set())
    sdn_server.fail(SDN, 500, times=1)
    run_id = stack.refresh()
    wait_until(lambda: "will retry" in (stack.run(run_id)["error"] or ""), 20, "the run to wait for a retry")
    assert stack.run(run_id)["status"] == "queued"
    run = stack.wait_run(run_id, timeout=60)
    assert run["status"] == "succeeded" and run["attempts"] == 2 and run["counts"]["added"] == 3, run
    assert len(snapshots(stack)) == 2


def test_rate_limit_retry_after_is_honoured(make_stack, sdn_server) -> None:
    stack = start(make_stack, sdn_server, beat=False, SANCTRACK_FETCH_RETRIES="0")
    publish(sdn_server, designations_set())
    # Longer than the task's own first backoff (5 s), so only the server's Retry-After explains the wait.
    sdn_server.fail(SDN, 429, times=1, retry_after=7)
    before = len(sdn_server.requests_to(SDN))
    run = stack.wait_run(stack.refresh(), timeout=60)
    assert run["status"] == "succeeded" and run["attempts"] == 2, run
    asked = sdn_server.requests_to(SDN)[before:]
    assert len(asked) == 2
    assert asked[1].at - asked[0].at >= 7.0


def test_truncated_file_is_rejected_nothing_applied_and_operators_told(
    make_stack, sdn_server, webhook_receiver
) -> None:
    stack = start(make_stack, sdn_server, beat=False)
    ops = stack.create_webhook(webhook_receiver.url, ["list.snapshot_rejected"])
    members = designations_set()
    publish(sdn_server, members)
    # A transfer cut short is noticed (Content-Length) and downloaded again.
    sdn_server.truncate(SDN, len(members["sdn.csv"]) // 3, mode="lying", times=1)
    run = stack.wait_run(stack.refresh())
    assert run["status"] == "succeeded" and run["counts"]["added"] == 3, run

    # A file that looks complete to HTTP but stops mid-row is rejected by the parser.
    one_less = subset(baseline_numbers()[:-1])
    publish(sdn_server, one_less)
    sdn_server.truncate(SDN, len(one_less["sdn.csv"]) * 2 // 3, mode="short", times=None)
    current_before = next(s for s in snapshots(stack) if s["status"] == "current")
    run = stack.wait_run(stack.refresh())
    assert run["status"] == "rejected" and "truncated" in run["error"], run
    rejected = next(s for s in snapshots(stack) if s["id"] == run["snapshot_id"])
    assert rejected["status"] == "rejected" and rejected["added"] == rejected["removed"] == 0
    assert next(s for s in snapshots(stack) if s["status"] == "current")["id"] == current_before["id"]
    assert change_keys(rejected["id"]) == []
    [event] = stack.events(type="list.snapshot_rejected")
    assert event["snapshot_id"] == rejected["id"] and event["data"]["held"] is False
    webhook_receiver.wait_for(1, timeout=30)
    payload = webhook_receiver.verify(ops["secret"])[0]
    assert payload["type"] == "list.snapshot_rejected" and payload["data"]["snapshot_id"] == rejected["id"]


def test_publication_removing_half_the_list_is_held_nothing_applied_and_operators_told(
    make_stack, sdn_server, webhook_receiver
) -> None:
    stack = start(make_stack, sdn_server, beat=False)
    ops = stack.create_webhook(webhook_receiver.url, ["list.snapshot_rejected"])
    base = baseline_numbers()
    publish(sdn_server, subset(base[: len(base) // 2]))
    current_before = next(s for s in snapshots(stack) if s["status"] == "current")
    run = stack.wait_run(stack.refresh())
    assert run["status"] == "rejected" and "would remove" in run["error"], run
    held = next(s for s in snapshots(stack) if s["id"] == run["snapshot_id"])
    assert held["status"] == "held"
    assert next(s for s in snapshots(stack) if s["status"] == "current")["id"] == current_before["id"]
    assert stack.call("GET", "/v1/entries", 200, params={"source": "ofac_sdn", "limit": 1}).json()[
        "total"
    ] == len(base)
    [event] = stack.events(type="list.snapshot_rejected")
    assert event["data"]["held"] is True and event["data"]["removed"] == len(base) - len(base) // 2
    webhook_receiver.wait_for(1, timeout=30)
    assert webhook_receiver.verify(ops["secret"])[0]["data"]["snapshot_id"] == held["id"]


# ---- the refresh API and repeated tasks -------------------------------------------------------------------------


def test_refresh_api_202_then_409_while_it_runs_and_runs_newest_first(make_stack, sdn_server) -> None:
    stack = start(make_stack, sdn_server, beat=False)
    publish(sdn_server, designations_set())
    sdn_server.slow(SDN, 3, times=1)
    response = stack.call("POST", "/v1/lists/ofac_sdn/refresh", 202)
    first = response.json()
    assert first["id"].startswith("run_") and first["status"] == "queued" and first["trigger"] == "api"
    busy = stack.call("POST", "/v1/lists/ofac_sdn/refresh", 409)
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["run_id"] == first["id"]
    assert stack.wait_run(first["id"])["status"] == "succeeded"

    second = stack.refresh()  # the same bytes again: nothing to apply
    assert stack.wait_run(second)["counts"]["status"] == "unchanged"
    runs = stack.call("GET", "/v1/runs", 200, params={"source": "ofac_sdn"}).json()
    assert [r["id"] for r in runs[:2]] == [second, first["id"]] and len(runs) == 3
    assert [r["status"] for r in runs] == ["succeeded"] * 3
    created = [r["created_at"] for r in runs]
    assert created == sorted(created, reverse=True)
    assert stack.call("GET", f"/v1/runs/{first['id']}", 200).json()["snapshot_id"] == runs[1]["snapshot_id"]


def test_a_refresh_task_delivered_again_does_no_second_ingest_and_no_second_event(
    make_stack, sdn_server, webhook_receiver
) -> None:
    stack = start(make_stack, sdn_server, beat=False)
    stack.create_target(CANDIDATES[FAYYADH])
    hook = stack.create_webhook(webhook_receiver.url, [])
    publish(sdn_server, designations_set())
    sdn_server.slow(SDN, 2, times=1)
    run_id = stack.refresh()
    wait_until(lambda: stack.run(run_id)["status"] == "running", 20, "the refresh to start")
    stack.send_task("sanctrack.refresh", [run_id])  # while it runs: the lock keeps it out
    run = stack.wait_run(run_id)
    assert run["status"] == "succeeded"
    stack.send_task("sanctrack.refresh", [run_id])  # after: the run is finished
    worker = stack.workers[0]
    # Three executions of the task end "succeeded"; the one that met the lock retried first.
    wait_until(
        lambda: worker.output().count(f"'id': '{run_id}'") >= 3, 40, "the repeated deliveries to finish"
    )
    assert "Retry in" in worker.output()
    assert stack.run(run_id)["attempts"] == 1
    assert len(snapshots(stack)) == 2
    assert sorted(change_keys(run["snapshot_id"])) == sorted((number, "added") for number in ADDED)
    assert len(stack.events(type="target.designated")) == 1
    events = stack.events()
    wait_until(lambda: len(webhook_receiver.received) >= len(events), 20, "the events at the receiver")
    assert_each_once(received_ids(webhook_receiver))
    assert set(received_ids(webhook_receiver)) <= {e["id"] for e in events}
    assert stack.count(Event) == len(events) and stack.count(Snapshot) == 2
    assert all(d["status"] == "succeeded" for d in stack.deliveries(hook["id"]))


# ---- webhooks: answers, secrets and the operator's buttons --------------------------------------------------------


@pytest.fixture(scope="module")
def shared_stack(engine, tmp_path_factory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """One API and worker for the webhook tests, which never touch the lists (nor the matching index)."""
    stack = Stack(tmp_path_factory.mktemp("hooks-stack"), {})
    try:
        stack.start(beat=True)
        yield stack
    finally:
        stack.close()


@pytest.fixture
def hooks_stack(shared_stack: Stack, committed_db, request) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    shared_stack.new_admin_key()  # the previous test's key went with its tables
    yield shared_stack
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(shared_stack.logs())


def send_test(stack: Stack, hook: dict) -> dict:
    return dict(stack.call("POST", f"/v1/webhooks/{hook['id']}/test", 202).json())


def delivery(stack: Stack, hook: dict, delivery_id: int) -> dict:
    return next(d for d in stack.deliveries(hook["id"]) if d["id"] == delivery_id)


def test_redirect_from_the_receiver_is_a_failure_and_not_followed(hooks_stack, webhook_receiver) -> None:
    with WebhookReceiver() as elsewhere:
        webhook_receiver.redirect_to(elsewhere.url, status=307)
        hook = hooks_stack.create_webhook(webhook_receiver.url, [])
        sent = send_test(hooks_stack, hook)
        webhook_receiver.wait_for(1, timeout=20)
        got = wait_until(
            lambda: (lambda d: d if d["attempts"] >= 1 else None)(delivery(hooks_stack, hook, sent["id"])),
            10,
            "the attempt to be recorded",
        )
        assert got["status"] == "pending" and got["last_status_code"] == 307
        assert "not followed" in got["last_error"] and got["next_attempt_at"] is not None
        assert got["attempt_log"][0]["ok"] is False
        time.sleep(1)
        assert elsewhere.received == []


def test_410_disables_the_webhook_and_records_webhook_disabled(hooks_stack, webhook_receiver) -> None:
    with WebhookReceiver() as ops_receiver:
        ops = hooks_stack.create_webhook(ops_receiver.url, ["webhook.disabled"])
        webhook_receiver.respond_with(410)
        hook = hooks_stack.create_webhook(webhook_receiver.url, [])
        send_test(hooks_stack, hook)
        webhook_receiver.wait_for(1, timeout=20)
        state = wait_until(
            lambda: (lambda w: w if w["status"] == "disabled" else None)(
                hooks_stack.call("GET", f"/v1/webhooks/{hook['id']}", 200).json()
            ),
            10,
            "the webhook to be disabled",
        )
        assert "410" in state["disabled_reason"]
        [event] = hooks_stack.events(type="webhook.disabled")
        assert event["data"]["webhook_id"] == hook["id"]
        ops_receiver.wait_for(1, timeout=20)
        payload = ops_receiver.verify(ops["secret"])[0]
        assert payload["type"] == "webhook.disabled" and payload["data"]["webhook_id"] == hook["id"]
        # Disabled: nothing more is sent to it (a test event is the one exception an operator may force).
        assert len(webhook_receiver.received) == 1


def test_receiver_retry_after_is_honoured(hooks_stack, webhook_receiver) -> None:
    webhook_receiver.respond_sequence([Reply(503, headers={"Retry-After": "8"})])
    hook = hooks_stack.create_webhook(webhook_receiver.url, [])
    sent = send_test(hooks_stack, hook)
    first, second = webhook_receiver.wait_for(2, timeout=30)[:2]
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == sent["event_id"]
    assert second.received_at - first.received_at >= 8.0 - 0.1
    got = wait_until(
        lambda: (lambda d: d if d["status"] != "pending" else None)(delivery(hooks_stack, hook, sent["id"])),
        10,
        "the second attempt to be recorded",
    )
    assert got["status"] == "succeeded" and [a["status_code"] for a in got["attempt_log"]] == [503, 204]


def test_rotated_secret_old_and_new_signatures_both_verify(hooks_stack, webhook_receiver) -> None:
    hook = hooks_stack.create_webhook(webhook_receiver.url, [])
    rotated = hooks_stack.call("POST", f"/v1/webhooks/{hook['id']}/rotate-secret", 200).json()
    assert rotated["secret"] != hook["secret"]
    send_test(hooks_stack, hook)
    [request] = webhook_receiver.wait_for(1, timeout=20)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], rotated["secret"]):
        assert Verifier(secret).verify(request.body, request.headers)["type"] == "webhook.test"


def test_test_endpoint_reaches_the_receiver_signed(hooks_stack, webhook_receiver) -> None:
    hook = hooks_stack.create_webhook(webhook_receiver.url, ["target.designated"])
    sent = send_test(hooks_stack, hook)
    [request] = webhook_receiver.wait_for(1, timeout=20)
    payload = webhook_receiver.verify(hook["secret"])[0]
    assert payload["type"] == "webhook.test" and request.headers["webhook-id"] == sent["event_id"]
    assert payload["data"]["webhook_id"] == hook["id"]
    assert wait_until(
        lambda: delivery(hooks_stack, hook, sent["id"])["status"] == "succeeded",
        10,
        "the delivery to be recorded",
    )


def test_retry_endpoint_sends_a_delivery_again(hooks_stack, webhook_receiver) -> None:
    hook = hooks_stack.create_webhook(webhook_receiver.url, [])
    sent = send_test(hooks_stack, hook)
    webhook_receiver.wait_for(1, timeout=20)
    wait_until(
        lambda: delivery(hooks_stack, hook, sent["id"])["status"] == "succeeded", 10, "the first delivery"
    )
    again = hooks_stack.call("POST", f"/v1/deliveries/{sent['id']}/retry", 202).json()
    assert again["status"] == "pending"
    first, second = webhook_receiver.wait_for(2, timeout=20)[:2]
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == sent["event_id"]
    Verifier(hook["secret"]).verify(second.body, second.headers)
    got = wait_until(
        lambda: (lambda d: d if d["attempts"] == 2 else None)(delivery(hooks_stack, hook, sent["id"])),
        10,
        "the second attempt to be recorded",
    )
    assert got["status"] == "succeeded"
    assert json.loads(second.body)["data"]["event_id"] == sent["event_id"]
