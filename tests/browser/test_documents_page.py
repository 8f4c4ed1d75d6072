"""From a document, in a real browser: upload the seed brief, see who it names and what the list holds, tick two
names, adopt them; the candidates exist with the brief's sentences as evidence, and the page says so."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, Seed, Server
from tests.browser.test_console_flow import axe_violations, sign_in
from tests.documents.conftest import brief_path

pytestmark = pytest.mark.browser


def test_upload_tick_and_adopt(server: Server, seed: Seed, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, server, seed.admin_key)

    page.click("#nav-documents")
    page.set_input_files("#document-file", str(brief_path()))
    page.click("#read-document", no_wait_after=True)
    # The first document a server reads also loads the matcher's data, which takes a while on a busy machine.
    page.wait_for_url(re.compile(r".*/console/documents/\d+$"), timeout=120_000)
    expect(page.locator("h1")).to_have_text("U.S.-Iraq Relations at a Crossroads: Policy Options")

    def row(name: str):  # type: ignore[no-untyped-def]
        return page.locator("#mentions tbody tr").filter(
            has=page.locator(f'input[aria-label="Adopt {name}"]')
        )

    fayyad = row("Faleh al-Fayyad")
    # The seeded publication holds entry 30242 AL-FAYYADH, Falih, listed under GLOMAG on 2019-12-06.
    expect(fayyad).to_contain_text("listed by OFAC")
    expect(fayyad).to_contain_text("the longtime national security advisor")
    expect(row("Mark Esper")).to_contain_text("listed by no one")
    for not_a_name in ("Treasury Department", "Global Magnitsky Act", "Iraq", "Washington"):
        assert page.get_by_label(f"Adopt {not_a_name}", exact=True).count() == 0
    assert axe_violations_blocking(page) == []

    page.get_by_label("Adopt Faleh al-Fayyad").check()
    page.get_by_label("Adopt Abu Muntadher al-Husseini").check()
    page.fill("#adopt-programs", "GLOMAG")
    page.select_option("#adopt-allegation", "human_rights_abuse")
    page.click("#adopt")
    expect(page.locator(".flash")).to_contain_text("Adopted 2: 2 new candidate(s), 2 evidence record(s)")
    candidate_link = row("Faleh al-Fayyad").locator("a")
    expect(candidate_link).to_have_text(re.compile(r"candidate \d+"))

    # The candidates exist, with the brief cited: through the API, as any client sees them.
    candidates = server.api("GET", "/v1/targets?q=al-Husseini", seed.admin_key).json()["items"]
    assert [(c["name"], c["programs"], c["evidence_count"]) for c in candidates] == [
        ("Abu Muntadher al-Husseini", ["GLOMAG"], 1)
    ]
    assert [a["name"] for a in candidates[0]["aliases"]] == ["Tahseen Abid Murat al-Abboudi"]
    evidence = server.api("GET", f"/v1/targets/{candidates[0]['id']}/evidence", seed.admin_key).json()
    records = evidence if isinstance(evidence, list) else evidence["items"]
    assert records[0]["allegation"] == "human_rights_abuse"
    assert "(birth name Tahseen Abid Murat al-Abboudi)" in records[0]["excerpt"]
    candidate_link.click()
    expect(page.locator("h1")).to_contain_text("Faleh al-Fayyad")
    context.close()


def axe_violations_blocking(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [v["id"] for v in axe_violations(page) if v.get("impact") in ("serious", "critical")]
