"""The staff console over HTTP: sign-in, CSRF, scopes, every page with real data, and each action audited."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from app.auth.models import ApiKey, AuditRecord
from app.console import security
from app.console.security import COOKIE_NAME
from app.matching.models import Link
from app.targets.models import AUTHORITIES, Evidence, Target
from tests.console.conftest import ARTICLE_URL, FAYYAD_QUOTE, csrf_token, sign_in


def _key(db, scope: str) -> ApiKey:  # type: ignore[no-untyped-def]
    return db.scalars(select(ApiKey).where(ApiKey.name == f"test-{scope}")).one()


def _audits(db, action: str, entity_type: str) -> list[AuditRecord]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(
            select(AuditRecord).where(AuditRecord.action == action, AuditRecord.entity_type == entity_type)
        )
    )


# ---- signing in -------------------------------------------------------------------------------------------------


def test_pages_send_a_signed_out_browser_to_the_sign_in_form(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/console/candidates?tag=iraq", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%2Fcandidates%3Ftag%3Diraq"
    form = client.get(response.headers["location"])
    assert form.status_code == 200
    assert 'id="api_key"' in form.text and '<label for="api_key">' in form.text


def test_sign_in_keeps_key_id_and_scope_in_a_signed_cookie_never_the_key(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/console/login")
    response = client.post(
        "/console/login",
        data={"api_key": keys.raw["write"], "csrf_token": token, "next": "/console/coverage"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console/coverage"
    set_cookie = response.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie and "Path=/console" in set_cookie
    cookie = client.cookies[COOKIE_NAME]
    payload = security._serializer().loads(cookie)
    assert payload["key_id"] == _key(db, "write").id and payload["scope"] == "write"
    assert keys.raw["write"] not in cookie and keys.raw["write"] not in json.dumps(payload)
    assert client.get("/console").status_code == 200
    assert [r.actor for r in _audits(db, "sign_in", "console_session")] == [
        f"key:{_key(db, 'write').id}:test-write"
    ]


def test_a_tampered_cookie_is_worth_nothing(client, keys) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["read"])
    value = client.cookies[COOKIE_NAME]
    client.cookies.set(
        COOKIE_NAME, value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1], path="/console"
    )
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_wrong_key_is_refused_on_the_form(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/console/login")
    response = client.post("/console/login", data={"api_key": "stk_not-a-real-key", "csrf_token": token})
    assert response.status_code == 401
    assert "unknown API key" in response.text and 'aria-invalid="true"' in response.text


def test_revoked_key_ends_the_console_session_at_once(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    from app.auth.service import revoke_key
    from app.context import CLI

    sign_in(client, keys.raw["write"])
    assert client.get("/console/candidates").status_code == 200
    revoke_key(db, _key(db, "write").id, CLI)
    db.flush()
    response = client.get("/console/candidates", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console/login")
    assert "was revoked" in client.get(response.headers["location"]).text


def test_sign_out(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["read"])
    response = client.post("/console/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/console", follow_redirects=False).status_code == 303
    assert len(_audits(db, "sign_out", "console_session")) == 1


# ---- CSRF -------------------------------------------------------------------------------------------------------


def test_every_post_needs_the_session_csrf_token(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    # Sign-in itself: a forged login form from another site has no token.
    forged = client.post("/console/login", data={"api_key": keys.raw["admin"]}, follow_redirects=False)
    assert forged.status_code == 403 and "security token" in forged.text
    token = sign_in(client, keys.raw["admin"])
    target = f"/console/candidates/{seed.fayyad.id}/evidence/{seed.evidence.id}/retract"
    assert client.post(target, data={"reason": "forged"}).status_code == 403
    assert client.post(target, data={"reason": "forged", "csrf_token": "not-the-token"}).status_code == 403
    assert (
        client.post(
            f"/console/review/{seed.suggested.id}/confirm",
            data={"reason": "x"},
            headers={"X-CSRF-Token": "wrong"},
        ).status_code
        == 403
    )
    db.refresh(seed.evidence)
    assert seed.evidence.retracted_at is None
    # The same request with the token (form field or header) goes through.
    ok = client.post(
        target,
        data={"reason": "superseded by a better source"},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303


def test_pages_carry_security_headers(client, keys) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["read"])
    response = client.get("/console")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


# ---- pages with data --------------------------------------------------------------------------------------------


def test_overview_shows_what_needs_attention(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["read"])
    page = client.get("/console").text
    assert 'id="stat-review"' in page and "match to review" in page
    assert "publication held" in page
    assert 'href="#main"' in page and '<main id="main"' in page  # skip link and landmark


def test_first_run_overview_explains_the_first_steps(client, keys) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["write"])
    page = client.get("/console").text
    assert "Getting started" in page and "sanctrack targets add" in page
    assert "No candidates yet" in client.get("/console/candidates").text


def load_a_uk_list(db) -> None:  # type: ignore[no-untyped-def]
    """A current UK snapshot: the seed holds OFAC's list only, so the UK's standing would be unknown."""
    from app.lists.models import RawBlob, Snapshot

    db.add(RawBlob(sha256="d" * 64, size=100))
    db.flush()
    db.add(
        Snapshot(
            source="uk",
            status="current",
            format="xlsx",
            origin="ConList.xlsx",
            sha256="d" * 64,
            entry_count=1,
        )
    )
    db.flush()


def test_candidates_table_search_and_filters(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["read"])
    page = client.get("/console/candidates").text
    for name in ("Faleh al-Fayyad", "Kataib Hezbollah", "Abu Muntadher al-Husseini", "Ali Taqi"):
        assert name in page
    assert "4 candidates" in page
    listed = client.get("/console/candidates?authority=OFAC&standing=listed").text
    assert "Kataib Hezbollah" in listed and "Faleh al-Fayyad" not in listed and "1 candidate match" in listed
    unknown = client.get("/console/candidates?authority=UK&standing=no_list&tag=militia").text
    assert "Kataib Hezbollah" in unknown and "no list loaded" in unknown
    load_a_uk_list(db)
    uk_gap = client.get("/console/candidates?authority=UK&standing=not_listed&tag=militia").text
    assert "Kataib Hezbollah" in uk_gap and "Ali Taqi" not in uk_gap
    alias = client.get("/console/candidates?q=Abboudi").text
    assert "Abu Muntadher al-Husseini" in alias and "Ali Taqi" not in alias
    assert "Faleh al-Fayyad" in client.get("/console/candidates?program=GLOMAG").text
    assert "Ali Taqi" in client.get("/console/candidates?tag=airport").text
    # htmx asks for the results only.
    partial = client.get("/console/candidates?q=taqi", headers={"HX-Request": "true", "HX-Target": "results"})
    assert partial.text.lstrip().startswith('<section id="results"') and "Ali Taqi" in partial.text


def test_candidate_page_shows_evidence_links_explanation_and_history(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["read"])
    page = client.get(f"/console/candidates/{seed.fayyad.id}").text
    assert FAYYAD_QUOTE in page and ARTICLE_URL in page and "Michael Knights" in page
    assert "AL-FAYYADH, Falih" in page and "94% alike" in page  # which name met which
    # what corroborated
    assert "born 1956, listed 1956 (same year)" in page and "nationality IQ on both" in page
    assert "Evidence added" in page and "Candidate created" in page  # the history
    kataib = client.get(f"/console/candidates/{seed.kataib.id}").text
    assert "Designated" in kataib and "SDGT, FTO" in kataib and "confirmed" in kataib
    assert 'id="add-evidence"' not in page  # a read key sees no edit form
    assert client.get("/console/candidates/999999").status_code == 404


def test_review_queue_lists_suggestions_side_by_side(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["write"])
    page = client.get("/console/review").text
    assert f'id="card-{seed.suggested.id}"' in page and "0.93" in page
    assert "Faleh al-Fayyad" in page and "AL-FAYYADH, Falih" in page and "Baghdad, Iraq" in page
    assert f'id="confirm-{seed.suggested.id}"' in page and f'id="reject-{seed.suggested.id}"' in page
    assert f'card-{seed.confirmed.id}"' not in page  # confirmed links are not in the queue


def test_lists_page_freshness_runs_and_held_publication(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["admin"])
    page = client.get("/console/lists").text
    assert "OFAC SDN list" in page and "checked" in page and "not loaded" in page
    assert "would remove 3,120 of 3,400 entries" in page and f'id="accept-{seed.held.id}"' in page
    source = client.get("/console/lists/ofac_sdn").text
    assert source.count("<svg") == 2 and "Entries on the OFAC SDN list per publication" in source
    assert "run_2024030101" in source
    changes = client.get(f"/console/lists/snapshots/{seed.snapshot.id}").text
    assert '<ins dir="auto">KATAIB HEZBOLLAH</ins>' in changes
    assert "Linked To: ISLAMIC REVOLUTIONARY GUARD CORPS" in changes
    assert (
        client.get(f"/console/lists/snapshots/{seed.snapshot.id}?kind=removed").text.count('class="change ')
        == 0
    )
    assert client.get("/console/lists/nowhere").status_code == 404


def test_alerts_page_shows_webhook_health_and_delivery_attempts(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["admin"])
    page = client.get("/console/alerts").text
    assert "https://hooks.example.org/sanctrack" in page and "failing" in page
    assert "HTTP 503" in page and "2 attempts" in page and "98 ms" in page
    assert f'id="retry-{seed.delivery.id}"' in page and f'id="test-webhook-{seed.webhook.id}"' in page
    assert seed.webhook.secret not in page
    assert "No deliveries" in client.get("/console/alerts?status=succeeded").text


def test_coverage_shows_that_the_uk_has_not_followed_the_us(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, keys.raw["read"])
    # Only OFAC's list is loaded: the other authorities' standing is unknown, no gap can be claimed.
    unknown = client.get("/console/coverage").text
    assert "no list loaded" in unknown
    assert "Kataib Hezbollah" not in client.get("/console/coverage?gaps=1").text

    load_a_uk_list(db)
    gaps = client.get("/console/coverage?gaps=1").text
    assert "Kataib Hezbollah" in gaps and "Ali Taqi" not in gaps
    assert '<strong class="gap-text">UK</strong>' in gaps
    uk = client.get("/console/coverage?authority=UK&standing=not_listed&program=FTO").text
    assert "Kataib Hezbollah" in uk and "Faleh al-Fayyad" not in uk
    csv_response = client.get("/console/coverage.csv?gaps=1")
    assert csv_response.headers["content-type"].startswith("text/csv")
    lines = csv_response.text.strip().splitlines()
    assert lines[0] == ",".join(
        ["id", "name", "kind", "programs", *AUTHORITIES, "listed_by", "not_yet_listed_by"]
    )
    row = lines[1].split(",")
    assert row[:3] == [str(seed.kataib.id), "Kataib Hezbollah", "organization"]
    assert sorted(row[3].split(";")) == ["FTO", "SDGT"]
    known = {"OFAC": "listed", "UK": "not_listed"}
    assert row[4:] == [*(known.get(a, "no_list") for a in AUTHORITIES), "OFAC", "UK"]


# ---- scopes -----------------------------------------------------------------------------------------------------


def test_read_key_can_view_but_not_change(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["read"])
    for path in (
        "/console",
        "/console/candidates",
        f"/console/candidates/{seed.fayyad.id}",
        "/console/review",
        "/console/lists",
        "/console/lists/ofac_sdn",
        f"/console/lists/snapshots/{seed.snapshot.id}",
        "/console/alerts",
        "/console/coverage",
    ):
        assert client.get(path).status_code == 200, path
    refused = client.post(
        f"/console/candidates/{seed.fayyad.id}/evidence",
        data={"csrf_token": token, "title": "x", "source_type": "other", "allegation": "other"},
    )
    assert refused.status_code == 403 and "needs a &#39;write&#39; key" in refused.text
    assert (
        client.post(
            f"/console/review/{seed.suggested.id}/confirm", data={"csrf_token": token, "reason": "same"}
        ).status_code
        == 403
    )
    assert client.get("/console/candidates/new").status_code == 403
    assert 'id="confirm-' not in client.get("/console/review").text
    assert db.get(Link, seed.suggested.id).state == "suggested"


def test_operator_actions_need_an_admin_key(client, keys, seed) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    assert (
        client.post(f"/console/lists/snapshots/{seed.held.id}/accept", data={"csrf_token": token}).status_code
        == 403
    )
    assert (
        client.post(
            f"/console/alerts/deliveries/{seed.delivery.id}/retry", data={"csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/console/alerts/webhooks/{seed.webhook.id}/test", data={"csrf_token": token}
        ).status_code
        == 403
    )
    page = client.get("/console/lists").text
    assert f'id="accept-{seed.held.id}"' not in page and "an admin may accept" in page


# ---- actions, each audited under the signed-in key ---------------------------------------------------------------


def test_add_and_retract_evidence_from_the_candidate_page(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    actor = f"key:{_key(db, 'write').id}:test-write"
    response = client.post(
        f"/console/candidates/{seed.husseini.id}/evidence",
        data={
            "csrf_token": token,
            "title": ARTICLE_URL.rsplit("/", 1)[-1],
            "source_type": "ngo_report",
            "allegation": "attack_on_diplomatic_facility",
            "author": "Michael Knights",
            "publisher": "The Washington Institute",
            "url": ARTICLE_URL,
            "published_on": "2020-01-02",
            "accessed_on": "",
            "credibility": "B",
            "content_sha256": "",
            "excerpt": "The Iraqi government handed responsibility over the zone's security to militia officer Abu "
            "Muntadher al-Husseini (birth name Tahseen Abid Murat al-Abboudi).",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    evidence = db.scalars(select(Evidence).where(Evidence.target_id == seed.husseini.id)).one()
    assert evidence.created_by == actor and evidence.accessed_on is None
    assert [a.actor for a in _audits(db, "create", "evidence") if a.entity_id == str(evidence.id)] == [actor]
    follow = client.get(response.headers["location"]).text
    assert "Added evidence" in follow and "Tahseen Abid Murat al-Abboudi" in follow

    missing_reason = client.post(
        f"/console/candidates/{seed.husseini.id}/evidence/{evidence.id}/retract",
        data={"csrf_token": token, "reason": " "},
    )
    assert missing_reason.status_code == 422
    client.post(
        f"/console/candidates/{seed.husseini.id}/evidence/{evidence.id}/retract",
        data={"csrf_token": token, "reason": "Duplicate of the record on Ali Taqi"},
    )
    db.refresh(evidence)
    assert (
        evidence.retraction_reason == "Duplicate of the record on Ali Taqi" and evidence.retracted_by == actor
    )
    assert [a.actor for a in _audits(db, "retract", "evidence")] == [actor]


def test_evidence_form_errors_are_shown_next_to_the_fields(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    response = client.post(
        f"/console/candidates/{seed.taqi.id}/evidence",
        data={
            "csrf_token": token,
            "title": "Airport ground handling contract",
            "source_type": "news_article",
            "allegation": "corruption",
            "url": "not a url",
            "published_on": "2999-01-01",
        },
    )
    assert response.status_code == 422
    assert 'id="ev-url-error"' in response.text and 'id="ev-published_on-error"' in response.text
    # The page opens on the first field in error, which says what is wrong (the browser test looks).
    assert re.search(
        r'id="ev-url"[^>]*aria-invalid="true" aria-describedby="ev-url-error" autofocus', response.text
    )
    assert response.text.count("autofocus") == 1
    assert 'value="Airport ground handling contract"' in response.text  # what was typed is kept
    assert db.scalars(select(Evidence).where(Evidence.target_id == seed.taqi.id)).all() == []


def test_new_candidate_form(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    bad = client.post(
        "/console/candidates",
        data={"csrf_token": token, "kind": "person", "name": "Ali Taqi", "nationalities": "ZZ"},
    )
    assert bad.status_code == 422 and "ISO 3166-1" in bad.text
    response = client.post(
        "/console/candidates",
        data={
            "csrf_token": token,
            "kind": "person",
            "name": "Ali Taqi",
            "aliases": "علي تقي\nAli Taqi al-Badri",
            "nationalities": "IQ",
            "tags": "iraq, airport",
            "programs": "GLOMAG",
            "birth_dates": "",
            "rationale": "Director of Baghdad International Airport; Badr intelligence officer.",
            "owner": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    target = db.scalars(select(Target).where(Target.name == "Ali Taqi")).one()
    assert [a["name"] for a in target.aliases] == [
        "علي تقي",
        "Ali Taqi al-Badri",
    ] and target.owner == "test-write"
    assert _audits(db, "create", "target")[0].actor.endswith(":test-write")


def test_confirm_and_reject_from_the_review_queue(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    from app.lists.models import ListEntry
    from app.matching.models import Link as LinkModel

    token = sign_in(client, keys.raw["write"])
    actor = f"key:{_key(db, 'write').id}:test-write"
    # One click, no reason typed: the explanation's corroborating facts are recorded as the reason.
    response = client.post(
        f"/console/review/{seed.suggested.id}/confirm",
        data={"csrf_token": token, "reason": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.refresh(seed.suggested)
    assert seed.suggested.state == "confirmed" and seed.suggested.reviewed_by == actor
    assert "born 1956, listed 1956 (same year)" in seed.suggested.review_reason
    assert [a.actor for a in _audits(db, "confirm", "link")] == [actor]

    other = ListEntry(
        source="ofac_sdn",
        list_id="40001",
        kind="person",
        name="TAQI, Ali",
        programs=["SDGT"],
        fingerprint="d" * 64,
        first_snapshot_id=seed.snapshot.id,
        last_changed_snapshot_id=seed.snapshot.id,
        data={"names": [{"full": "TAQI, Ali"}], "birth_dates": ["1979"], "nationalities": ["LB"]},
    )
    db.add(other)
    db.flush()
    link = LinkModel(
        target_id=seed.taqi.id,
        entry_id=other.id,
        source="ofac_sdn",
        list_id="40001",
        score=0.81,
        state="suggested",
        entry_fingerprint="d" * 64,
        explanation={"names": {"query": "Ali Taqi", "entry": "TAQI, Ali", "similarity": 1.0}},
    )
    db.add(link)
    db.flush()
    # htmx: a rejection without a reason comes back as the card, asking for one.
    htmx = {"HX-Request": "true", "X-CSRF-Token": token}
    ask = client.post(f"/console/review/{link.id}/reject", data={"reason": ""}, headers=htmx)
    assert ask.status_code == 422 and f'id="card-{link.id}"' in ask.text and "Say why" in ask.text
    done = client.post(
        f"/console/review/{link.id}/reject",
        data={"reason": "Lebanese SDGT born 1979, not the Iraqi airport director"},
        headers=htmx,
    )
    assert done.status_code == 200 and 'data-decided="rejected"' in done.text
    db.refresh(link)
    assert link.state == "rejected" and link.review_reason.startswith("Lebanese SDGT")
    assert [a.actor for a in _audits(db, "reject", "link")] == [actor]


def test_admin_accepts_a_held_publication(client, keys, seed, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import app.pipeline

    calls = []

    def accept_held_snapshot(session, snapshot_id, actor):  # type: ignore[no-untyped-def]
        # The real one re-parses the stored bytes; what matters here is that the console calls it as the admin.
        calls.append((snapshot_id, actor))

    monkeypatch.setattr(app.pipeline, "accept_held_snapshot", accept_held_snapshot)
    token = sign_in(client, keys.raw["admin"])
    response = client.post(f"/console/lists/snapshots/{seed.held.id}/accept", data={"csrf_token": token})
    assert response.status_code == 200 and f"Accepted publication {seed.held.id}" in response.text
    assert [(s, a.label) for s, a in calls] == [(seed.held.id, f"key:{_key(db, 'admin').id}:test-admin")]


def test_admin_retries_a_delivery_and_sends_a_test_event(client, keys, seed, db) -> None:  # type: ignore[no-untyped-def]
    from app.alerts.models import Delivery

    token = sign_in(client, keys.raw["admin"])
    actor = f"key:{_key(db, 'admin').id}:test-admin"
    retried = client.post(f"/console/alerts/deliveries/{seed.delivery.id}/retry", data={"csrf_token": token})
    assert retried.status_code == 200 and f"Delivery {seed.delivery.id} is queued" in retried.text
    db.refresh(seed.delivery)
    assert seed.delivery.status == "pending"
    assert [a.actor for a in _audits(db, "retry", "delivery")] == [actor]
    tested = client.post(f"/console/alerts/webhooks/{seed.webhook.id}/test", data={"csrf_token": token})
    assert tested.status_code == 200 and "test event is on its way" in tested.text
    assert db.scalars(select(Delivery).where(Delivery.webhook_id == seed.webhook.id)).all().__len__() == 2
    assert [a.actor for a in _audits(db, "test", "webhook")] == [actor]


def test_import_from_the_console_reports_each_row(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    token = sign_in(client, keys.raw["write"])
    csv_text = (
        "kind,name,aliases,nationalities,programs,tags\n"
        "person,Faleh al-Fayyad,Falih al-Fayyadh;فالح الفياض,IQ,GLOMAG,iraq;pmf\n"
        "person,Ali Taqi,,ZZ,,iraq\n"
    )
    response = client.post(
        "/console/candidates/import",
        data={"csrf_token": token},
        files={"file": ("candidates.csv", csv_text.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert '<span class="stat-value" id="import-created">1</span>' in response.text
    assert '<span class="stat-value" id="import-rejected">1</span>' in response.text
    assert "nationalities: &#39;ZZ&#39; is not an ISO 3166-1 alpha-2 country code" in response.text
    assert [t.name for t in db.scalars(select(Target))] == ["Faleh al-Fayyad"]


def test_the_standing_filter_in_sql_agrees_with_each_candidates_standing(db, seed) -> None:  # type: ignore[no-untyped-def]
    """The candidates table filters on standings in the database (no scan cap): for every authority (and none)
    and every standing, it returns exactly the candidates whose standing, as their own page shows it, is that."""
    from app.alerts.models import TargetAuthorityStatus
    from app.console.views.candidates import Filters, search
    from app.targets.models import AUTHORITIES
    from app.targets.router import present
    from app.targets.service import list_targets
    from app.targets.standing import STANDINGS, followed_authorities

    load_a_uk_list(db)
    # one candidate delisted by the UN, another listed by the UK, so that every standing occurs
    db.add(TargetAuthorityStatus(target_id=seed.fayyad.id, authority="UN", status="delisted"))
    db.add(TargetAuthorityStatus(target_id=seed.taqi.id, authority="UK", status="listed"))
    db.flush()
    followed = followed_authorities(db)
    everyone = {row.name: row.standing for row in present(db, list_targets(db, limit=100)[0])}
    seen = set()
    for authority in ("", *AUTHORITIES):
        for standing in STANDINGS:
            if authority:
                expected = {n for n, s in everyone.items() if s[authority] == standing}
            elif standing == "not_listed":
                expected = {n for n, s in everyone.items() if set(s.values()) <= {"not_listed", "no_list"}}
            else:
                expected = {n for n, s in everyone.items() if standing in s.values()}
            rows, total = search(db, Filters(authority=authority, standing=standing), 1, followed)
            assert {r.name for r in rows} == expected and total == len(expected), (authority, standing)
            seen.update(s for s in STANDINGS if expected and s == standing)
    assert seen == set(STANDINGS)
