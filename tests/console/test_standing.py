"""Standings say "no list loaded" where no list of the authority is held, and say it the same way everywhere:
console pages, the dossier (HTML and PDF), the coverage CSV and the API (issue 13, item 3)."""

from __future__ import annotations

import io
import re

import pytest

from app.targets.models import AUTHORITIES
from tests.console.conftest import sign_in
from tests.console.test_console import load_a_uk_list


def _dossier_rows(html: str) -> dict[str, str]:
    """Authority → the status cell's text, from the dossier's "Status per authority" table."""
    table = html[html.index('id="standing"') :]
    return dict(re.findall(r"<tr><td>(\w+)</td><td class=\"status-\w+\">([^<]+)</td>", table))


def test_the_dossier_says_no_list_loaded_where_no_list_is_held(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    # The seed holds OFAC's list only (the UK publication is held, not current).
    html = client.get(f"/v1/targets/{seed.kataib.id}/dossier", headers=keys.headers("read")).text
    rows = _dossier_rows(html)
    assert set(rows) == set(AUTHORITIES)
    assert rows["OFAC"] == "listed"
    assert {rows[a] for a in AUTHORITIES if a != "OFAC"} == {"no list loaded"}
    assert "whether it lists" in html  # the note that says what "no list loaded" means

    load_a_uk_list(db)
    rows = _dossier_rows(
        client.get(f"/v1/targets/{seed.kataib.id}/dossier", headers=keys.headers("read")).text
    )
    assert rows["UK"] == "not listed" and rows["EU"] == "no list loaded"


def test_the_pdf_dossier_says_the_same(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("weasyprint")
    pypdf = pytest.importorskip("pypdf")
    pdf = client.get(f"/v1/targets/{seed.kataib.id}/dossier?format=pdf", headers=keys.headers("read")).content
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    standing = re.sub(r"\s+", " ", text[text.index("Status per authority") :])
    assert "EU no list loaded" in standing and "UN no list loaded" in standing
    assert "EU not listed" not in standing


def test_the_api_gives_every_authoritys_standing(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    body = client.get(f"/v1/targets/{seed.kataib.id}", headers=keys.headers("read")).json()
    assert body["standing"] == {a: "listed" if a == "OFAC" else "no_list" for a in AUTHORITIES}
    load_a_uk_list(db)
    page = client.get("/v1/targets?q=Kataib", headers=keys.headers("read")).json()
    assert page["items"][0]["standing"]["UK"] == "not_listed"


def test_console_pages_and_csv_use_the_same_standings(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["read"])
    page = client.get(f"/console/candidates/{seed.kataib.id}").text
    assert 'title="EU: no list loaded"' in page and 'title="OFAC: listed"' in page
    assert "not listed" not in page  # no list is loaded but OFAC's, which lists it
    coverage = client.get("/console/coverage").text
    row = coverage[coverage.index(f'<tr id="coverage-{seed.kataib.id}">') :]
    cells = re.findall(
        r'<td class="center cell-(\w+)[^"]*">([^<]*<span[^>]*>[^<]*</span>[^<]*)</td>',
        row[: row.index("</tr>")],
    )
    assert {re.sub(r"<[^>]+>", "", text).strip() for standing, text in cells if standing == "no_list"} == {
        "? no list loaded"
    }
    assert [standing for standing, _ in cells] == [
        "listed" if a == "OFAC" else "no_list" for a in AUTHORITIES
    ]
    lines = client.get("/console/coverage.csv").text.splitlines()
    header, kataib = lines[0].split(","), next(line for line in lines if "Kataib" in line).split(",")
    assert {header[i]: kataib[i] for i in range(4, 4 + len(AUTHORITIES))} == {
        a: "listed" if a == "OFAC" else "no_list" for a in AUTHORITIES
    }
