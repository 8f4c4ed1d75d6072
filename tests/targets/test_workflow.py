"""Issue 13, what a first user found in the core workflow: screening requested by every way in, CSV rows that do not
swallow each other, names that are names, duplicates, error messages that say what to do, and the CLI's help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.background import BackgroundWork, background, provide
from app.config import get_settings
from app.context import CLI
from app.db import session_scope
from app.pipeline import drain_screening_requests
from app.targets import service
from app.targets.models import ScreeningRequest, Target
from app.targets.schemas import TargetCreate, TargetUpdate
from tests.support.cli import cli_help, run_sanctrack
from tests.targets.test_bad_input import assert_problem

# The bad file of issue 13 (item 2): one row opens a quote it never closes; a good row before it and two after.
BAD_QUOTE_CSV = (
    "kind,name,aliases,birth_dates,nationalities\n"
    "person,Faleh al-Fayyad,Falih al-Fayyadh,1956,IQ\n"
    'person,"Unclosed quote,,,IQ\n'
    "person,Laith al-Khazali,,,IQ\n"
    "organization,Kataib Hezbollah,Kata'ib Hizballah,,IQ\n"
)
GOOD_AFTER_BAD = ["Laith al-Khazali", "Kataib Hezbollah"]


class Recorder:
    """Background work that only records what was asked, and when (how many requests were committed by then)."""

    def __init__(self) -> None:
        self.screen_calls: list[tuple[list[int], int]] = []

    def screen_soon(self, target_ids: Sequence[int]) -> None:
        with session_scope() as session:
            committed = session.scalar(select(func.count()).select_from(ScreeningRequest)) or 0
        self.screen_calls.append((list(target_ids), committed))

    def send_deliveries_soon(self) -> None:
        pass

    def refresh_soon(self, run_id: str) -> None:
        pass


@pytest.fixture
def screening_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """SANCTRACK_SCREEN_ON_CHANGE on (the unit tests' default is off), with the nudges recorded, not sent."""
    monkeypatch.setenv("SANCTRACK_SCREEN_ON_CHANGE", "true")
    get_settings.cache_clear()
    installed: BackgroundWork = background()
    recorder = Recorder()
    provide(recorder)
    try:
        yield recorder
    finally:
        provide(installed)
        monkeypatch.undo()
        get_settings.cache_clear()


def _requests(session) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [
        (r.target_id, r.reason)
        for r in session.scalars(select(ScreeningRequest).order_by(ScreeningRequest.id))
    ]


# ---- item 1: every way in records that the candidate needs screening ----------------------------------------


@pytest.mark.usefixtures("committed_db")
def test_creating_and_editing_records_a_screening_request_and_nudges_after_the_commit(screening_on) -> None:
    with session_scope() as session:
        target = service.create_target(session, TargetCreate(kind="person", name="Laith al-Khazali"), CLI)
        assert _requests(session) == [(target.id, "created")]
        assert screening_on.screen_calls == []  # not before the commit: the worker would find nothing
    assert screening_on.screen_calls == [([target.id], 1)]
    with session_scope() as session:
        service.update_target(session, target.id, TargetUpdate(aliases=["Layth al-Khazali"]), CLI)
    with session_scope() as session:
        assert _requests(session) == [(target.id, "created"), (target.id, "updated")]
    out = drain_screening_requests()
    assert out["batches"] == 1 and out["targets"] == 1 and len(out["runs"]) == 1
    with session_scope() as session:
        assert _requests(session) == []


@pytest.mark.usefixtures("committed_db")
def test_a_rolled_back_creation_leaves_no_screening_request(screening_on) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        service.create_target(session, TargetCreate(kind="person", name="Ali Taqi"), CLI)
        raise RuntimeError("the unit of work fails after the candidate was created")
    with session_scope() as session:
        assert _requests(session) == [] and session.scalar(select(func.count()).select_from(Target)) == 0


def test_api_create_update_and_import_record_screening_requests(client, keys, db, screening_on) -> None:
    headers = keys.headers("write")
    created = client.post("/v1/targets", json={"kind": "person", "name": "Ali Taqi"}, headers=headers).json()
    client.patch(f"/v1/targets/{created['id']}", json={"nationalities": ["IQ"]}, headers=headers)
    report = client.post(
        "/v1/targets:import",
        content=b"kind,name\nperson,Laith al-Khazali\n",
        headers={**headers, "content-type": "text/csv"},
    ).json()
    imported = report["rows"][0]["id"]
    assert _requests(db) == [(created["id"], "created"), (created["id"], "updated"), (imported, "created")]


def test_a_dry_run_import_records_no_screening_request(client, keys, db, screening_on) -> None:
    response = client.post(
        "/v1/targets:import?dry_run=true",
        content=b"kind,name\nperson,Laith al-Khazali\n",
        headers={**keys.headers("write"), "content-type": "text/csv"},
    )
    assert response.json()["valid"] == 1 and _requests(db) == []


# ---- item 2: an unclosed quote is an error of its own row ---------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "candidates.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.usefixtures("committed_db")
def test_cli_dry_run_reports_the_unclosed_quote_on_its_line_and_every_row_after_it(tmp_path: Path) -> None:
    result = run_sanctrack(
        "targets", "import", str(_write(tmp_path, BAD_QUOTE_CSV)), "--dry-run", "--json", check=False
    )
    assert result.returncode == 2, result.stderr
    rows = {row["row"]: row for row in json.loads(result.stdout)["rows"]}
    assert rows[3]["status"] == "rejected" and "never closed" in rows[3]["errors"][0]
    assert [rows[4]["name"], rows[5]["name"]] == GOOD_AFTER_BAD
    assert rows[2]["status"] == rows[4]["status"] == rows[5]["status"] == "valid"


@pytest.mark.usefixtures("committed_db")
def test_cli_import_creates_every_good_row_and_no_multi_line_name(tmp_path: Path) -> None:
    result = run_sanctrack("targets", "import", str(_write(tmp_path, BAD_QUOTE_CSV)), check=False)
    assert result.returncode == 2 and "row    3  rejected" in result.stdout, result.stdout
    assert "3 created, 1 rejected" in result.stdout
    with session_scope() as session:
        names = list(session.scalars(select(Target.name).order_by(Target.id)))
    assert names == ["Faleh al-Fayyad", *GOOD_AFTER_BAD]


def test_api_import_reports_the_bad_row_and_keeps_the_rows_after_it(client, keys, db) -> None:
    report = client.post(
        "/v1/targets:import",
        content=BAD_QUOTE_CSV.encode(),
        headers={**keys.headers("write"), "content-type": "text/csv"},
    ).json()
    assert (report["created"], report["rejected"]) == (3, 1)
    assert [(r["row"], r["status"]) for r in report["rows"]] == [
        (2, "created"),
        (3, "rejected"),
        (4, "created"),
        (5, "created"),
    ]
    assert sorted(db.scalars(select(Target.name))) == sorted(["Faleh al-Fayyad", *GOOD_AFTER_BAD])


def test_a_quoted_value_may_span_lines_when_it_closes(client, keys, db) -> None:
    text = 'kind,name,rationale\nperson,Ali Taqi,"Commands the unit.\nSeen at the airport."\nperson,Laith al-Khazali,\n'
    report = client.post(
        "/v1/targets:import",
        content=text.encode(),
        headers={**keys.headers("write"), "content-type": "text/csv"},
    ).json()
    assert [(r["row"], r["status"]) for r in report["rows"]] == [(2, "created"), (4, "created")]
    rationale = db.scalar(select(Target.rationale).where(Target.name == "Ali Taqi"))
    assert rationale == "Commands the unit.\nSeen at the airport."


def test_a_name_spanning_lines_is_refused(client, keys, db) -> None:
    text = 'kind,name\nperson,"Ali\nTaqi"\n'
    report = client.post(
        "/v1/targets:import",
        content=text.encode(),
        headers={**keys.headers("write"), "content-type": "text/csv"},
    ).json()
    assert report["rejected"] == 1 and "one line" in report["rows"][0]["errors"][0]


# ---- item 14: names are names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mentions"),
    [
        ("---", "no letter or digit"),
        ("...!?", "no letter or digit"),
        ("A" * 301, "at most 300 characters"),
        ("Ali\tTaqi", "one line"),
        ("Ali\u2028Taqi", "one line"),
    ],
)
def test_names_that_are_no_names_are_refused(client, keys, db, name: str, mentions: str) -> None:
    headers = keys.headers("write")
    assert_problem(
        client.post("/v1/targets", json={"kind": "person", "name": name}, headers=headers), 422, mentions
    )
    alias = client.post(
        "/v1/targets", json={"kind": "person", "name": "Ali Taqi", "aliases": [name]}, headers=headers
    )
    assert_problem(alias, 422, mentions)
    assert db.scalar(select(func.count()).select_from(Target)) == 0


def test_names_in_other_scripts_and_at_the_limit_are_names(client, keys) -> None:
    headers = keys.headers("write")
    for name in ("قيس الخزعلي", "A" * 300, "Jahān\u200cgir", "7"):
        response = client.post(
            "/v1/targets?allow_duplicate=true", json={"kind": "person", "name": name}, headers=headers
        )
        assert response.status_code == 201, response.text


@pytest.mark.usefixtures("committed_db")
def test_cli_refuses_a_punctuation_name() -> None:
    result = run_sanctrack("targets", "add", "--", "---", check=False)
    assert result.returncode == 2 and "no letter or digit" in result.stderr


# ---- item 11: duplicates, and a database that was never set up ---------------------------------------------


def test_post_targets_refuses_a_duplicate_naming_the_candidate_unless_insisted(client, keys, db) -> None:
    headers = keys.headers("write")
    first = client.post(
        "/v1/targets", json={"kind": "person", "name": "Faleh al-Fayyad"}, headers=headers
    ).json()
    again = client.post("/v1/targets", json={"kind": "person", "name": "FALEH AL-FAYYAD"}, headers=headers)
    assert_problem(again, 409, f"already candidate {first['id']}")
    assert again.json()["existing_id"] == first["id"] and "allow_duplicate=true" in again.json()["detail"]
    other_kind = client.post(
        "/v1/targets", json={"kind": "organization", "name": "Faleh al-Fayyad"}, headers=headers
    )
    assert other_kind.status_code == 201
    insisted = client.post(
        "/v1/targets?allow_duplicate=true",
        json={"kind": "person", "name": "Faleh al-Fayyad"},
        headers=headers,
    )
    assert insisted.status_code == 201 and insisted.json()["id"] != first["id"]


@pytest.mark.usefixtures("committed_db")
def test_cli_targets_add_refuses_a_duplicate_unless_allow_duplicate() -> None:
    first = json.loads(run_sanctrack("targets", "add", "Faleh al-Fayyad", "--json").stdout)
    again = run_sanctrack("targets", "add", "Faleh al-Fayyad", check=False)
    assert again.returncode == 2 and f"already candidate {first['id']}" in again.stderr
    assert "--allow-duplicate" in again.stderr and again.stdout == ""
    run_sanctrack("targets", "add", "Faleh al-Fayyad", "--allow-duplicate")
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Target)) == 2


def test_a_command_outside_the_checkout_on_no_database_says_to_upgrade_and_creates_nothing(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SANCTRACK_DATABASE_URL"}
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "sanctrack"),
            "keys",
            "create",
            "--name",
            "analyst",
            "--scope",
            "write",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "run 'sanctrack db upgrade' first" in result.stderr, result.stderr
    assert "no such table" not in result.stderr and list(tmp_path.iterdir()) == []


def test_a_command_on_an_empty_sqlite_file_says_to_upgrade(tmp_path: Path) -> None:
    (tmp_path / "sanctrack.db").write_bytes(b"")
    result = run_sanctrack(
        "targets",
        "list",
        env={"SANCTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'sanctrack.db'}"},
        check=False,
    )
    assert (
        result.returncode == 1
        and "has no sanctrack schema yet" in result.stderr
        and "db upgrade" in result.stderr
    )


# ---- item 13: error messages that say what to do ------------------------------------------------------------


def test_a_bad_json_body_says_line_column_and_what_was_expected(client, keys) -> None:
    body = b'{\n  "kind": "person",\n  "name": "Ali Taqi",\n}'
    response = client.post(
        "/v1/targets", content=body, headers={**keys.headers("write"), "content-type": "application/json"}
    )
    assert_problem(
        response, 422, "not valid JSON: Expecting property name enclosed in double quotes at line 4, column 1"
    )


def test_a_json_body_without_content_type_says_to_send_it(client, keys) -> None:
    response = client.post(
        "/v1/targets", content=b'{"kind": "person", "name": "Ali Taqi"}', headers=keys.headers("write")
    )
    assert_problem(response, 422, "Content-Type: application/json")


def test_a_key_without_bearer_says_how_to_send_it(client, keys) -> None:
    response = client.get("/v1/targets", headers={"Authorization": keys.raw["read"]})
    assert_problem(response, 401, "without the word 'Bearer'")
    assert "Authorization: Bearer <key>" in response.json()["detail"]
    basic = client.get("/v1/targets", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert_problem(basic, 401, "scheme 'Basic'")


def test_several_failing_fields_are_all_named(client, keys) -> None:
    response = client.post(
        "/v1/targets",
        json={"kind": "spaceship", "name": "---", "nationalities": ["ZZ"], "birth_dates": ["27 March 1956"]},
        headers=keys.headers("write"),
    )
    assert_problem(response, 422, "4 fields are wrong")
    detail = response.json()["detail"]
    for field in ("kind:", "name:", "nationalities:", "birth_dates:"):
        assert field in detail, detail
    assert "Value error" not in detail


# ---- item 16: the command line's help ---------------------------------------------------------------------------


def test_cli_help_shows_flags_as_flags_lists_every_targets_command_and_has_an_example() -> None:
    top = run_sanctrack("--help").stdout
    assert "Example" in top and "sanctrack targets import" in top
    targets = cli_help("targets")
    description = targets.split("Options:")[0]
    assert all(name in description for name in ("import", "export", "dossier")), description
    imported = cli_help("targets", "import")
    assert "--dry-run" in imported and "<bool>" not in imported
    assert "--allow-duplicate" in cli_help("targets", "add")
