"""GET /v1/targets/{id} answers from a per-process cache, and never with what a commit anywhere has changed.

The writers here are the ones a deployment has: another process (the CLI, as a worker or another API process would
be), a service call in this process, and an authority's status written by the pipeline. The cache is shared
through Redis; without it nothing is cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from app import changes
from app.alerts.models import TargetAuthorityStatus
from app.auth.service import create_key
from app.config import get_settings
from app.context import CLI
from app.db import get_engine, session_scope
from app.main import create_app
from app.targets import readcache, schemas, service
from tests.conftest import sample_data_dir
from tests.support.cli import run_sanctrack

REDIS_URL = "redis://127.0.0.1:6379/0"


def _serve(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> Iterator[tuple[TestClient, dict[str, str], int]]:
    monkeypatch.setenv("SANCTRACK_REDIS_URL", redis_url)
    get_settings.cache_clear()
    readcache.clear()
    with session_scope() as session:
        _, raw = create_key(session, name="cache-test", scope="write")
        target = service.create_target(
            session, schemas.TargetCreate(kind="person", name="Qais al-Khazali", nationalities=["IQ"]), CLI
        )
        target_id = target.id
    try:
        with TestClient(create_app()) as client:
            yield client, {"Authorization": f"Bearer {raw}"}, target_id
    finally:
        readcache.clear()
        monkeypatch.delenv("SANCTRACK_REDIS_URL")
        get_settings.cache_clear()


@pytest.fixture
def served(committed_db, monkeypatch) -> Iterator[tuple[TestClient, dict[str, str], int]]:  # type: ignore[no-untyped-def]
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield from _serve(monkeypatch, REDIS_URL)


def write_behind_the_back(target_id: int, rationale: str) -> None:
    connection = get_engine().raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("UPDATE targets SET rationale = %s WHERE id = %s", (rationale, target_id))
        connection.commit()
    finally:
        connection.close()


def _cached(target_id: int) -> bool:
    entry = readcache._entries.get(("target", target_id))
    return entry is not None and readcache.get(("target", target_id), entry.generation) is not None


def test_a_repeated_read_is_served_from_the_cache(served) -> None:  # type: ignore[no-untyped-def]
    client, headers, target_id = served
    first = client.get(f"/v1/targets/{target_id}", headers=headers)
    assert first.status_code == 200, first.text
    assert _cached(target_id)
    # Proof that the second answer did not come from the database: change the row behind the application's back
    # (on a bare driver connection, which nothing watches) and read the old answer again.
    write_behind_the_back(target_id, "changed under the cache")
    second = client.get(f"/v1/targets/{target_id}", headers=headers)
    assert second.json() == first.json()
    assert second.headers["etag"] == first.headers["etag"] == '"1"'


def test_evidence_added_by_another_process_shows_at_once(served) -> None:  # type: ignore[no-untyped-def]
    client, headers, target_id = served
    assert client.get(f"/v1/targets/{target_id}", headers=headers).json()["evidence_count"] == 0
    assert _cached(target_id)
    run_sanctrack(
        "evidence",
        "add",
        str(target_id),
        "--title",
        "Treasury press release",
        "--allegation",
        "human_rights_abuse",
        env={"SANCTRACK_REDIS_URL": REDIS_URL},
    )
    assert client.get(f"/v1/targets/{target_id}", headers=headers).json()["evidence_count"] == 1


def test_a_page_of_candidates_is_cached_and_retired_alike(served) -> None:  # type: ignore[no-untyped-def]
    client, headers, target_id = served
    first = client.get("/v1/targets?limit=10", headers=headers)
    assert first.status_code == 200, first.text
    assert [(t["id"], t["evidence_count"]) for t in first.json()["items"]] == [(target_id, 0)]
    write_behind_the_back(target_id, "changed under the cache")
    assert client.get("/v1/targets?limit=10", headers=headers).json() == first.json()
    assert client.get("/v1/targets?limit=5", headers=headers).json()["items"][0]["rationale"] == (
        "changed under the cache"  # another page: read now
    )
    run_sanctrack(
        "evidence",
        "add",
        str(target_id),
        "--title",
        "Court filing",
        "--allegation",
        "corruption",
        env={"SANCTRACK_REDIS_URL": REDIS_URL},
    )
    page = client.get("/v1/targets?limit=10", headers=headers).json()
    assert [(t["id"], t["evidence_count"]) for t in page["items"]] == [(target_id, 1)]


def test_an_edit_through_the_api_shows_in_the_next_read(served) -> None:  # type: ignore[no-untyped-def]
    client, headers, target_id = served
    before = client.get(f"/v1/targets/{target_id}", headers=headers)
    edited = client.patch(
        f"/v1/targets/{target_id}",
        json={"aliases": [{"name": "Qays al-Khazali"}]},
        headers={**headers, "If-Match": before.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    after = client.get(f"/v1/targets/{target_id}", headers=headers)
    assert [a["name"] for a in after.json()["aliases"]] == ["Qays al-Khazali"]
    assert after.headers["etag"] == edited.headers["etag"] == '"2"'


def test_a_designation_written_by_the_pipeline_shows_at_once(served) -> None:  # type: ignore[no-untyped-def]
    client, headers, target_id = served
    assert client.get(f"/v1/targets/{target_id}", headers=headers).json()["authority_status"] == []
    with session_scope() as session:  # as the worker writes it when a publication lists the candidate
        session.add(
            TargetAuthorityStatus(
                target_id=target_id, authority="OFAC", status="listed", listed_on=dt.date(2019, 7, 18)
            )
        )
    body = client.get(f"/v1/targets/{target_id}", headers=headers).json()
    assert [(s["authority"], s["status"]) for s in body["authority_status"]] == [("OFAC", "listed")]
    assert body["standing"]["OFAC"] == "listed"


def test_a_list_loaded_for_the_first_time_changes_every_standing(served) -> None:  # type: ignore[no-untyped-def]
    client, headers, target_id = served
    assert client.get(f"/v1/targets/{target_id}", headers=headers).json()["standing"]["OFAC"] == "no_list"
    publication = sample_data_dir() / "ofac_cons" / "consolidated_2025-12-18.xml"
    run_sanctrack("lists", "ingest", "ofac_cons", str(publication), env={"SANCTRACK_REDIS_URL": REDIS_URL})
    assert client.get(f"/v1/targets/{target_id}", headers=headers).json()["standing"]["OFAC"] == "not_listed"


def test_writes_to_other_tables_keep_the_cache(served) -> None:  # type: ignore[no-untyped-def]
    client, headers, target_id = served
    client.get(f"/v1/targets/{target_id}", headers=headers)
    generation = redis.Redis.from_url(REDIS_URL).get(changes.generation_key())
    with session_scope() as session:
        create_key(session, name="another", scope="read")
    assert redis.Redis.from_url(REDIS_URL).get(changes.generation_key()) == generation
    assert _cached(target_id)


def test_without_redis_nothing_is_cached(committed_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for client, headers, target_id in _serve(monkeypatch, ""):
        client.get(f"/v1/targets/{target_id}", headers=headers)
        assert not _cached(target_id)
        write_behind_the_back(target_id, "seen at once")
        assert client.get(f"/v1/targets/{target_id}", headers=headers).json()["rationale"] == "seen at once"


def test_redis_unreachable_reads_the_database(committed_db, monkeypatch, unused_tcp_port) -> None:  # type: ignore[no-untyped-def]
    for client, headers, target_id in _serve(monkeypatch, f"redis://127.0.0.1:{unused_tcp_port}/0"):
        assert client.get(f"/v1/targets/{target_id}", headers=headers).status_code == 200
        write_behind_the_back(target_id, "seen at once")
        response = client.get(f"/v1/targets/{target_id}", headers=headers)
        assert response.status_code == 200
        assert response.json()["rationale"] == "seen at once"


def test_processes_spelling_the_database_differently_share_one_generation(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    keys = set()
    for url in (
        "postgresql://api@db.internal:5432/sanctrack",
        "postgresql+psycopg://worker:pw@db.internal:5432/sanctrack",
    ):
        monkeypatch.setenv("SANCTRACK_DATABASE_URL", url)
        get_settings.cache_clear()
        keys.add(changes.generation_key())
    monkeypatch.setenv("SANCTRACK_DATABASE_URL", "postgresql://api@db.internal:5432/other")
    get_settings.cache_clear()
    other = changes.generation_key()
    monkeypatch.undo()
    get_settings.cache_clear()
    assert len(keys) == 1 and other not in keys
