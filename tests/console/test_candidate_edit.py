"""Editing and deleting a candidate, undoing a review decision, the review count, evidence links (issue 13,
item 15). Through the console's forms with the session's CSRF token; the browser test drives the same in Chromium."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.alerts.models import TargetAuthorityStatus
from app.auth.models import AuditRecord
from app.targets.models import Target
from tests.console.conftest import ARTICLE_URL, sign_in


def _audits(db, action: str, entity_type: str) -> list[AuditRecord]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(
            select(AuditRecord).where(AuditRecord.action == action, AuditRecord.entity_type == entity_type)
        )
    )


def test_edit_a_candidate_keeps_what_the_form_does_not_show(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    form = client.get(f"/console/candidates/{seed.fayyad.id}/edit")
    assert form.status_code == 200 and 'id="save-candidate"' in form.text
    assert "فالح الفياض" in form.text and 'value="GLOMAG"' in form.text
    version = re.search(r'name="version" value="(\d+)"', form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        f"/console/candidates/{seed.fayyad.id}/edit",
        data={
            "csrf_token": token,
            "version": version,
            "kind": "person",
            "name": "Falih al-Fayyadh",
            "aliases": "Faleh al-Fayyad\nفالح الفياض",
            "birth_dates": "1956",
            "nationalities": "IQ",
            "programs": "GLOMAG",
            "tags": "iraq, pmf, nsa",
            "rationale": "National security adviser; PMF chairman.",
            "owner": "desk-iraq",
            "status": "candidate",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    db.expire_all()
    target = db.get(Target, seed.fayyad.id)
    assert target.name == "Falih al-Fayyadh" and target.owner == "desk-iraq" and "nsa" in target.tags
    assert [a["name"] for a in target.aliases] == ["Faleh al-Fayyad", "فالح الفياض"]
    assert target.version > int(version)
    [record] = _audits(db, "update", "target")
    assert record.before["name"] == "Faleh al-Fayyad" and record.after["name"] == "Falih al-Fayyadh"
    history = client.get(f"/console/candidates/{seed.fayyad.id}").text
    assert "Candidate edited" in history and "changed name" in history


def test_a_bad_edit_is_shown_on_the_form_and_a_stale_one_refused(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    base = {"csrf_token": token, "kind": "person", "name": "Ali Taqi", "status": "candidate"}
    bad = client.post(f"/console/candidates/{seed.taqi.id}/edit", data={**base, "nationalities": "ZZ"})
    assert bad.status_code == 422 and "ISO 3166-1" in bad.text and 'value="ZZ"' in bad.text
    # At the field: described by its hint and its message, marked invalid, focused.
    assert re.search(
        r'id="nationalities"[^>]*aria-describedby="nationalities-hint nationalities-error" aria-invalid="true" '
        r"autofocus",
        bad.text,
    )
    assert 'id="nationalities-error"' in bad.text and bad.text.count("autofocus") == 1
    stale = client.post(f"/console/candidates/{seed.taqi.id}/edit", data={**base, "version": "99"})
    assert stale.status_code == 412 and "version" in stale.text
    db.expire_all()
    assert db.get(Target, seed.taqi.id).version == 1


def test_delete_a_candidate_from_its_page(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    page = client.get(f"/console/candidates/{seed.husseini.id}").text
    assert f'action="/console/candidates/{seed.husseini.id}/delete"' in page
    without_token = client.post(f"/console/candidates/{seed.husseini.id}/delete", data={"version": "1"})
    assert without_token.status_code == 403
    response = client.post(
        f"/console/candidates/{seed.husseini.id}/delete",
        data={"csrf_token": token, "version": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console/candidates"
    listing = client.get("/console/candidates").text  # with the flash saying what was deleted
    assert "Deleted candidate" in listing and f'id="candidate-{seed.husseini.id}"' not in listing
    assert [r.entity_id for r in _audits(db, "delete", "target")] == [str(seed.husseini.id)]
    sign_in(client, keys.raw["read"])
    read_only = client.get(f"/console/candidates/{seed.kataib.id}").text
    assert "/delete" not in read_only and "/edit" not in read_only


def test_undo_a_confirmation_puts_the_match_back_in_the_queue(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    page = client.get(f"/console/candidates/{seed.kataib.id}").text
    assert f'action="/console/review/{seed.confirmed.id}/undo"' in page and "Undo confirmation" in page
    no_reason = client.post(
        f"/console/review/{seed.confirmed.id}/undo", data={"csrf_token": token, "reason": " "}
    )
    assert no_reason.status_code == 422
    response = client.post(
        f"/console/review/{seed.confirmed.id}/undo",
        data={"csrf_token": token, "reason": "Confirmed against the wrong entry"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/candidates/{seed.kataib.id}#link-{seed.confirmed.id}"
    db.expire_all()
    assert seed.confirmed.state == "suggested" and seed.confirmed.reviewed_by is None
    [record] = _audits(db, "undo", "link")
    assert record.before["state"] == "confirmed" and record.note == "Confirmed against the wrong entry"
    # The confirmation was what made OFAC's listing count: it no longer does.
    status = db.scalar(
        select(TargetAuthorityStatus).where(
            TargetAuthorityStatus.target_id == seed.kataib.id, TargetAuthorityStatus.authority == "OFAC"
        )
    )
    assert status.status == "not_listed"
    assert f'id="card-{seed.confirmed.id}"' in client.get("/console/review").text
    history = client.get(f"/console/candidates/{seed.kataib.id}").text
    assert "Review decision undone" in history and "Confirmed against the wrong entry" in history
    again = client.post(
        f"/console/review/{seed.confirmed.id}/undo", data={"csrf_token": token, "reason": "twice"}
    )
    assert again.status_code == 409  # a suggestion has no decision to undo


def test_the_review_count_follows_each_decision_to_the_last(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    assert re.search(r'id="review-count"[^>]*>\(1\)<', client.get("/console/review").text)
    htmx = {"HX-Request": "true", "X-CSRF-Token": token, "HX-Target": f"card-{seed.suggested.id}"}
    done = client.post(f"/console/review/{seed.suggested.id}/confirm", data={"reason": ""}, headers=htmx)
    assert done.status_code == 200
    # Out of band: the count, and after the last one, that nothing is left.
    assert re.search(r'id="review-count" hx-swap-oob="true"[^>]*>\(0\)<', done.text)
    assert 'id="review-empty-slot" hx-swap-oob="true"' in done.text and "Nothing to review" in done.text
    undone = client.post(
        f"/console/review/{seed.suggested.id}/undo", data={"reason": "clicked too fast"}, headers=htmx
    )
    assert undone.status_code == 200 and f'id="confirm-{seed.suggested.id}"' in undone.text
    assert re.search(r'id="review-count" hx-swap-oob="true"[^>]*>\(1\)<', undone.text)


def test_evidence_urls_are_safe_links(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    from app.targets.models import Evidence

    sign_in(client, keys.raw["read"])
    page = client.get(f"/console/candidates/{seed.fayyad.id}").text
    assert f'<a href="{ARTICLE_URL}" rel="noopener noreferrer" target="_blank">{ARTICLE_URL}</a>' in page
    # A URL stored before validation, or by another path: shown as text, never as a javascript: link.
    seed.evidence.url = "javascript:alert(1)"
    db.add(seed.evidence)
    db.flush()
    page = client.get(f"/console/candidates/{seed.fayyad.id}").text
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page
    assert db.get(Evidence, seed.evidence.id) is not None
