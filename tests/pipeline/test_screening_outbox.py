"""Issue 13 item 1: every way in screens. Candidates imported by CSV, through the CLI and through the API, are
screened by the worker from the screening requests their creation recorded: on Celery with Redis (PostgreSQL), and
on the embedded default (one SQLite file is the database and the queue). Real rows of the 2023-12-28 SDN
publication: Laith al-Khazali (entry 28005) and Faleh al-Fayyad (30242).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.context import SYSTEM
from app.db import make_engine, session_scope
from app.lists.service import ingest_path
from app.matching.models import Link
from app.migrate import upgrade
from app.targets.models import ScreeningRequest, Target
from tests.pipeline.publications import FAYYADH, LAITH_KHAZALI, baseline_numbers, subset
from tests.pipeline.stack import Process, wait_until
from tests.support.cli import run_sanctrack
from workers.embedded import celery_worker_command

pytestmark = pytest.mark.slow
LAITH_CSV = "kind,name,nationalities\nperson,Laith al-Khazali,IQ\n"
FAYYAD_CSV = "kind,name,aliases,nationalities\nperson,Faleh al-Fayyad,Falih al-Fayyadh,IQ\n"


def _ingest(session: Session, folder: Path) -> None:
    """A small real publication: 30 entries listed since 2019 and the two the candidates match."""
    folder.mkdir()
    for member, data in subset([*baseline_numbers(30), LAITH_KHAZALI, FAYYADH]).items():
        (folder / member).write_bytes(data)
    result = ingest_path(
        session, "ofac_sdn", folder, published=dt.date(2023, 12, 28), origin=str(folder), actor=SYSTEM
    )
    assert result.status == "stored", result.reason


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.usefixtures("committed_db")
def test_cli_and_api_imports_are_screened_by_the_celery_worker_on_redis(make_stack, tmp_path: Path) -> None:
    with session_scope() as session:
        _ingest(session, tmp_path / "sdn")
    stack = make_stack()
    stack.start(beat=True)
    run_sanctrack("targets", "import", str(_write(tmp_path, "laith.csv", LAITH_CSV)), env=stack.env)
    report = stack.call(
        "POST", "/v1/targets:import", 200, content=FAYYAD_CSV.encode(), headers={"content-type": "text/csv"}
    ).json()
    assert report["created"] == 1
    with session_scope() as session:
        ids = dict(session.execute(select(Target.name, Target.id)).all())

    def linked(target_id: int, list_id: str) -> dict[str, Any] | None:
        links = stack.call("GET", f"/v1/targets/{target_id}/links", 200).json()
        return next((link for link in links if link["list_id"] == list_id), None)

    wait_until(lambda: linked(ids["Laith al-Khazali"], LAITH_KHAZALI), 90, "the CLI's import to be screened")
    wait_until(lambda: linked(ids["Faleh al-Fayyad"], FAYYADH), 90, "the API's import to be screened")
    wait_until(lambda: stack.count(ScreeningRequest) == 0, 30, "the screening requests to be drained")
    runs = stack.call("GET", "/v1/runs", 200, params={"kind": "screening"}).json()
    assert runs and {run["trigger"] for run in runs} == {"screening_request"}


def test_a_cli_import_is_screened_by_the_embedded_worker_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sanctrack.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            _ingest(session, tmp_path / "sdn")
            session.commit()
        env = {k: v for k, v in os.environ.items() if k not in ("SANCTRACK_REDIS_URL", "SANCTRACK_QUEUE")}
        env.update(
            SANCTRACK_DATABASE_URL=url,
            SANCTRACK_SCREEN_ON_CHANGE="true",
            SANCTRACK_REFRESH_INTERVAL_SECONDS="0",
            PYTHONUNBUFFERED="1",
        )
        worker = Process(
            "embedded worker",
            celery_worker_command(
                pool="solo",
                name=f"embedded-{os.getpid()}@%h",
                quiet_cluster=True,
                beat_schedule=tmp_path / "beat-schedule",
            ),
            env,
            tmp_path / "worker.log",
        )
        try:
            wait_until(lambda: " ready." in worker.output() or not worker.alive(), 90, "the worker to start")
            assert worker.alive(), worker.output()[-3000:]
            result = run_sanctrack(
                "targets", "import", str(_write(tmp_path, "laith.csv", LAITH_CSV)), env=env, check=False
            )
            assert result.returncode == 0, result.stdout + result.stderr

            def screened() -> bool:
                with Session(engine) as session:
                    link = session.scalar(
                        select(Link.state)
                        .join(Target, Target.id == Link.target_id)
                        .where(Target.name == "Laith al-Khazali", Link.list_id == LAITH_KHAZALI)
                    )
                    waiting = session.scalar(select(func.count()).select_from(ScreeningRequest))
                return link is not None and waiting == 0

            wait_until(screened, 90, "the embedded worker to screen the imported candidate")
        except AssertionError:
            print(worker.output()[-6000:])
            raise
        finally:
            worker.kill()
    finally:
        engine.dispose()
