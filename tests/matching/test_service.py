"""Matching through the service, the API and the CLI, on the real 2023-12-28 SDN publication."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from sqlalchemy import select, text

from app.db import session_scope
from app.matching import live, search
from app.matching.models import Link
from app.matching.query import MatchQuery
from tests.conftest import ROOT, TABLES_TO_EMPTY, sample_data_dir

FAYYAD = {
    "kind": "person",
    "name": "Faleh al-Fayyad",
    "aliases": ["Falih al-Fayyadh"],
    "programs": ["GLOMAG"],
    "nationalities": ["IQ"],
}


# The tests share one committed ingest of the publication (some 17 s each): one worker runs them all, in a row.
pytestmark = pytest.mark.xdist_group("matching_service")


@pytest.fixture(scope="module")
def sdn(engine) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """The publication ingested once for the module with the CLI, as an operator does, and committed, so that the API,
    the screening and the CLI's own processes all match against it; every table is emptied after the last test."""
    ingest = cli("lists", "ingest", "ofac_sdn", str(sample_data_dir() / "ofac_sdn" / "2023-12-28"), "--json")
    result = json.loads(ingest.stdout)
    assert result["status"] == "stored", result
    # Bring this process's index up to date, as the API's index keeper does after a committed ingest.
    with session_scope() as session:
        search.current_index(session)
    try:
        yield result
    finally:
        search.reset_index()
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES_TO_EMPTY)} RESTART IDENTITY CASCADE"))


def cli(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_match_api_finds_fayyadh_in_any_spelling_and_not_fayyaz(client, keys, sdn) -> None:
    body = {
        "queries": {
            "brief": {"kind": "person", "name": "Faleh al-Fayyad"},
            "arabic": {"kind": "person", "name": "فالح الفياض"},
            "reordered": {"name": "ALFAYYADH, Faleh", "birth_dates": ["1956-03-27"], "nationalities": ["IQ"]},
            "other": {"kind": "person", "name": "Fayyaz Ahmad"},
        }
    }
    response = client.post("/v1/match", json=body, headers=keys.headers("read"))
    assert response.status_code == 200, response.text
    out = response.json()["responses"]
    for key in ("brief", "arabic", "reordered"):
        top = out[key]["results"][0]
        assert (top["source"], top["list_id"], top["match"]) == ("ofac_sdn", "30242", True), (key, top)
    top = out["brief"]["results"][0]
    assert top["name"] == "AL-FAYYADH, Falih" and top["score"] >= response.json()["threshold"]
    names = top["explanation"]["names"]
    assert names["query"] == "Faleh al-Fayyad" and "FAYYADH" in names["entry"].upper()
    assert "birth_date" in out["reordered"]["results"][0]["explanation"]["features"]
    assert not [r for r in out["other"]["results"] if r["list_id"] == "30242" and r["match"]]
    scores = [r["score"] for r in out["brief"]["results"]]
    assert scores == sorted(scores, reverse=True)


def test_match_api_limits(client, keys) -> None:
    too_many = {"queries": {f"q{i}": {"name": "x"} for i in range(101)}}
    assert client.post("/v1/match", json=too_many, headers=keys.headers("read")).status_code == 422
    assert client.post("/v1/match", json={"queries": {"q": {"name": "x"}}}).status_code == 401


def test_screening_makes_links_and_reviews_stick(client, keys, db, sdn) -> None:
    h = keys.headers("write")
    target = client.post("/v1/targets", json=FAYYAD, headers=h).json()
    screened = client.post("/v1/screenings", json={"target_ids": [target["id"]]}, headers=h).json()
    assert screened["links_new"] >= 1
    links = client.get(f"/v1/targets/{target['id']}/links", headers=h).json()
    best = links[0]
    assert (best["source"], best["list_id"]) == ("ofac_sdn", "30242")
    assert best["state"] in ("auto", "suggested") and best["explanation"]["names"]
    others = [link for link in links if link["list_id"] != "30242"]
    for link in others:  # whatever else was suggested, a reviewer rejects it; it must not come back
        r = client.post(f"/v1/links/{link['id']}/reject", json={"reason": "different person"}, headers=h)
        assert r.status_code == 200 and r.json()["state"] == "rejected"
    if best["state"] == "suggested":
        client.post(f"/v1/links/{best['id']}/confirm", json={"reason": "same DOB and office"}, headers=h)
    status = client.get(f"/v1/targets/{target['id']}", headers=h).json()
    ofac = {s["authority"]: s for s in status["authority_status"]}["OFAC"]
    assert ofac["status"] == "listed" and "GLOMAG" in ofac["programs"] and status["status"] == "designated"
    client.post("/v1/screenings", json={"target_ids": [target["id"]]}, headers=h)
    states = dict(db.execute(select(Link.list_id, Link.state).where(Link.target_id == target["id"])).all())
    assert all(states[link["list_id"]] == "rejected" for link in others)
    assert client.post(f"/v1/links/{best['id']}/reject", json={"reason": " "}, headers=h).status_code == 422


@pytest.mark.usefixtures("sdn")
def test_cli_match_ranks_30242_first_and_fayyaz_is_not_a_match() -> None:
    found = json.loads(cli("match", "Faleh al-Fayyad", "--json").stdout)
    assert found["results"][0]["list_id"] == "30242" and found["results"][0]["match"] is True
    assert found["results"][0]["score"] > found["threshold"]
    other = json.loads(cli("match", "Fayyaz Ahmad", "--json").stdout)
    assert not [r for r in other["results"] if r["list_id"] == "30242" and r["match"]]
    human = cli("match", "Faleh al-Fayyad").stdout
    assert human.splitlines()[0].split()[1] == "MATCH" and "30242" in human.splitlines()[0]


def test_an_ad_hoc_match_answers_from_the_published_index_while_an_update_is_built(db, sdn) -> None:
    """While a thread builds an index update (it holds the update lock), /v1/match answers from the index published
    before, and builds nothing; screening waits, as the links it records must follow the publication just applied."""
    builds = dict(live.builds)
    # No "with" around the pool: should match wait after all, the lock must be released before the pool is shut.
    pool = ThreadPoolExecutor(max_workers=2)
    live._update_lock.acquire()  # held as the updating thread holds it
    try:
        match = pool.submit(search.match, MatchQuery(names=["Faleh al-Fayyad"], kind="person"))
        hits = match.result(timeout=30)
        assert (hits[0].source, hits[0].list_id, hits[0].match) == ("ofac_sdn", "30242", True)
        screening = pool.submit(search.current_index, db)
        with pytest.raises(FutureTimeout):
            screening.result(timeout=1)
    finally:
        live._update_lock.release()
        pool.shutdown(wait=False)
    assert screening.result(timeout=30).snapshots == {"ofac_sdn": sdn["snapshot_id"]}
    assert live.builds == builds  # neither the match nor the screening (already up to date) built an index
    search.reset_index()
