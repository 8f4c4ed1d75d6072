"""The staff CLI, run as a user runs it: a real subprocess against the real database."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.support.cli import cli_help, embedded_default_env, run_sanctrack

sanctrack = run_sanctrack


@pytest.mark.slow
@pytest.mark.usefixtures("committed_db")
def test_targets_add_list_show_and_evidence_add_with_json() -> None:
    created = json.loads(
        sanctrack(
            "targets",
            "add",
            "Faleh al-Fayyad",
            "--alias",
            "Falih al-Fayyadh",
            "--program",
            "GLOMAG",
            "--nationality",
            "IQ",
            "--json",
        ).stdout
    )
    assert created["programs"] == ["GLOMAG"] and created["status"] == "candidate"
    evidence = json.loads(
        sanctrack(
            "evidence",
            "add",
            str(created["id"]),
            "--title",
            "Policy brief",
            "--source-type",
            "ngo_report",
            "--allegation",
            "human_rights_abuse",
            "--url",
            "https://example.org/brief",
            "--published-on",
            "2020-01-02",
            "--json",
        ).stdout
    )
    assert evidence["target_id"] == created["id"]
    listed = json.loads(sanctrack("targets", "list", "--json").stdout)
    assert listed["total"] == 1 and listed["items"][0]["evidence_count"] == 1
    shown = json.loads(sanctrack("targets", "show", str(created["id"]), "--json").stdout)
    assert shown["evidence"][0]["title"] == "Policy brief"
    human = sanctrack("targets", "show", str(created["id"])).stdout
    assert "Faleh al-Fayyad" in human and "Policy brief" in human
    assert "  OFAC: no list loaded" in human and "not listed" not in human  # no list is loaded here


@pytest.mark.slow
@pytest.mark.usefixtures("committed_db")
def test_cli_bad_input_says_what_is_wrong_and_exits_non_zero() -> None:
    bad = sanctrack("targets", "add", "X", "--nationality", "ZZ", check=False)
    assert bad.returncode == 2 and "ISO 3166" in bad.stderr and bad.stdout == ""
    missing = sanctrack("targets", "show", "4242", check=False)
    assert missing.returncode == 1 and "no candidate target with id 4242" in missing.stderr
    unknown = sanctrack("targets", "add", "X", "--program", "NOPE", check=False)
    assert unknown.returncode == 2 and "GET /v1/programs" in unknown.stderr


def test_every_command_help_has_an_example() -> None:
    commands = [
        ["keys", "create"],
        ["keys", "list"],
        ["keys", "revoke"],
        ["targets", "add"],
        ["targets", "list"],
        ["targets", "show"],
        ["evidence", "add"],
        ["serve"],
        ["db", "upgrade"],
    ]
    for command in commands:
        assert "Example:" in cli_help(*command), command


@pytest.mark.slow
@pytest.mark.usefixtures("committed_db")
def test_key_from_cli_works_against_a_served_api(unused_tcp_port: int) -> None:
    out = sanctrack("keys", "create", "--name", "e2e", "--scope", "write").stdout
    key = out.strip().splitlines()[-1].split()[-1]
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(unused_tcp_port), "--no-workers"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{unused_tcp_port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {key}"}
        target = httpx.post(
            f"{base}/v1/targets",
            headers=headers,
            json={"kind": "person", "name": "Ali Taqi", "tags": ["airport"]},
        ).json()
        for title in ("first", "second"):
            r = httpx.post(
                f"{base}/v1/targets/{target['id']}/evidence",
                headers=headers,
                json={"source_type": "ngo_report", "title": title, "allegation": "other"},
            )
            assert r.status_code == 201, r.text
        evidence = httpx.get(f"{base}/v1/targets/{target['id']}/evidence", headers=headers).json()
        assert [e["title"] for e in evidence] == ["first", "second"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


@pytest.mark.slow
def test_serve_on_the_embedded_default_runs_a_worker_and_stops_it(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    """'sanctrack serve' on a bare folder (SQLite, no Redis) starts the Celery worker; stopping it stops both."""
    env = embedded_default_env(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(unused_tcp_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and not workers:
            workers = [
                p for p in _children(server.pid) if b"celery" in Path(f"/proc/{p}/cmdline").read_bytes()
            ]
            time.sleep(0.5)
        assert workers, "serve did not start a Celery worker"
        ready = False
        while time.monotonic() < deadline and not ready:
            with contextlib.suppress(httpx.TransportError):
                ready = httpx.get(f"http://127.0.0.1:{unused_tcp_port}/readyz").status_code == 200
            if not ready:
                time.sleep(0.3)
        assert ready, "serve never answered /readyz with 200"
    finally:
        server.terminate()
        server.wait(timeout=60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.5)
    assert not any(Path(f"/proc/{p}").exists() for p in workers), "the worker outlived the service"


def test_the_top_level_help_lists_each_lazily_loaded_command_as_the_command_describes_itself() -> None:
    from app.cli import LAZY_COMMANDS, load_command

    for name, (_, _, listed) in LAZY_COMMANDS.items():
        own = load_command(name).help or ""
        assert " ".join(own.split()).startswith(listed.removesuffix("...")), name
