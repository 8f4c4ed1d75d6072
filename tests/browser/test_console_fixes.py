"""What a first user found in the console, checked in Chromium (issue 13): Arabic aliases isolated (item 5), the
"Why this matched" bars labelled (item 7), the evidence form's error focused at its field (item 8), and editing,
deleting, undoing a decision, the review count, evidence links and the favicon (item 15).

The data is the console tests' (the Washington Institute brief's candidates, list entries and links as rows),
committed so that the server process sees it; the module's ``seed`` fixture replaces the one of
tests/browser/conftest.py for these tests.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, Seed, Server, screenshots_dir
from tests.browser.test_console_flow import BLOCKING_IMPACTS, axe_violations, sign_in

pytestmark = pytest.mark.browser

KHAZALI_ARABIC = "قيس الخزعلي"


@pytest.fixture
def seed(committed_db) -> Seed:  # type: ignore[no-untyped-def]
    """An admin key, the console tests' data, and a candidate whose first alias is in Arabic script."""
    from app.auth.service import create_key
    from app.db import session_scope
    from tests.console.conftest import add_target, seed_data

    with session_scope() as session:
        _, raw = create_key(session, name="browser-admin", scope="admin")
        data = seed_data(session)
        add_target(
            session,
            kind="person",
            name="Qays al-Khazali",
            aliases=[KHAZALI_ARABIC, "Qais al-Khazali"],
            nationalities=["IQ"],
            tags=["aah"],
        )
        ids = {"fayyad": data.fayyad.id, "kataib": data.kataib.id, "taqi": data.taqi.id}
        ids |= {"suggested": data.suggested.id, "confirmed": data.confirmed.id, "husseini": data.husseini.id}
    seed = Seed(admin_key=raw, publication_entries=0)
    seed.ids = ids  # type: ignore[attr-defined]
    return seed


def _open(browser: Any, server: Server, seed: Seed) -> tuple[Any, Any]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, server, seed.admin_key)
    return context, page


def _blocking(page: Any) -> list[dict[str, Any]]:
    return [
        {"id": v["id"], "targets": [n.get("target") for n in v.get("nodes", [])][:5]}
        for v in axe_violations(page)
        if v.get("impact") in BLOCKING_IMPACTS
    ]


def test_aliases_bars_and_the_evidence_error(server: Server, seed: Seed, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    ids = seed.ids  # type: ignore[attr-defined]
    folder = screenshots_dir()
    context, page = _open(browser, server, seed)

    # Item 5: the Arabic alias first does not turn the cell right-to-left: it stays on the left, the Latin one
    # after it on the right, each isolated.
    page.goto(server.url + "/console/candidates?q=Khazali")
    names = page.locator("#candidates-table .aliases bdi")
    expect(names).to_have_count(2)
    arabic, latin = names.nth(0), names.nth(1)
    expect(arabic).to_have_text(KHAZALI_ARABIC)
    page.screenshot(path=str(folder / "issue13-candidates-arabic-alias.png"), full_page=True)
    cell = page.locator("#candidates-table .aliases")
    assert cell.evaluate("e => getComputedStyle(e).direction") == "ltr"
    # Where each name starts on screen (its first line box, should it wrap).
    start = "e => { const r = e.getClientRects()[0]; return {x: r.x, y: r.y, right: r.right}; }"
    box, first, second = cell.bounding_box(), arabic.evaluate(start), latin.evaluate(start)
    if abs(first["y"] - second["y"]) < 2:  # on one line: in reading order, left to right
        assert abs(first["x"] - box["x"]) < 1 and first["right"] <= second["x"]
    else:  # on lines of their own: each starts at the left
        assert first["y"] < second["y"] and abs(second["x"] - box["x"]) < 1

    # Item 7: each feature's contribution, labelled; a fact that agrees says so; no line for what did not apply.
    page.goto(f"{server.url}/console/candidates/{ids['fayyad']}")
    card = page.locator(f"#link-{ids['suggested']}")
    card.locator("summary", has_text="Why this matched").click()
    lines = card.locator("ul.features li")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("Name")
    expect(lines.nth(0)).to_contain_text("+0.94")
    expect(lines.nth(1)).to_contain_text("Date of birth ✓ agrees")
    expect(lines.nth(1)).to_contain_text("+0.04")
    expect(lines.nth(1)).to_contain_text("born 1956, listed 1956 (same year)")
    expect(lines.nth(2)).to_contain_text("Nationality ✓ agrees")
    expect(card.locator("ul.features")).not_to_contain_text("Kind")
    expect(card.locator("ul.features")).not_to_contain_text("%")
    # The bars: the name's the longest, drawn in the colour of what speaks for the match.
    widths = [
        float(w)
        for w in card.locator("ul.features svg rect").evaluate_all(
            "rs => rs.map(r => r.getAttribute('width'))"
        )
    ]
    assert widths[0] == 100.0 and 0 < widths[1] < widths[0]
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(folder / "issue13-why-this-matched.png"), full_page=True)
    assert not _blocking(page), _blocking(page)

    # Item 8: a date in the future is refused by the server: the page comes back at the form, the date field
    # focused, in view, marked invalid and described by the message.
    page.goto(f"{server.url}/console/candidates/{ids['taqi']}")
    page.fill("#ev-title", "Airport ground handling contract")
    page.fill("#ev-published_on", "2999-01-01")
    page.click("#add-evidence-submit")
    page.wait_for_load_state()
    field = page.locator("#ev-published_on")
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby")
    expect(page.locator(f"#{described}")).to_have_text("date is in the future")
    expect(page.locator("#ev-title")).to_have_value("Airport ground handling contract")
    page.screenshot(path=str(folder / "issue13-evidence-error.png"))
    assert not _blocking(page), _blocking(page)
    context.close()


def test_edit_delete_undo_review_count_links_and_icon(server: Server, seed: Seed, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    ids = seed.ids  # type: ignore[attr-defined]
    folder = screenshots_dir()
    context, page = _open(browser, server, seed)

    # The icon: named by the pages, served by the service.
    page.goto(server.url + "/console")
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    response = page.request.get(server.url + icon)
    assert response.status == 200 and response.headers["content-type"] == "image/x-icon"

    # Edit a candidate.
    page.goto(f"{server.url}/console/candidates/{ids['taqi']}")
    page.click("#edit-candidate")
    page.wait_for_url(re.compile(rf".*/console/candidates/{ids['taqi']}/edit$"))
    expect(page.locator("#name")).to_have_value("Ali Taqi")
    page.fill("#name", "Ali Taqi al-Badri")
    page.fill("#tags-input", "iraq, airport, badr")
    page.screenshot(path=str(folder / "issue13-edit-candidate.png"), full_page=True)
    assert not _blocking(page), _blocking(page)
    page.click("#save-candidate")
    page.wait_for_url(re.compile(rf".*/console/candidates/{ids['taqi']}$"))
    expect(page.locator("h1")).to_have_text("Ali Taqi al-Badri")
    expect(page.locator("ol.timeline .timeline-title", has_text="Candidate edited")).to_have_count(1)

    # Evidence URLs are links that open apart and tell the site nothing.
    page.goto(f"{server.url}/console/candidates/{ids['fayyad']}")
    link = page.locator("article.evidence .citation a")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert (link.get_attribute("href") or "").startswith("https://www.washingtoninstitute.org/")

    # Undo the confirmation of Kataib Hezbollah's match: it waits in the queue again, the count says 2.
    page.goto(f"{server.url}/console/candidates/{ids['kataib']}")
    page.locator(f"#undo-{ids['confirmed']} summary").click()
    page.fill(f"#undo-reason-{ids['confirmed']}", "Confirmed against the wrong entry")
    page.click(f"#undo-submit-{ids['confirmed']}")
    page.wait_for_url(re.compile(rf".*/console/candidates/{ids['kataib']}#link-{ids['confirmed']}$"))
    expect(page.locator(f"#link-{ids['confirmed']} .badge.link-suggested")).to_have_count(1)
    expect(page.locator("ol.timeline .timeline-title", has_text="Review decision undone")).to_have_count(1)

    # The queue: deciding both updates the count, down to 0, and says nothing is left; an undo brings one back.
    page.goto(server.url + "/console/review")
    count = page.locator("#review-count")
    expect(count).to_have_text("(2)")
    for link_id, reason in ((ids["suggested"], ""), (ids["confirmed"], "Same organization, FTO 2009")):
        page.fill(f"#reason-{link_id}", reason)
        page.click(f"#confirm-{link_id}")
        expect(page.locator(f"#card-{link_id}[data-decided]")).to_have_attribute("data-decided", "confirmed")
    expect(count).to_have_text("(0)")
    expect(page.locator("#review-empty")).to_be_visible()
    page.screenshot(path=str(folder / "issue13-review-after-the-last.png"), full_page=True)
    page.fill(f"#undo-reason-{ids['suggested']}", "clicked too fast")
    page.click(f"#undo-{ids['suggested']}")
    expect(page.locator(f"#confirm-{ids['suggested']}")).to_be_visible()
    expect(count).to_have_text("(1)")
    expect(page.locator("#review-empty")).to_have_count(0)
    assert not _blocking(page), _blocking(page)

    # Delete a candidate.
    page.goto(f"{server.url}/console/candidates/{ids['husseini']}")
    page.locator("#delete-candidate summary").click()
    page.click("#delete-submit")
    page.wait_for_url(re.compile(r".*/console/candidates$"))
    expect(page.locator(".flash", has_text="Deleted candidate")).to_have_count(1)
    expect(page.locator(f"#candidate-{ids['husseini']}")).to_have_count(0)
    context.close()
