"""Lists: the publication date and the last check are two things (issue 13, item 10), and the charts run in the
order of publication, an undated publication marked as such (item 9)."""

from __future__ import annotations

import datetime as dt
import re

from app.db import utcnow
from tests.console.conftest import sign_in


def _snapshot(
    db, source: str, sha: str, status: str, published_on: dt.date | None, applied_ago: dt.timedelta, **kw
):  # type: ignore[no-untyped-def]
    from app.lists.models import RawBlob, Snapshot

    db.add(RawBlob(sha256=sha * 64, size=100))
    db.flush()
    applied = utcnow() - applied_ago
    snapshot = Snapshot(
        source=source,
        status=status,
        format="csv",
        origin="sdn.csv",
        published_on=published_on,
        fetched_at=applied,
        applied_at=applied,
        sha256=sha * 64,
        **kw,
    )
    db.add(snapshot)
    db.flush()
    return snapshot


def _row(page: str, source: str) -> str:
    row = page[page.index(f'<tr id="list-{source}">') :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row[: row.index("</tr>")]))


def test_an_old_publication_checked_minutes_ago(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    """The demo's case: the 28 December 2023 SDN list, loaded two minutes ago."""
    _snapshot(
        db, "ofac_sdn", "a", "current", dt.date(2023, 12, 28), dt.timedelta(minutes=2), entry_count=13821
    )
    sign_in(client, keys.raw["read"])
    page = client.get("/console/lists").text
    ofac = _row(page, "ofac_sdn")
    assert "2023-12-28" in ofac and "checked 2 minutes ago" in ofac
    assert "fresh" not in page
    assert "not loaded" in _row(page, "eu_fsf")  # never loaded: neither fresh nor stale
    home = client.get("/console").text
    lists = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", home[home.index('id="stat-lists"') :]))
    assert lists.startswith('id="stat-lists"> 1/') and "not checked" not in lists.split("</li>")[0]


def test_a_list_not_checked_for_too_long_is_overdue_until_a_check(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    from app.lists.models import Run

    _snapshot(db, "ofac_sdn", "a", "current", dt.date(2026, 11, 30), dt.timedelta(days=3))
    sign_in(client, keys.raw["read"])
    assert "check overdue 3 days ago" in _row(client.get("/console/lists").text, "ofac_sdn")
    assert "1 not checked for over" in client.get("/console").text
    # A refresh that found the list unchanged is a check: it stores no new publication.
    now = utcnow()
    db.add(Run(id="run_unchanged", kind="refresh", source="ofac_sdn", status="succeeded", finished_at=now))
    db.flush()
    row = _row(client.get("/console/lists").text, "ofac_sdn")
    assert "checked less than a minute ago" in row and "2026-11-30" in row
    assert "not checked for over" not in client.get("/console").text


def test_the_chart_runs_in_publication_order_with_unknown_dates_marked(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    """A publication without a date (the OFAC CSV files carry none) was labelled with its fetch date, today,
    which put it after a 2023 publication on the chart."""
    undated = _snapshot(
        db, "ofac_sdn", "a", "superseded", None, dt.timedelta(minutes=5), entry_count=7379, added=7379
    )
    _snapshot(
        db,
        "ofac_sdn",
        "b",
        "current",
        dt.date(2023, 12, 28),
        dt.timedelta(minutes=4),
        entry_count=13821,
        previous_id=undated.id,
        added=7469,
        removed=1027,
    )
    _snapshot(
        db, "ofac_sdn", "c", "superseded", dt.date(2023, 6, 1), dt.timedelta(minutes=3), entry_count=12000
    )
    sign_in(client, keys.raw["read"])
    page = client.get("/console/lists/ofac_sdn").text
    chart = page[page.index('id="entries-ofac_sdn-title"') :]
    chart = chart[: chart.index("</svg>")]
    labels = re.findall(r"<circle[^>]*><title>([^<]+): [\d,]+</title>", chart)
    assert labels == [f"date unknown (#{undated.id})", "2023-06-01", "2023-12-28"]
    assert utcnow().date().isoformat() not in chart  # the fetch date is not a publication date
    table = page[page.index("The numbers behind the charts") :]
    assert "date unknown" in table
