"""Downloading official lists, against a real HTTP server on 127.0.0.1 that misbehaves on request."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.lists.fetch import (
    OFAC_CSV_NAMES,
    OFAC_CSV_REQUIRED,
    FetchError,
    fetch,
    fetch_set,
    parse_retry_after,
    set_sha256,
)
from tests.support.servers import ListServer

# Short backoffs keep the retry tests fast; the Retry-After tests measure real waits on top of these.
FAST: dict[str, Any] = {
    "max_bytes": 50_000_000,
    "timeout": 5.0,
    "retries": 3,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
}

SDN_PATH = "/exports/sdn.csv"


def publication(size: int = 200_000, seed: bytes = b"A") -> bytes:
    """Deterministic, incompressible-looking bytes of the given size."""
    blocks = [hashlib.sha256(seed + counter.to_bytes(8, "big")).digest() for counter in range(size // 32 + 1)]
    return b"".join(blocks)[:size]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def with_fast(**overrides: Any) -> dict[str, Any]:
    return {**FAST, **overrides}


# --------------------------------------------------------------------------------------------------------------
# Plain downloads and conditional GET


def test_download_writes_the_file_and_its_sha256(list_server: ListServer, tmp_path: Path) -> None:
    data = publication()
    url = list_server.publish(SDN_PATH, data)

    result = fetch(url, tmp_path, **FAST)

    assert result.path == tmp_path / "sdn.csv"
    assert result.path.read_bytes() == data
    assert result.sha256 == sha(data)
    assert result.size == len(data)
    assert not result.not_modified
    assert result.etag == list_server.etag(SDN_PATH)
    assert result.last_modified == list_server.last_modified(SDN_PATH)
    assert result.url == url
    assert files_in(tmp_path) == ["sdn.csv"]  # no .part file left behind


def test_filename_can_be_chosen_and_file_is_replaced(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish("/files/content?token=abc", b"new bytes")
    (tmp_path / "list.xml").write_bytes(b"old bytes from a previous run")

    result = fetch(url, tmp_path, filename="list.xml", **FAST)

    assert result.path == tmp_path / "list.xml"
    assert result.path.read_bytes() == b"new bytes"
    with pytest.raises(ValueError):
        fetch(url, tmp_path, filename="../escape.xml", **FAST)


def test_progress_reports_bytes_and_total(list_server: ListServer, tmp_path: Path) -> None:
    data = publication(300_000)
    url = list_server.publish(SDN_PATH, data)
    seen: list[tuple[int, int | None]] = []

    fetch(url, tmp_path, on_progress=lambda done, total: seen.append((done, total)), **FAST)

    assert len(seen) >= 2
    assert seen[-1] == (len(data), len(data))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_etag_answers_not_modified(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, publication())
    first = fetch(url, tmp_path / "one", **FAST)

    second = fetch(url, tmp_path / "two", etag=first.etag, **FAST)

    assert second.not_modified
    assert second.sha256 == "" and second.size == 0
    assert second.etag == first.etag
    assert files_in(tmp_path / "two") == []  # nothing downloaded
    assert list_server.requests_to(SDN_PATH)[-1].headers["if-none-match"] == first.etag


def test_last_modified_alone_answers_not_modified(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, publication(), with_etag=False)
    first = fetch(url, tmp_path / "one", **FAST)
    assert first.etag is None and first.last_modified

    second = fetch(url, tmp_path / "two", last_modified=first.last_modified, **FAST)

    assert second.not_modified
    assert second.last_modified == first.last_modified
    assert list_server.requests_to(SDN_PATH)[-1].headers["if-modified-since"] == first.last_modified


def test_new_publication_at_the_same_url_is_downloaded(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, b"publication A\n")
    first = fetch(url, tmp_path / "a", **FAST)
    list_server.publish(SDN_PATH, b"publication B, with more entries\n")

    second = fetch(url, tmp_path / "b", etag=first.etag, last_modified=first.last_modified, **FAST)

    assert not second.not_modified
    assert second.path.read_bytes() == b"publication B, with more entries\n"
    assert second.sha256 == sha(b"publication B, with more entries\n")
    assert second.etag != first.etag


# --------------------------------------------------------------------------------------------------------------
# Retries


def test_server_errors_are_retried_until_success(list_server: ListServer, tmp_path: Path) -> None:
    data = publication()
    url = list_server.publish(SDN_PATH, data)
    list_server.fail(SDN_PATH, 500, times=2)

    result = fetch(url, tmp_path, **FAST)

    assert result.sha256 == sha(data)
    assert len(list_server.requests_to(SDN_PATH)) == 3


def test_persistent_server_errors_give_a_retryable_error(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, publication())
    list_server.fail(SDN_PATH, 503, times=None)

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **with_fast(retries=2))

    assert caught.value.retryable
    assert caught.value.status_code == 503
    assert "gave up after 3 attempts" in str(caught.value)
    assert len(list_server.requests_to(SDN_PATH)) == 3
    assert files_in(tmp_path) == []


def test_backoff_grows_between_attempts(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, b"x")
    list_server.fail(SDN_PATH, 500, times=3)

    fetch(url, tmp_path, **with_fast(backoff_base=0.2, backoff_max=10.0))

    times = [r.at for r in list_server.requests_to(SDN_PATH)]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    # Jitter keeps each wait within [half, all] of 0.2, 0.4, 0.8 s.
    for gap, ceiling in zip(gaps, (0.2, 0.4, 0.8), strict=True):
        assert ceiling / 2 - 0.02 <= gap <= ceiling + 0.5


def test_429_retry_after_seconds_is_honoured(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, b"rate limited list")
    list_server.fail(SDN_PATH, 429, retry_after=1, times=1)

    result = fetch(url, tmp_path, **FAST)

    assert result.path.read_bytes() == b"rate limited list"
    first, second = list_server.requests_to(SDN_PATH)
    assert second.at - first.at >= 0.95  # the backoff alone would have waited under 0.05 s


def test_429_retry_after_http_date_is_honoured(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, b"x")
    # Three whole seconds ahead: at least two remain whatever the sub-second clock reads, so a slow start still
    # leaves more than the one second asserted below.
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    list_server.fail(SDN_PATH, 429, retry_after=later, times=1)

    fetch(url, tmp_path, **FAST)

    first, second = list_server.requests_to(SDN_PATH)
    assert second.at - first.at >= 0.95


def test_long_retry_after_is_capped(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, b"x")
    list_server.fail(SDN_PATH, 503, retry_after=3600, times=1)

    started = time.monotonic()
    fetch(url, tmp_path, **with_fast(max_retry_after=0.3))

    first, second = list_server.requests_to(SDN_PATH)
    assert 0.28 <= second.at - first.at < 2
    assert time.monotonic() - started < 3


def test_parse_retry_after_forms() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after(" 7 ", now=now) == 7.0
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now=now) == 0.0  # already past
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


def test_404_is_not_retried_and_says_what_to_do(list_server: ListServer, tmp_path: Path) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(list_server.url("/exports/moved.csv"), tmp_path, **FAST)

    assert not caught.value.retryable
    assert caught.value.status_code == 404
    assert "update the configured URL" in str(caught.value)
    assert len(list_server.requests_to("/exports/moved.csv")) == 1


def test_403_is_not_retried(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, b"x")
    list_server.fail(SDN_PATH, 403, times=None)

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **FAST)

    assert not caught.value.retryable
    assert caught.value.status_code == 403
    assert len(list_server.requests_to(SDN_PATH)) == 1


# --------------------------------------------------------------------------------------------------------------
# Size cap, truncation, timeouts


def test_announced_size_over_the_cap_is_refused(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, publication(10_000))

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **with_fast(max_bytes=5_000))

    assert not caught.value.retryable
    assert "SANCTRACK_FETCH_MAX_BYTES" in str(caught.value)
    assert "announces 10000 bytes" in str(caught.value)
    assert files_in(tmp_path) == []


def test_unannounced_size_over_the_cap_is_cut_off(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, publication(500_000), chunked=True)

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **with_fast(max_bytes=100_000))

    assert not caught.value.retryable
    assert "more than 100000 bytes arrived" in str(caught.value)
    assert files_in(tmp_path) == []


def test_decompressed_size_counts_against_the_cap(list_server: ListServer, tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 100_000
    url = list_server.publish(SDN_PATH, bomb, content_encoding="gzip")

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **with_fast(max_bytes=1_000_000))

    assert "more than 1000000 bytes arrived" in str(caught.value)
    assert files_in(tmp_path) == []


def test_gzip_encoded_download_is_stored_decoded(list_server: ListServer, tmp_path: Path) -> None:
    data = b"name,program\n" * 10_000
    url = list_server.publish(SDN_PATH, gzip.compress(data), content_encoding="gzip")

    result = fetch(url, tmp_path, **FAST)

    assert result.path.read_bytes() == data
    assert result.sha256 == sha(data)


@pytest.mark.parametrize("mode", ["lying", "chunked"])
def test_truncated_body_is_an_error(list_server: ListServer, tmp_path: Path, mode: str) -> None:
    url = list_server.publish(SDN_PATH, publication(100_000))
    list_server.truncate(SDN_PATH, 40_000, mode=mode)  # type: ignore[arg-type]

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **with_fast(retries=1))

    assert caught.value.retryable
    assert "truncated download" in str(caught.value)
    assert len(list_server.requests_to(SDN_PATH)) == 2
    assert files_in(tmp_path) == []


def test_truncation_once_then_a_complete_retry(list_server: ListServer, tmp_path: Path) -> None:
    data = publication(100_000)
    url = list_server.publish(SDN_PATH, data)
    list_server.truncate(SDN_PATH, 10_000, mode="lying", times=1)

    result = fetch(url, tmp_path, **FAST)

    assert result.sha256 == sha(data)
    assert len(list_server.requests_to(SDN_PATH)) == 2


def test_short_but_self_consistent_body_is_not_detectable_over_http(
    list_server: ListServer, tmp_path: Path
) -> None:
    # A server that announces the short length is indistinguishable from a smaller file: HTTP has no way to
    # tell, so the parser's validation of the content is what catches it. The fetch must not pad or guess.
    data = publication(100_000)
    url = list_server.publish(SDN_PATH, data)
    list_server.truncate(SDN_PATH, 30_000, mode="short")

    result = fetch(url, tmp_path, **FAST)

    assert result.size == 30_000
    assert result.path.read_bytes() == data[:30_000]
    assert result.sha256 != sha(data)


def test_slow_answer_times_out(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, b"eventually")
    list_server.slow(SDN_PATH, 5.0)

    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **with_fast(timeout=0.5, retries=0))

    assert caught.value.retryable
    assert "did not answer within 0.5s" in str(caught.value)
    assert time.monotonic() - started < 3


def test_stall_in_the_middle_of_the_body_times_out(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, publication(200_000))
    list_server.slow(SDN_PATH, 5.0, after_bytes=50_000)

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **with_fast(timeout=0.5, retries=0))

    assert caught.value.retryable
    assert files_in(tmp_path) == []


def test_connection_refused_is_retryable(tmp_path: Path) -> None:
    server = ListServer().start()
    url = server.url(SDN_PATH)
    server.stop()

    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, **with_fast(retries=1))

    assert caught.value.retryable
    assert "could not reach 127.0.0.1" in str(caught.value)


# --------------------------------------------------------------------------------------------------------------
# Redirects


def test_redirects_are_followed(list_server: ListServer, tmp_path: Path) -> None:
    list_server.publish("/new/sdn.csv", b"moved here")
    list_server.redirect("/old/sdn.csv", "/new/sdn.csv", status=301)

    result = fetch(list_server.url("/old/sdn.csv"), tmp_path, **FAST)

    assert result.path.read_bytes() == b"moved here"
    assert result.path.name == "sdn.csv"
    assert result.url == list_server.url("/new/sdn.csv")


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/sdn.csv"])
def test_redirect_to_another_scheme_is_refused(
    list_server: ListServer, tmp_path: Path, location: str
) -> None:
    list_server.redirect(SDN_PATH, location)

    with pytest.raises(FetchError) as caught:
        fetch(list_server.url(SDN_PATH), tmp_path, **FAST)

    assert not caught.value.retryable
    assert "not http(s)" in str(caught.value)


def test_redirect_loop_stops(list_server: ListServer, tmp_path: Path) -> None:
    list_server.redirect("/a", "/b")
    list_server.redirect("/b", "/a")

    with pytest.raises(FetchError) as caught:
        fetch(list_server.url("/a"), tmp_path, **FAST)

    assert "redirects" in str(caught.value)
    assert len(list_server.requests) == 11


def test_a_callers_client_is_used_and_left_open(list_server: ListServer, tmp_path: Path) -> None:
    url = list_server.publish(SDN_PATH, b"x")
    with httpx.Client(headers={"User-Agent": "caller-agent"}) as client:
        fetch(url, tmp_path, client=client, **FAST)
        assert not client.is_closed
    assert list_server.requests_to(SDN_PATH)[0].headers["user-agent"] == "caller-agent"


# --------------------------------------------------------------------------------------------------------------
# Multi-file sets (OFAC CSV)


def publish_ofac(server: ListServer, **members: bytes) -> str:
    for name, data in members.items():
        server.publish(f"/exports/{name}.csv", data)
    return server.url("/exports")  # no trailing slash: fetch_set adds it


def test_set_with_optional_members_missing(list_server: ListServer, tmp_path: Path) -> None:
    sdn, alt = b"36,AEROCARIBBEAN AIRLINES\n", b"36,12,aka,AERO-CARIBBEAN\n"
    base_url = publish_ofac(list_server, sdn=sdn, alt=alt)

    result = fetch_set(base_url, OFAC_CSV_NAMES, tmp_path, required=OFAC_CSV_REQUIRED, **FAST)

    assert not result.not_modified
    assert result.path == tmp_path
    assert files_in(tmp_path) == ["alt.csv", "sdn.csv"]  # no staging folder left behind
    assert sorted(result.members) == ["alt.csv", "sdn.csv"]
    assert result.members["sdn.csv"].path.read_bytes() == sdn
    assert result.size == len(sdn) + len(alt)
    expected = hashlib.sha256(f"alt.csv\0{sha(alt)}\nsdn.csv\0{sha(sdn)}\n".encode()).hexdigest()
    assert result.sha256 == expected == set_sha256({"sdn.csv": sha(sdn), "alt.csv": sha(alt)})


def test_set_without_the_required_member_fails(list_server: ListServer, tmp_path: Path) -> None:
    base_url = publish_ofac(list_server, alt=b"x\n", add=b"y\n")

    with pytest.raises(FetchError) as caught:
        fetch_set(base_url, OFAC_CSV_NAMES, tmp_path, required=OFAC_CSV_REQUIRED, **FAST)

    assert caught.value.status_code == 404
    assert "sdn.csv" in str(caught.value)
    assert files_in(tmp_path) == []


def test_set_is_not_modified_only_when_every_member_is(list_server: ListServer, tmp_path: Path) -> None:
    base_url = publish_ofac(list_server, sdn=b"sdn v1\n", add=b"add v1\n")
    first = fetch_set(base_url, OFAC_CSV_NAMES, tmp_path / "1", required=OFAC_CSV_REQUIRED, **FAST)

    unchanged = fetch_set(
        base_url,
        OFAC_CSV_NAMES,
        tmp_path / "2",
        required=OFAC_CSV_REQUIRED,
        validators=first.member_validators(),
        **FAST,
    )
    assert unchanged.not_modified
    assert files_in(tmp_path / "2") == []

    list_server.publish("/exports/add.csv", b"add v2\n")
    changed = fetch_set(
        base_url,
        OFAC_CSV_NAMES,
        tmp_path / "3",
        required=OFAC_CSV_REQUIRED,
        validators=first.member_validators(),
        **FAST,
    )
    assert not changed.not_modified
    # The unchanged sdn.csv answered 304 and was then fetched in full, so the folder is a complete set.
    assert (tmp_path / "3" / "sdn.csv").read_bytes() == b"sdn v1\n"
    assert (tmp_path / "3" / "add.csv").read_bytes() == b"add v2\n"
    assert changed.sha256 != first.sha256
    last_two = list_server.requests_to("/exports/sdn.csv")[-2:]
    assert "if-none-match" in last_two[0].headers and "if-none-match" not in last_two[1].headers


def test_set_member_that_disappears_counts_as_a_change(list_server: ListServer, tmp_path: Path) -> None:
    base_url = publish_ofac(list_server, sdn=b"sdn\n", sdn_comments=b"comments\n")
    first = fetch_set(base_url, OFAC_CSV_NAMES, tmp_path, required=OFAC_CSV_REQUIRED, **FAST)
    assert files_in(tmp_path) == ["sdn.csv", "sdn_comments.csv"]
    list_server.unpublish("/exports/sdn_comments.csv")

    second = fetch_set(
        base_url,
        OFAC_CSV_NAMES,
        tmp_path,
        required=OFAC_CSV_REQUIRED,
        validators=first.member_validators(),
        **FAST,
    )

    assert not second.not_modified
    assert files_in(tmp_path) == ["sdn.csv"]  # the stale copy is gone: the folder is this publication
    assert second.sha256 == set_sha256({"sdn.csv": sha(b"sdn\n")})


def test_set_progress_is_cumulative(list_server: ListServer, tmp_path: Path) -> None:
    base_url = publish_ofac(list_server, sdn=publication(70_000), alt=publication(50_000, seed=b"B"))
    seen: list[tuple[int, int | None]] = []

    fetch_set(
        base_url,
        OFAC_CSV_NAMES,
        tmp_path,
        required=OFAC_CSV_REQUIRED,
        on_progress=lambda done, total: seen.append((done, total)),
        **FAST,
    )

    assert seen[-1] == (120_000, None)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


# --------------------------------------------------------------------------------------------------------------
# The test server itself


def test_list_server_stops_without_leaving_threads() -> None:
    before = set(threading.enumerate())
    server = ListServer().start()
    url = server.publish(SDN_PATH, publication(50_000))
    server.slow("/stalled", 30.0)
    server.publish("/stalled", b"x")
    # A keep-alive connection left open by a client, and a request stuck in a long delay.
    client = httpx.Client()
    client.get(url)
    outcome: list[BaseException | int] = []

    def wait_for_stalled() -> None:
        try:
            outcome.append(httpx.get(server.url("/stalled"), timeout=60).status_code)
        except httpx.HTTPError as error:
            outcome.append(error)

    stuck = threading.Thread(target=wait_for_stalled, daemon=True)
    stuck.start()
    deadline = time.monotonic() + 5
    while len(server.requests_to("/stalled")) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    server.stop()

    assert time.monotonic() - started < 2
    stuck.join(timeout=5)
    client.close()
    assert set(threading.enumerate()) - before == set()
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.HTTPError)  # cut off, not served late
