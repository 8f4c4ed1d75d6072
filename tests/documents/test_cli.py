"""``sanctrack intake``, run as a user runs it: a subprocess against the real database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.targets.models import Evidence, Target
from tests.documents.conftest import brief_path
from tests.support.cli import run_sanctrack


@pytest.mark.usefixtures("committed_db")
def test_intake_lists_the_names_and_adopts_the_chosen_ones_once() -> None:
    brief = str(brief_path())
    shown = run_sanctrack("intake", brief)
    assert "person       Faleh al-Fayyad  [listed by no one]" in shown.stdout
    assert "Abu Muntadher al-Husseini (also Tahseen Abid Murat al-Abboudi)" in shown.stdout
    adopted = json.loads(
        run_sanctrack(
            "intake", brief, "--adopt", "faleh al-fayyad", "--adopt", "Tahseen Abid Murat al-Abboudi",
            "--program", "GLOMAG", "--json",
        ).stdout
    )  # fmt: skip
    assert (adopted["adopted"]["created"], adopted["adopted"]["evidence_added"]) == (2, 2)
    again = json.loads(run_sanctrack("intake", brief, "--adopt", "all", "--json").stdout)
    assert again["adopted"]["created"] == len(again["document"]["mentions"]) - 2
    assert again["adopted"]["evidence_added"] == len(again["document"]["mentions"]) - 2
    with session_scope() as session:
        names = set(session.scalars(select(Target.name)))
        assert {"Faleh al-Fayyad", "Abu Muntadher al-Husseini", "Mark Esper", "Kataib Hezbollah"} <= names
        fayyad = session.scalars(select(Target).where(Target.name == "Faleh al-Fayyad")).one()
        assert [p.code for p in fayyad.programs] == ["GLOMAG"]
        (excerpt,) = session.scalars(select(Evidence.excerpt).where(Evidence.target_id == fayyad.id))
        assert excerpt.startswith("The best way to open that campaign is by sanctioning Faleh al-Fayyad")


@pytest.mark.usefixtures("committed_db")
def test_intake_says_what_is_wrong_and_stores_nothing(tmp_path) -> None:
    missing = run_sanctrack("intake", str(tmp_path / "nope.pdf"), check=False)
    assert missing.returncode == 2 and "is not a file" in missing.stderr
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a pdf")
    refused = run_sanctrack("intake", str(fake), check=False)
    assert refused.returncode == 2 and "not one" in refused.stderr
    unknown = run_sanctrack("intake", str(brief_path()), "--adopt", "Nobody Here", check=False)
    assert unknown.returncode == 2 and "names no 'Nobody Here'" in unknown.stderr
    with session_scope() as session:
        assert session.scalars(select(Target)).all() == []
