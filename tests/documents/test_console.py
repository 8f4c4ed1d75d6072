"""The console's "From a document" page over HTTP: CSRF, scopes, upload, the mentions table, adopting."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.documents.models import Document
from app.targets.models import Evidence, Target
from tests.console.conftest import sign_in


def test_upload_see_the_table_and_adopt(client, keys, db, brief, sdn) -> None:
    token = sign_in(client, keys.raw["write"])
    page = client.get("/console/documents")
    assert page.status_code == 200 and 'id="nav-documents"' in page.text
    response = client.post(
        "/console/documents",
        data={"csrf_token": token},
        files={"file": ("article.md", brief, "text/markdown")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    path = response.headers["location"]
    shown = client.get(path).text
    assert "25 people and organizations named" in shown and "U.S.-Iraq Relations at a Crossroads" in shown
    rows = dict(
        (name, (int(number), row))
        for row, number, name in re.findall(
            r'(<tr id="mention-(\d+)">.*?aria-label="Adopt ([^"]+)".*?</tr>)', shown, re.S
        )
    )
    # The legacy SDN CSV gives no listing date: "since" shows only where a list says when.
    assert "<td>listed by OFAC</td>" in rows["Faleh al-Fayyad"][1]
    assert "sanctioning Faleh al-Fayyad, the longtime national security advisor" in rows["Faleh al-Fayyad"][1]
    assert "<td>listed by no one</td>" in rows["Mark Esper"][1]
    assert not {"Iraq", "Washington", "Treasury Department", "Global Magnitsky Act"} & set(rows)
    ids = {name: number for name, (number, _) in rows.items()}
    adopted = client.post(
        path + "/adopt",
        data={
            "csrf_token": token,
            "mention": [str(ids["Faleh al-Fayyad"]), str(ids["Badr Organization"])],
            "programs": "GLOMAG",
            "tags": "iraq, seed",
            "allegation": "human_rights_abuse",
        },
    )
    assert (
        adopted.status_code == 200 and "Adopted 2: 2 new candidate(s), 2 evidence record(s)" in adopted.text
    )
    badr = db.scalars(select(Target).where(Target.name == "Badr Organization")).one()
    assert badr.kind == "organization" and badr.tags == ["iraq", "seed"]
    excerpt = db.scalars(select(Evidence.excerpt).where(Evidence.target_id == badr.id)).one()
    assert "a member of the Iran-backed Badr Organization" in excerpt


def test_posting_needs_the_csrf_token_and_the_write_scope(client, keys, db, brief) -> None:
    token = sign_in(client, keys.raw["write"])
    refused = client.post("/console/documents", files={"file": ("article.md", brief, "text/markdown")})
    assert refused.status_code == 403
    client.cookies.clear()
    token = sign_in(client, keys.raw["read"])
    refused = client.post(
        "/console/documents",
        data={"csrf_token": token},
        files={"file": ("article.md", brief, "text/markdown")},
    )
    assert refused.status_code == 403
    assert db.scalar(select(func.count()).select_from(Document)) == 0
    nothing = client.post("/console/documents", data={"csrf_token": token})
    assert nothing.status_code in (403, 422)


def test_bad_form_input_is_a_page_that_says_why(client, keys, db, brief) -> None:
    token = sign_in(client, keys.raw["write"])
    bad_url = client.post("/console/documents", data={"csrf_token": token, "url": "not a url"})
    assert bad_url.status_code == 422 and "is not a web address" in bad_url.text
    empty = client.post("/console/documents", data={"csrf_token": token})
    assert empty.status_code == 422 and "choose a file" in empty.text
    response = client.post(
        "/console/documents",
        data={"csrf_token": token},
        files={"file": ("article.md", brief, "text/markdown")},
        follow_redirects=False,
    )
    path = response.headers["location"]
    first = db.scalars(select(Document)).one().mentions[0].id
    tampered = client.post(
        path + "/adopt", data={"csrf_token": token, "mention": str(first), "allegation": "x"}
    )
    assert tampered.status_code == 422 and "allegation" in tampered.text
    none_ticked = client.post(path + "/adopt", data={"csrf_token": token})
    assert none_ticked.status_code == 422 and "tick at least one" in none_ticked.text
    assert db.scalar(select(func.count()).select_from(Target)) == 0
