"""From an official publication to a signed alert, with every part real: the API under uvicorn, a Celery worker with
beat on Redis, PostgreSQL, a list server publishing the real OFAC SDN CSV sets, and a webhook receiver.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.pipeline.publications import CANDIDATES, FAYYADH, full_set, publish
from tests.pipeline.stack import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]


def test_a_designation_reaches_the_subscriber_once_signed(make_stack, sdn_server, webhook_receiver) -> None:
    url = publish(sdn_server, full_set("2019-01"))
    # Beat refreshes the SDN list every 2 seconds (and nothing else).
    stack = make_stack(SANCTRACK_OFAC_SDN_URL=url, SANCTRACK_REFRESH_INTERVALS=json.dumps({"ofac_sdn": 2}))
    stack.start_api()
    target = stack.create_target(CANDIDATES[FAYYADH], via_api=True)
    assert target["status"] == "candidate" and target["authority_status"] == []
    hook = stack.create_webhook(webhook_receiver.url, ["target.designated"])
    stack.start_worker(beat=True)

    def current() -> dict | None:
        sources = stack.call("GET", "/v1/lists", 200).json()
        return next(s for s in sources if s["source"] == "ofac_sdn")["current_snapshot"]

    baseline = wait_until(current, 90, "beat's first refresh of the 2019-01 publication")
    assert baseline["entries"] == 7379
    assert stack.authority_status(target["id"], "OFAC") is None

    publish(sdn_server, full_set("2023-12-28"))

    def held() -> dict | None:
        items = stack.call("GET", "/v1/lists/ofac_sdn/snapshots", 200).json()["items"]
        return next((s for s in items if s["status"] == "held"), None)

    snapshot = wait_until(held, 90, "beat's refresh to hold the 2023-12-28 publication")
    assert "(13.9%)" in snapshot["reject_reason"] and "more than the 5%" in snapshot["reject_reason"]
    # Held: nothing applied, nobody told that the candidate is designated.
    assert current()["id"] == baseline["id"]
    assert stack.target(target["id"])["status"] == "candidate"
    assert stack.events(type="target.designated") == []
    rejected = stack.events(type="list.snapshot_rejected")
    assert [e["snapshot_id"] for e in rejected] == [snapshot["id"]] and rejected[0]["data"]["held"] is True

    # Accepting applies the publication and screens what it changed within the request: on a busy two-core machine
    # that has taken over the client's usual minute.
    accepted = stack.call("POST", f"/v1/snapshots/{snapshot['id']}/accept", 200, timeout=180).json()
    assert accepted["status"] == "stored" and accepted["added"] > 6000 and accepted["removed"] > 1000

    # Accepting screened what the publication changed: the candidate is designated by OFAC under GLOMAG.
    got = stack.target(target["id"])
    assert got["status"] == "designated"
    ofac = stack.authority_status(target["id"], "OFAC")
    assert ofac is not None and ofac["status"] == "listed" and ofac["programs"] == ["GLOMAG"]
    assert {"source": "ofac_sdn", "list_id": FAYYADH} in ofac["entry_ids"]
    events = stack.events(type="target.designated", target=target["id"])
    assert (
        len(events) == 1 and events[0]["authority"] == "OFAC" and events[0]["snapshot_id"] == snapshot["id"]
    )

    webhook_receiver.wait_for(1, timeout=30)
    # Beat sends due deliveries every 5 seconds, and refreshes keep running: give a duplicate the time to show.
    time.sleep(7)
    received = webhook_receiver.received
    assert len(received) == 1, [r.headers.get("webhook-id") for r in received]
    payload = webhook_receiver.verify(hook["secret"])[0]
    assert received[0].headers["webhook-id"] == events[0]["id"] == payload["data"]["event_id"]
    assert payload["type"] == "target.designated"
    assert payload["data"]["authority"] == "OFAC" and payload["data"]["programs"] == ["GLOMAG"]
    assert [e["list_id"] for e in payload["data"]["entries"]] == [FAYYADH]
    delivery = stack.deliveries(hook["id"])
    assert [(d["event_id"], d["status"], d["attempts"]) for d in delivery] == [
        (events[0]["id"], "succeeded", 1)
    ]
