"""POST /v1/documents, GET it again, adopt its mentions: on the seed brief and a real SDN publication."""

from __future__ import annotations

from sqlalchemy import func, select

from app.config import get_settings
from app.documents.models import Document, Mention
from app.lists.models import RawBlob
from app.targets.models import Evidence, ScreeningRequest, Target

BRIEF_PEOPLE = {
    "Faleh al-Fayyad",
    "Abu Muntadher al-Husseini",
    "Ali Taqi",
    "Ali al-Sistani",
    "Barham Salih",
    "Mohammed al-Halbousi",
    "Mark Esper",
    "Abdul-Wahab al-Saadi",
    "Mahmoud al-Falahi",
    "Jalil al-Rubaie",
}
BRIEF_ORGANIZATIONS = {"Kataib Hezbollah", "Badr Organization", "Popular Mobilization Force"}


def upload(client, keys, content: bytes, filename: str = "article.md", **fields):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/documents",
        files={"file": (filename, content, "application/octet-stream")},
        data=fields,
        headers=keys.headers("write"),
    )


def by_text(document: dict) -> dict[str, dict]:
    return {m["text"]: m for m in document["mentions"]}


def test_the_brief_names_its_people_and_organizations_and_what_the_list_holds(
    client, keys, brief, sdn
) -> None:
    response = upload(client, keys, brief)
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["title"] == "U.S.-Iraq Relations at a Crossroads: Policy Options"
    assert len(document["sha256"]) == 64
    mentions = by_text(document)
    for name in BRIEF_PEOPLE:
        assert mentions[name]["kind"] == "person", name
    for name in BRIEF_ORGANIZATIONS:
        assert mentions[name]["kind"] == "organization", name
    for not_a_name in ("Iraq", "Washington", "Treasury Department", "Global Magnitsky Act", "Baghdad"):
        assert not any(not_a_name == m["text"] or not_a_name in m["names"] for m in document["mentions"])
    husseini = mentions["Abu Muntadher al-Husseini"]
    assert husseini["names"] == ["Abu Muntadher al-Husseini", "Tahseen Abid Murat al-Abboudi"]
    assert "(birth name Tahseen Abid Murat al-Abboudi)" in husseini["sentence"]
    fayyad = mentions["Faleh al-Fayyad"]
    assert fayyad["sentence"].startswith(
        "The best way to open that campaign is by sanctioning Faleh al-Fayyad"
    )
    assert [(h["source"], h["list_id"], h["authority"]) for h in fayyad["listed"]] == [
        ("ofac_sdn", "30242", "OFAC")
    ]
    assert fayyad["listed"][0]["score"] >= get_settings().match_threshold
    assert "GLOMAG" in fayyad["listed"][0]["programs"]
    assert [h["list_id"] for h in mentions["Kataib Hezbollah"]["listed"]] == ["11462"]
    assert mentions["Mark Esper"]["listed"] == [] and mentions["Mark Esper"]["candidate_id"] is None
    # Offsets point into the document's text: GET it again and the same mentions come back.
    again = client.get(f"/v1/documents/{document['id']}", headers=keys.headers("read")).json()
    assert again == document
    listing = client.get("/v1/documents", headers=keys.headers("read")).json()
    assert [(d["id"], d["mentions"]) for d in listing["items"]] == [
        (document["id"], len(document["mentions"]))
    ]


def test_the_same_bytes_twice_are_the_same_document(client, keys, brief, db) -> None:
    first = upload(client, keys, brief).json()
    second = upload(client, keys, brief, filename="copy.md")
    assert second.status_code == 201 and second.json()["id"] == first["id"]
    assert db.scalar(select(func.count()).select_from(Document)) == 1
    blob = db.get(RawBlob, first["sha256"])
    assert blob is not None and blob.size == len(brief)


def test_adopting_creates_candidates_with_evidence_once(client, keys, brief, db, sdn) -> None:
    document = upload(
        client,
        keys,
        brief,
        publisher="The Washington Institute",
        author="Michael Knights",
        published_on="2020-01-02",
    ).json()
    mentions = by_text(document)
    chosen = [mentions[n]["id"] for n in ("Abu Muntadher al-Husseini", "Kataib Hezbollah")]
    body = {"mentions": chosen, "programs": ["GLOMAG"], "tags": ["iraq"], "allegation": "human_rights_abuse"}
    response = client.post(f"/v1/documents/{document['id']}/adopt", json=body, headers=keys.headers("write"))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["evidence_added"]) == (2, 2)
    husseini = db.get(Target, result["adopted"][0]["candidate_id"])
    assert husseini.name == "Abu Muntadher al-Husseini" and husseini.kind == "person"
    assert [a["name"] for a in husseini.aliases] == ["Tahseen Abid Murat al-Abboudi"]
    assert [p.code for p in husseini.programs] == ["GLOMAG"] and husseini.tags == ["iraq"]
    (evidence,) = db.scalars(select(Evidence).where(Evidence.target_id == husseini.id))
    assert evidence.content_sha256 == document["sha256"]
    assert (evidence.title, evidence.author, evidence.publisher, str(evidence.published_on)) == (
        "U.S.-Iraq Relations at a Crossroads: Policy Options",
        "Michael Knights",
        "The Washington Institute",
        "2020-01-02",
    )
    assert "(birth name Tahseen Abid Murat al-Abboudi)" in evidence.excerpt
    kataib = db.get(Target, result["adopted"][1]["candidate_id"])
    kataib_excerpt = db.scalars(select(Evidence.excerpt).where(Evidence.target_id == kataib.id)).one()
    assert (
        "most prominently Kataib Hezbollah" in kataib_excerpt and "whose troops were killed" in kataib_excerpt
    )
    # The document now shows them as candidates; adopting again adds nothing.
    shown = by_text(client.get(f"/v1/documents/{document['id']}", headers=keys.headers("read")).json())
    assert shown["Kataib Hezbollah"]["candidate_id"] == kataib.id
    again = client.post(
        f"/v1/documents/{document['id']}/adopt", json=body, headers=keys.headers("write")
    ).json()
    assert (again["created"], again["evidence_added"]) == (0, 0)
    assert db.scalar(select(func.count()).select_from(Target)) == 2
    assert db.scalar(select(func.count()).select_from(Evidence)) == 2


def test_a_mention_that_is_already_a_candidate_is_linked_and_adopting_attaches_evidence(
    client, keys, brief, db
) -> None:
    created = client.post(
        "/v1/targets",
        json={"kind": "person", "name": "Faleh al-Fayyad", "aliases": ["Falih al-Fayyadh"]},
        headers=keys.headers("write"),
    ).json()
    document = upload(client, keys, brief).json()
    fayyad = by_text(document)["Faleh al-Fayyad"]
    assert fayyad["candidate_id"] == created["id"]
    result = client.post(
        f"/v1/documents/{document['id']}/adopt",
        json={"mentions": [fayyad["id"]]},
        headers=keys.headers("write"),
    ).json()
    assert result["adopted"][0] | {"evidence_id": None} == {
        "mention_id": fayyad["id"],
        "candidate_id": created["id"],
        "name": "Faleh al-Fayyad",
        "created": False,
        "evidence_id": None,
    }
    assert result["evidence_added"] == 1
    assert db.scalar(select(func.count()).select_from(Target)) == 1


def test_adopt_refuses_what_is_not_the_documents_and_unknown_programs(client, keys, brief, db) -> None:
    document = upload(client, keys, brief).json()
    path = f"/v1/documents/{document['id']}/adopt"
    response = client.post(path, json={"mentions": [987654]}, headers=keys.headers("write"))
    assert response.status_code == 422 and "987654" in response.json()["detail"]
    first = document["mentions"][0]["id"]
    response = client.post(
        path, json={"mentions": [first], "programs": ["NOPE"]}, headers=keys.headers("write")
    )
    assert response.status_code == 422 and "NOPE" in response.json()["detail"]
    assert db.scalar(select(func.count()).select_from(Target)) == 0
    assert client.post(path, json={"mentions": [first]}, headers=keys.headers("read")).status_code == 403
    assert client.get("/v1/documents/424242", headers=keys.headers("read")).status_code == 404
    assert db.scalar(select(func.count()).select_from(Mention)) == len(document["mentions"])


def test_adopted_candidates_are_screened_like_any_other(client, keys, brief, db, monkeypatch) -> None:
    monkeypatch.setenv("SANCTRACK_SCREEN_ON_CHANGE", "true")
    get_settings.cache_clear()
    try:
        document = upload(client, keys, brief).json()
        ali_taqi = by_text(document)["Ali Taqi"]["id"]
        result = client.post(
            f"/v1/documents/{document['id']}/adopt",
            json={"mentions": [ali_taqi]},
            headers=keys.headers("write"),
        ).json()
    finally:
        monkeypatch.setenv("SANCTRACK_SCREEN_ON_CHANGE", "false")  # as the rest of the unit tests run
        get_settings.cache_clear()
    requested = db.scalars(select(ScreeningRequest.target_id)).all()
    assert requested == [result["adopted"][0]["candidate_id"]]
