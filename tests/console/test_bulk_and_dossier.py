"""Bulk import and export of candidates, and the dossier, over the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import zlib

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.auth.models import AuditRecord
from app.targets.models import Target
from tests.console.conftest import ARTICLE_SHA256, ARTICLE_URL, FAYYAD_QUOTE

CSV_WITH_A_BAD_ROW = (
    "kind,name,aliases,birth_dates,nationalities,programs,tags,rationale,owner\n"
    "person,Faleh al-Fayyad,Falih al-Fayyadh;فالح الفياض,1956,IQ,GLOMAG,iraq;pmf,"
    '"Abetted attacks on Iraqi protesters, per the Washington Institute brief",\n'
    "person,Ali Taqi,,,ZZ,,iraq;airport,Directs Baghdad International Airport,\n"
    "organization,Kataib Hezbollah,Kata'ib Hizballah,,,SDGT;FTO,iraq;militia,,desk-iraq\n"
)


def pdf_page_count(pdf: bytes) -> int:
    """Page objects in a PDF, looking inside compressed object streams too (WeasyPrint writes those)."""
    parts = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", part)) for part in parts)


def _import(client, keys, body, content_type="text/csv", query=""):  # type: ignore[no-untyped-def]
    return client.post(
        f"/v1/targets:import{query}",
        content=body.encode(),
        headers={**keys.headers("write"), "Content-Type": content_type},
    )


def test_import_csv_keeps_good_rows_and_reports_the_bad_one(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    response = _import(client, keys, CSV_WITH_A_BAD_ROW)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["rejected"]) == (2, 1)
    bad = report["rows"][1]
    assert bad["row"] == 3 and bad["status"] == "rejected" and bad["name"] == "Ali Taqi"
    assert bad["errors"] == [
        "nationalities: 'ZZ' is not an ISO 3166-1 alpha-2 country code (e.g. IQ, IR, GB)"
    ]
    names = {t.name: t for t in db.scalars(select(Target))}
    assert set(names) == {"Faleh al-Fayyad", "Kataib Hezbollah"}
    assert [a["name"] for a in names["Faleh al-Fayyad"].aliases] == ["Falih al-Fayyadh", "فالح الفياض"]
    assert names["Kataib Hezbollah"].owner == "desk-iraq" and names["Faleh al-Fayyad"].owner == "test-write"
    assert {p.code for p in names["Kataib Hezbollah"].programs} == {"SDGT", "FTO"}
    created_audits = db.scalars(select(AuditRecord).where(AuditRecord.action == "create")).all()
    assert len(created_audits) == 2 and all(a.actor.endswith(":test-write") for a in created_audits)


def test_importing_the_corrected_file_again_skips_what_exists(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    _import(client, keys, CSV_WITH_A_BAD_ROW)
    fixed = CSV_WITH_A_BAD_ROW.replace(",ZZ,", ",IQ,")
    report = _import(client, keys, fixed).json()
    assert (report["created"], report["rejected"], report["duplicates"]) == (1, 0, 2)
    assert len(db.scalars(select(Target)).all()) == 3


def test_import_json_and_unknown_program_and_dry_run(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {
            "kind": "person",
            "name": "Abu Muntadher al-Husseini",
            "aliases": ["Tahseen Abid Murat al-Abboudi"],
            "nationalities": ["IQ"],
            "tags": ["badr"],
        },
        {"kind": "person", "name": "Ali Taqi", "programs": ["NOPE"]},
        "not an object",
        {"kind": "person", "name": "Ali Taqi", "unexpected": 1},
    ]
    dry = _import(client, keys, json.dumps(rows), "application/json", "?dry_run=true").json()
    assert dry["dry_run"] is True and dry["valid"] == 1 and dry["rejected"] == 3
    assert db.scalars(select(Target)).all() == []
    report = _import(client, keys, json.dumps(rows), "application/json").json()
    assert [r["status"] for r in report["rows"]] == ["created", "rejected", "rejected", "rejected"]
    assert "unknown program 'NOPE'" in report["rows"][1]["errors"][0]
    assert report["rows"][2]["errors"] == ["the row is not an object"]
    assert report["rows"][3]["errors"] == ["unexpected: Extra inputs are not permitted"]
    assert [t.name for t in db.scalars(select(Target))] == ["Abu Muntadher al-Husseini"]


def test_import_as_multipart_upload_and_refusals(client, keys) -> None:  # type: ignore[no-untyped-def]
    upload = client.post(
        "/v1/targets:import",
        headers=keys.headers("write"),
        files={"file": ("targets.csv", CSV_WITH_A_BAD_ROW.encode(), "text/csv")},
    )
    assert upload.status_code == 200 and upload.json()["created"] == 2
    assert (
        client.post(
            "/v1/targets:import",
            content=b"kind,name\n",
            headers={**keys.headers("read"), "Content-Type": "text/csv"},
        ).status_code
        == 403
    )
    bad_header = _import(client, keys, "kind,name,colour\nperson,X,red\n")
    assert bad_header.status_code == 422 and "unknown CSV column(s) 'colour'" in bad_header.json()["detail"]
    assert _import(client, keys, "{", "application/json").status_code == 422
    assert _import(client, keys, "").status_code == 422


def test_export_round_trip(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    _import(client, keys, CSV_WITH_A_BAD_ROW)
    client.post(
        "/v1/targets",
        headers=keys.headers("write"),
        json={
            "kind": "person",
            "name": "Abu Muntadher al-Husseini",
            "aliases": [{"name": "أبو منتظر الحسيني", "script": "Arab", "lang": "ar"}],
            "identifiers": [{"type": "national_id", "value": "00123", "country": "IQ"}],
            "programs": ["UK:Iraq"],
            "birth_places": ["Baghdad"],
        },
    )
    exported = client.get("/v1/targets:export?format=json", headers=keys.headers("read"))
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/json"
    records = exported.json()
    assert [r["name"] for r in records] == [
        "Faleh al-Fayyad",
        "Kataib Hezbollah",
        "Abu Muntadher al-Husseini",
    ]
    assert records[2]["programs"] == ["UK:Iraq"]  # a shared code keeps its authority
    again = client.post(
        "/v1/targets:import?allow_duplicates=true", headers=keys.headers("write"), json=records
    ).json()
    assert again["created"] == 3 and again["rejected"] == 0
    second = client.get("/v1/targets:export?format=json", headers=keys.headers("read")).json()
    assert second[3:] == records

    as_csv = client.get("/v1/targets:export?format=csv", headers=keys.headers("read"))
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows[0]["aliases"] == "Falih al-Fayyadh; فالح الفياض" and rows[0]["nationalities"] == "IQ"
    dry = client.post(
        "/v1/targets:import?dry_run=true&allow_duplicates=true",
        content=as_csv.content,
        headers={**keys.headers("write"), "Content-Type": "text/csv"},
    ).json()
    assert dry["valid"] == 6 and dry["rejected"] == 0


def test_export_quotes_cells_a_spreadsheet_would_run(client, keys) -> None:  # type: ignore[no-untyped-def]
    client.post(
        "/v1/targets",
        headers=keys.headers("write"),
        json={"kind": "organization", "name": '=HYPERLINK("http://example.org")', "rationale": "-1+1"},
    )
    text = client.get("/v1/targets:export?format=csv", headers=keys.headers("read")).text
    assert "'=HYPERLINK" in text and ",'-1+1," in text
    report = _import(client, keys, text, query="?dry_run=true&allow_duplicates=true").json()
    assert report["valid"] == 1 and report["rows"][0]["name"] == '=HYPERLINK("http://example.org")'


def test_dossier_html_has_the_quote_the_full_citation_and_the_standing(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/v1/targets/{seed.fayyad.id}/dossier", headers=keys.headers("read"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert FAYYAD_QUOTE in html
    assert (
        "Michael Knights, “U.S.-Iraq Relations at a Crossroads: Policy Options”, The Washington Institute, "
        f"2 January 2020, {ARTICLE_URL} (accessed 1 March 2024)."
    ) in html
    assert ARTICLE_SHA256 in html and "B: usually reliable" in html
    assert "فالح الفياض" in html and "Global Magnitsky" in html
    assert "AL-FAYYADH, Falih" in html and "Suggested, not yet reviewed" in html
    for authority in ("OFAC", "UN", "UK", "EU"):
        assert f"<td>{authority}</td>" in html
    kataib = client.get(
        f"/v1/targets/{seed.kataib.id}/dossier?format=html", headers=keys.headers("read")
    ).text
    assert "Confirmed by an analyst" in kataib and 'class="status-listed">listed' in kataib
    assert client.get("/v1/targets/999999/dossier", headers=keys.headers("read")).status_code == 404
    assert client.get(f"/v1/targets/{seed.fayyad.id}/dossier").status_code == 401


def test_dossier_pdf_starts_with_the_pdf_header_and_has_pages(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("weasyprint")
    by_query = client.get(f"/v1/targets/{seed.fayyad.id}/dossier?format=pdf", headers=keys.headers("read"))
    by_accept = client.get(
        f"/v1/targets/{seed.fayyad.id}/dossier", headers={**keys.headers("read"), "Accept": "application/pdf"}
    )
    for response in (by_query, by_accept):
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert pdf_page_count(response.content) >= 1
    assert f"candidate-{seed.fayyad.id}-dossier.pdf" in by_query.headers["content-disposition"]


def test_console_dossier_links(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import sign_in

    sign_in(client, keys.raw["read"])
    html = client.get(f"/console/candidates/{seed.fayyad.id}/dossier")
    assert html.status_code == 200 and FAYYAD_QUOTE in html.text
    pytest.importorskip("weasyprint")
    pdf = client.get(f"/console/candidates/{seed.fayyad.id}/dossier.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


# ---- the CLI ----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("committed_db")
def test_cli_import_export_and_dossier(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.targets.cli import targets_app

    runner = CliRunner()
    source = tmp_path / "candidates.csv"
    source.write_text(CSV_WITH_A_BAD_ROW, encoding="utf-8")
    dry = runner.invoke(targets_app, ["import", str(source), "--dry-run"])
    assert dry.exit_code == 2 and "2 would be created, 1 rejected" in dry.output
    done = runner.invoke(targets_app, ["import", str(source), "--json"])
    assert done.exit_code == 2
    report = json.loads(done.stdout)
    assert (report["created"], report["rejected"]) == (2, 1) and report["rows"][1]["row"] == 3

    exported = tmp_path / "out.json"
    assert (
        runner.invoke(targets_app, ["export", "--format", "json", "--output", str(exported)]).exit_code == 0
    )
    records = json.loads(exported.read_text(encoding="utf-8"))
    assert [r["name"] for r in records] == ["Faleh al-Fayyad", "Kataib Hezbollah"]
    stdout_csv = runner.invoke(targets_app, ["export"])
    assert stdout_csv.exit_code == 0 and stdout_csv.stdout.startswith("kind,name,aliases")

    target_id = str(records and _id_of("Faleh al-Fayyad"))
    html = runner.invoke(targets_app, ["dossier", target_id, "--format", "html"])
    assert html.exit_code == 0 and "Faleh al-Fayyad" in html.stdout
    pdf_path = tmp_path / "dossier.pdf"
    pdf = runner.invoke(targets_app, ["dossier", target_id, "--output", str(pdf_path)])
    if pdf.exit_code == 0:
        assert pdf_path.read_bytes().startswith(b"%PDF-")
    else:  # only where WeasyPrint or Pango is missing, and then it says so
        assert "PDF rendering needs WeasyPrint" in pdf.output
    missing = runner.invoke(targets_app, ["dossier", "424242", "--format", "html"])
    assert missing.exit_code == 1 and "no candidate target with id 424242" in missing.output


def _id_of(name: str) -> int:
    from app.db import session_scope

    with session_scope() as session:
        return session.scalars(select(Target.id).where(Target.name == name)).one()


def test_new_commands_have_an_example_in_their_help() -> None:
    from app.targets.cli import targets_app

    runner = CliRunner()
    for command in ("import", "export", "dossier"):
        result = runner.invoke(targets_app, [command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, command
