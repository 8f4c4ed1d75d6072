"""The staff console in a real browser: sign in, add a candidate with evidence, confirm the suggested match in the
review queue, see the designation on the candidate's timeline, retry and test webhook deliveries from the alerts
page; then screenshots (desktop and phone width) and an axe accessibility check of the main pages.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Seed, Server, screenshots_dir

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = ("serious", "critical")
EVIDENCE_TITLE = "Treasury press release on the PMF chairman"
EVIDENCE_URL = "https://home.treasury.gov/news/press-releases/sm1133"


def sign_in(page: Any, server: Server, key: str) -> None:
    page.goto(server.url + "/console/login")
    page.fill("#api_key", key)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r".*/console/?$"))


def send_due_deliveries() -> dict[str, int]:
    """What the (absent) worker would do: send every due delivery, from this process, on the same database."""
    from workers.tasks import send_due_deliveries as task

    return task.run()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    return list(Axe().run(page).response.get("violations", []))


def test_review_designation_and_alerts_in_the_console(
    server: Server, seed: Seed, browser, webhook_receiver
) -> None:
    from playwright.sync_api import expect

    webhook = server.api(
        "POST",
        "/v1/webhooks",
        seed.admin_key,
        json={"url": webhook_receiver.url, "description": "browser test"},
    ).json()

    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, server, seed.admin_key)

    # A new candidate, through the form.
    page.goto(server.url + "/console/candidates/new")
    page.fill("#name", "Faleh al-Fayyad")
    page.select_option("#kind-select", "person")
    page.fill("#aliases", "Falih al-Fayyadh")
    page.fill("#nationalities", "IQ")
    page.fill("#programs-input", "GLOMAG")
    page.fill("#rationale", "Chairman of the Popular Mobilization Committee.")
    page.click("#create-candidate")
    page.wait_for_url(re.compile(r".*/console/candidates/\d+$"))
    target_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text("Faleh al-Fayyad")

    # An evidence record, through the candidate page's form (open while there is no evidence).
    page.fill("#ev-title", EVIDENCE_TITLE)
    page.select_option("#ev-source_type", index=0)
    page.fill("#ev-publisher", "U.S. Department of the Treasury")
    page.fill("#ev-url", EVIDENCE_URL)
    page.fill("#ev-published_on", "2019-12-06")
    page.fill("#ev-excerpt", "Falih al-Fayyadh ... was designated pursuant to E.O. 13818.")
    page.click("#add-evidence-submit")
    page.wait_for_url(re.compile(rf".*/console/candidates/{target_id}(#.*)?$"))
    expect(page.locator("article.evidence h3").first).to_contain_text(EVIDENCE_TITLE)

    # Creating the candidate screened it in the background (auto-link threshold above 1): entry 30242 waits as a
    # suggestion. Screening again is harmless and waits for nothing.
    server.api("POST", "/v1/screenings", seed.admin_key, json={"target_ids": [target_id]})
    links = server.api("GET", f"/v1/targets/{target_id}/links", seed.admin_key).json()
    assert [(x["list_id"], x["state"]) for x in links if x["list_id"] == "30242"] == [
        ("30242", "suggested")
    ], links

    # The review queue: confirm it by clicking.
    page.goto(server.url + "/console/review")
    card = page.locator("article.review-card", has_text="AL-FAYYADH")
    expect(card).to_have_count(1)
    link_id = card.get_attribute("data-link-id")
    folder = screenshots_dir()
    findings: dict[str, list[dict[str, Any]]] = {"review-with-card": axe_violations(page)}
    page.screenshot(path=str(folder / "review-with-card-desktop.png"), full_page=True)
    card.locator(f"#confirm-{link_id}").click()
    decided = page.locator(f"#card-{link_id}[data-decided]")
    expect(decided).to_have_attribute("data-decided", "confirmed")

    # The candidate page: the link is confirmed and the designation is on the timeline, as no news: the list held
    # the entry before the candidate was created.
    page.goto(f"{server.url}/console/candidates/{target_id}")
    expect(page.locator(f"#link-{link_id} .badge.link-confirmed")).to_have_count(1)
    expect(
        page.locator("ol.timeline .timeline-title", has_text="Already listed by OFAC since")
    ).to_have_count(1)

    # Alerts: the designation's delivery waits for the (absent) worker; Retry, then send.
    page.goto(server.url + "/console/alerts")
    row = page.locator("#deliveries-table tbody tr", has_text="target.designated")
    expect(row).to_have_count(1)
    delivery_id = (row.get_attribute("id") or "").removeprefix("delivery-")
    page.click(f"#retry-{delivery_id}")
    page.wait_for_url(re.compile(r".*/console/alerts.*"))
    expect(page.locator(".flash", has_text=f"Delivery {delivery_id} is queued")).to_have_count(1)
    send_due_deliveries()
    received = webhook_receiver.wait_for(1, timeout=10)
    bodies = [json.loads(r.body) for r in received]
    assert any(b.get("type") == "target.designated" for b in bodies), bodies

    # Send test on the webhook, then send.
    page.goto(server.url + "/console/alerts")
    page.click(f"#test-webhook-{webhook['id']}")
    page.wait_for_url(re.compile(r".*/console/alerts.*"))
    send_due_deliveries()
    received = webhook_receiver.wait_for(len(received) + 1, timeout=10)
    bodies = [json.loads(r.body) for r in received]
    assert any(b.get("type") == "webhook.test" for b in bodies), bodies
    page.goto(server.url + "/console/alerts")
    expect(page.locator("#deliveries-table tbody tr", has_text="webhook.test")).to_have_count(1)
    expect(page.locator(f"#delivery-{delivery_id} .badge.delivery-succeeded")).to_have_count(1)

    # Screenshots and accessibility of the main pages.
    pages = {
        "candidates": "/console/candidates",
        "candidate": f"/console/candidates/{target_id}",
        "review": "/console/review",
        "lists": "/console/lists",
        "alerts": "/console/alerts",
        "coverage": "/console/coverage",
    }
    for name, path in pages.items():
        page.goto(server.url + path)
        page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)
        findings[name] = axe_violations(page)
    phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
    phone_page = phone.new_page()
    for name, path in pages.items():
        phone_page.goto(server.url + path)
        phone_page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
    phone.close()
    context.close()

    anonymous = browser.new_context(viewport=DESKTOP)
    login = anonymous.new_page()
    login.goto(server.url + "/console/login")
    login.screenshot(path=str(folder / "sign-in-desktop.png"), full_page=True)
    findings["sign-in"] = axe_violations(login)
    login.set_viewport_size(PHONE)
    login.screenshot(path=str(folder / "sign-in-390.png"), full_page=True)
    anonymous.close()

    summary = {
        name: [
            {
                "id": v["id"],
                "impact": v.get("impact"),
                "help": v.get("help"),
                "targets": [n.get("target") for n in v.get("nodes", [])][:10],
            }
            for v in violations
        ]
        for name, violations in findings.items()
    }
    (folder / "axe-violations.json").write_text(json.dumps(summary, indent=2))
    blocking = {name: [v for v in vs if v["impact"] in BLOCKING_IMPACTS] for name, vs in summary.items()}
    blocking = {name: vs for name, vs in blocking.items() if vs}
    assert not blocking, f"serious or critical accessibility violations: {json.dumps(blocking, indent=2)}"
