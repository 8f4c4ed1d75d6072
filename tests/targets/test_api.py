"""Candidates and evidence over HTTP, on real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import AuditRecord
from app.targets.models import Evidence, Target

FAYYAD = {
    "kind": "person",
    "name": "Faleh al-Fayyad",
    "aliases": ["Falih al-Fayyadh"],
    "programs": ["GLOMAG"],
    "nationalities": ["IQ"],
    "birth_dates": ["1956-03-27"],
    "tags": ["iraq", "pmf"],
}
BRIEF = {
    "source_type": "ngo_report",
    "title": "U.S.-Iraq Relations at a Crossroads: Policy Options",
    "publisher": "The Washington Institute",
    "author": "Michael Knights",
    "url": "https://www.washingtoninstitute.org/policy-analysis/us-iraq-relations-crossroads-policy-options",
    "published_on": "2020-01-02",
    "allegation": "human_rights_abuse",
    "credibility": "B",
    "excerpt": "The best way to open that campaign is by sanctioning Faleh al-Fayyad, the longtime national "
    "security advisor responsible for abetting a range of attacks on Iraqi protestors and U.S. sites.",
}


def create(client, keys, body=FAYYAD):  # type: ignore[no-untyped-def]
    response = client.post("/v1/targets", json=body, headers=keys.headers("write"))
    assert response.status_code == 201, response.text
    return response


def test_create_candidate_with_two_evidence_records_and_read_back(client, keys) -> None:
    created = create(client, keys).json()
    assert created["programs"] == ["GLOMAG"]
    assert created["aliases"] == [{"name": "Falih al-Fayyadh", "script": None, "lang": None}]
    second = dict(
        BRIEF,
        source_type="news_article",
        title="Iraq's security adviser and the protests",
        allegation="human_rights_abuse",
        content_sha256="A" * 64,
    )
    for body in (BRIEF, second):
        r = client.post(f"/v1/targets/{created['id']}/evidence", json=body, headers=keys.headers("write"))
        assert r.status_code == 201, r.text
    listed = client.get(f"/v1/targets/{created['id']}/evidence", headers=keys.headers("read")).json()
    assert [e["title"] for e in listed] == [BRIEF["title"], second["title"]]
    assert listed[0]["excerpt"].startswith("The best way to open that campaign")
    assert listed[1]["content_sha256"] == "a" * 64
    target = client.get(f"/v1/targets/{created['id']}", headers=keys.headers("read")).json()
    assert target["evidence_count"] == 2
    assert target["birth_dates"] == ["1956-03-27"]


def test_list_filters_and_pagination(client, keys) -> None:
    create(client, keys)
    create(
        client,
        keys,
        {"kind": "organization", "name": "Kataib Hezbollah", "programs": ["SDGT", "FTO"], "tags": ["iraq"]},
    )
    create(client, keys, {"kind": "person", "name": "Ali Taqi", "tags": ["airport"]})
    h = keys.headers("read")
    assert client.get("/v1/targets?program=sdgt", headers=h).json()["total"] == 1
    assert client.get("/v1/targets?tag=iraq", headers=h).json()["total"] == 2
    assert [t["name"] for t in client.get("/v1/targets?q=fayyadh", headers=h).json()["items"]] == [
        "Faleh al-Fayyad"
    ]
    page = client.get("/v1/targets?limit=2&offset=2", headers=h).json()
    assert page["total"] == 3 and [t["name"] for t in page["items"]] == ["Ali Taqi"]
    assert client.get("/v1/targets?status=designated", headers=h).json()["total"] == 0


def test_update_with_etag_and_stale_write_is_refused(client, keys, db) -> None:
    response = create(client, keys)
    target_id, etag = response.json()["id"], response.headers["etag"]
    h = keys.headers("write")
    ok = client.patch(
        f"/v1/targets/{target_id}",
        json={"rationale": "Directed the crackdown."},
        headers={**h, "If-Match": etag},
    )
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = client.patch(
        f"/v1/targets/{target_id}", json={"rationale": "overwrite"}, headers={**h, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert db.get(Target, target_id).rationale == "Directed the crackdown."


def test_delete_hides_candidate_but_keeps_its_evidence_and_audit(client, keys, db) -> None:
    target_id = create(client, keys).json()["id"]
    client.post(f"/v1/targets/{target_id}/evidence", json=BRIEF, headers=keys.headers("write"))
    assert client.delete(f"/v1/targets/{target_id}", headers=keys.headers("write")).status_code == 204
    assert client.get(f"/v1/targets/{target_id}", headers=keys.headers("read")).status_code == 404
    assert db.scalar(select(func.count()).select_from(Evidence).where(Evidence.target_id == target_id)) == 1
    actions = db.scalars(
        select(AuditRecord.action).where(
            AuditRecord.entity_type == "target", AuditRecord.entity_id == str(target_id)
        )
    ).all()
    assert actions == ["create", "delete"]


def test_retracted_evidence_stays_listed_and_marked(client, keys) -> None:
    target_id = create(client, keys).json()["id"]
    ev = client.post(f"/v1/targets/{target_id}/evidence", json=BRIEF, headers=keys.headers("write")).json()
    r = client.post(
        f"/v1/targets/{target_id}/evidence/{ev['id']}/retract",
        json={"reason": "source withdrawn"},
        headers=keys.headers("write"),
    )
    assert r.status_code == 200 and r.json()["retracted"] is True
    listed = client.get(f"/v1/targets/{target_id}/evidence", headers=keys.headers("read")).json()
    assert listed[0]["retraction_reason"] == "source withdrawn"
    active = client.get(
        f"/v1/targets/{target_id}/evidence?include_retracted=false", headers=keys.headers("read")
    )
    assert active.json() == []


def test_audit_log_records_who_and_before_after(client, keys, db) -> None:
    target_id = create(client, keys).json()["id"]
    client.patch(f"/v1/targets/{target_id}", json={"name": "Falih al-Fayyadh"}, headers=keys.headers("write"))
    record = db.scalars(select(AuditRecord).where(AuditRecord.action == "update")).one()
    assert record.actor.endswith(":test-write")
    assert record.before["name"] == "Faleh al-Fayyad" and record.after["name"] == "Falih al-Fayyadh"
    assert record.request_id
    log = client.get("/v1/audit?entity_type=target", headers=keys.headers("admin")).json()
    assert [r["action"] for r in log] == ["update", "create"]
