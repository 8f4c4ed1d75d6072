"""The PDF dossier's content flows from page to page: no forced break leaves page 1 half empty before the evidence
(issue 13, item 17)."""

from __future__ import annotations

import io

import pytest

from tests.console.conftest import FAYYAD_QUOTE


def test_the_evidence_starts_on_page_one_when_there_is_room(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("weasyprint")
    pypdf = pytest.importorskip("pypdf")
    pdf = client.get(f"/v1/targets/{seed.fayyad.id}/dossier?format=pdf", headers=keys.headers("read")).content
    pages = [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    # Identity, programs and rationale take half of page 1; the evidence record follows them there.
    assert "3. Rationale" in pages[0]
    assert "4. Evidence (1)" in pages[0] and "E1. U.S.-Iraq Relations" in pages[0]
    assert " ".join(FAYYAD_QUOTE.split()[:8]) in pages[0]
    # Nothing is lost on the way: the record's facts and the later sections follow.
    whole = " ".join(pages)
    assert "SHA-256" in whole and "6. Status per authority" in whole


def test_the_project_licence_is_an_spdx_expression() -> None:
    """``project.license`` as a TOML table is deprecated (setuptools warns on every install): a string it is."""
    import tomllib

    from tests.conftest import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(project["project"]["license"], str)
    backend = next(r for r in project["build-system"]["requires"] if r.startswith("setuptools"))
    assert backend == "setuptools>=77"  # the first to take a licence expression


def test_a_dossier_renders_aliases_stored_without_script_or_language(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    """Adopted from a document, an alias is stored as {"name": ...} alone; the dossier failed on it (HTTP 500)."""
    seed.kataib.aliases = [{"name": "Kata'ib Hizballah"}]
    seed.kataib.identifiers = [{"type": "registration", "value": "123"}]
    db.add(seed.kataib)
    db.flush()
    html = client.get(f"/v1/targets/{seed.kataib.id}/dossier", headers=keys.headers("read"))
    assert (
        html.status_code == 200 and "Kata&#39;ib Hizballah" in html.text and "registration 123" in html.text
    )
