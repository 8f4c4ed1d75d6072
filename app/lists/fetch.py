"""Download official sanctions lists to disk: streamed, size-capped, retried, conditional.

``fetch`` gets one file; ``fetch_set`` gets a folder of files published together (the OFAC CSV set). Neither
touches the database: the ingest service picks ``dest_dir``, stores the validators (ETag, Last-Modified) between
runs and owns the files it gets back.

Failures raise ``FetchError``. Its ``retryable`` flag says whether trying again later can help (server errors,
rate limits, timeouts, broken connections) or not (404, 403, size cap, refused redirect), and its message says
what to do next.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import os
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import httpx

USER_AGENT = "sanctrack/0.1 (sanctions list monitor)"
MAX_REDIRECTS = 10
DEFAULT_BACKOFF_BASE_SECONDS = 1.0
DEFAULT_BACKOFF_MAX_SECONDS = 60.0
# A Retry-After longer than this is not waited out in full inside one fetch: the scheduler retries later anyway.
DEFAULT_MAX_RETRY_AFTER_SECONDS = 120.0
# Official hosts sometimes accept a TCP connection and then say nothing; a shorter connect timeout fails faster.
MAX_CONNECT_TIMEOUT_SECONDS = 15.0
READ_CHUNK_BYTES = 64 * 1024

OFAC_CSV_NAMES = ["sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"]
OFAC_CSV_REQUIRED = ["sdn.csv"]

ProgressCallback = Callable[[int, int | None], None]
Validators = tuple[str | None, str | None]  # (ETag, Last-Modified) exactly as the server sent them


@dataclass
class FetchResult:
    """What one fetch produced.

    ``path``: the file written (``fetch``) or the folder holding the set (``fetch_set``); the caller owns it. When
    ``not_modified`` is true nothing was written: ``path`` is where the file would have gone, ``sha256`` is ""
    and ``size`` is 0.

    ``sha256``: hex digest of the file's bytes. For a set it is the sha256 of the concatenation, over the member
    files present sorted by name, of ``name + "\\0" + member_sha256_hex + "\\n"`` (UTF-8), so the same publication
    always gives the same value whatever order the members arrived in.

    ``url``: where the bytes came from, after redirects (for a set: the folder URL).
    ``members``: for a set, each member present by name (absent optional members are not in it).
    """

    path: Path
    sha256: str
    not_modified: bool
    etag: str | None
    last_modified: str | None
    size: int
    url: str
    members: dict[str, FetchResult] = field(default_factory=dict)

    def member_validators(self) -> dict[str, Validators]:
        """Per-member (ETag, Last-Modified) to keep and pass back as ``validators`` on the next ``fetch_set``."""
        return {name: (member.etag, member.last_modified) for name, member in self.members.items()}


class FetchError(Exception):
    """A download that did not produce a file. ``str(error)`` is a sentence for the operator."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        retryable: bool,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP-date); None if absent or invalid."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Wait before retry number ``attempt + 1``: exponential, capped, with jitter so that workers spread out."""
    ceiling = min(cap, base * (2**attempt))
    return ceiling * (rng or random).uniform(0.5, 1.0)


def fetch(
    url: str,
    dest_dir: Path,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int,
    timeout: float,
    retries: int,
    filename: str | None = None,
    client: httpx.Client | None = None,
    on_progress: ProgressCallback | None = None,
    backoff_base: float = DEFAULT_BACKOFF_BASE_SECONDS,
    backoff_max: float = DEFAULT_BACKOFF_MAX_SECONDS,
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER_SECONDS,
) -> FetchResult:
    """Download ``url`` into ``dest_dir`` (created if missing) and return what was written.

    ``etag`` / ``last_modified`` make the request conditional; a 304 answer gives ``not_modified=True``.
    ``retries`` is the number of further attempts after the first one for retryable failures; between them the
    wait grows exponentially from ``backoff_base`` up to ``backoff_max`` seconds, or follows the server's
    ``Retry-After`` (capped at ``max_retry_after``) when that is longer.
    ``filename`` defaults to the last segment of the URL's path. The file appears under its final name only
    once complete (written as a hidden ``.part`` file, then renamed), so a failed fetch leaves nothing behind.
    ``client``: a caller's ``httpx.Client`` to reuse connections; otherwise one is made and closed here.
    ``on_progress(bytes_so_far, total_or_None)`` is called as data arrives (restarting from 0 on a retry).
    """
    _require_http_url(url)
    if max_bytes <= 0 or timeout <= 0 or retries < 0:
        raise ValueError("max_bytes and timeout must be positive and retries not negative")
    target = Path(dest_dir) / (
        _checked_filename(filename) if filename is not None else _filename_from_url(url)
    )
    target.parent.mkdir(parents=True, exist_ok=True)

    owned_client = client is None
    http = client if client is not None else new_client(timeout)
    try:
        attempt = 0
        while True:
            try:
                return _fetch_once(
                    http,
                    url,
                    target,
                    etag=etag,
                    last_modified=last_modified,
                    max_bytes=max_bytes,
                    timeout=timeout,
                    on_progress=on_progress,
                )
            except FetchError as error:
                if not error.retryable or attempt >= retries:
                    if attempt == 0:
                        raise
                    raise FetchError(
                        f"{error.message} (gave up after {attempt + 1} attempts)",
                        url=error.url,
                        retryable=error.retryable,
                        status_code=error.status_code,
                        retry_after=error.retry_after,
                    ) from error
                delay = backoff_delay(attempt, base=backoff_base, cap=backoff_max)
                if error.retry_after is not None:
                    delay = max(delay, min(error.retry_after, max_retry_after))
                time.sleep(delay)
                attempt += 1
    finally:
        if owned_client:
            http.close()


def fetch_set(
    base_url: str,
    names: list[str],
    dest_dir: Path,
    *,
    required: list[str],
    validators: dict[str, Validators] | None = None,
    max_bytes: int,
    timeout: float,
    retries: int,
    client: httpx.Client | None = None,
    on_progress: ProgressCallback | None = None,
    backoff_base: float = DEFAULT_BACKOFF_BASE_SECONDS,
    backoff_max: float = DEFAULT_BACKOFF_MAX_SECONDS,
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER_SECONDS,
) -> FetchResult:
    """Download the files ``names`` published together in the folder ``base_url`` into ``dest_dir``.

    A member in ``required`` must be there; any other may answer 404 and is then simply absent (and a stale copy
    of it in ``dest_dir`` is removed, so the folder shows exactly this publication). ``validators`` maps a name to
    the (ETag, Last-Modified) from the previous run (``FetchResult.member_validators()``).

    ``not_modified`` is true only if every member is unchanged: each answered 304, and each absent member was
    absent last time too (no validators for it). Otherwise every member present is downloaded in full, so the
    folder always holds a complete set; members that answered 304 are fetched again unconditionally. Files land
    in ``dest_dir`` only once the whole set has arrived. ``max_bytes`` applies to each member;
    ``on_progress`` gets the bytes so far over the whole set, and None as the total.
    """
    unknown = [name for name in required if name not in names]
    if unknown:
        raise ValueError(f"required members {unknown} are not among the names to fetch {names}")
    if len(set(names)) != len(names):
        raise ValueError(f"member names repeat: {names}")
    for name in names:
        _checked_filename(name)
    _require_http_url(base_url)
    folder_url = base_url if base_url.endswith("/") else base_url + "/"
    previous = validators or {}
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)

    owned_client = client is None
    http = client if client is not None else new_client(timeout)
    finished_bytes = 0

    def member_progress(done: int, _total: int | None) -> None:
        if on_progress is not None:
            on_progress(finished_bytes + done, None)

    def get(name: str, staging: Path, *, conditional: bool) -> FetchResult:
        member_etag, member_modified = previous.get(name, (None, None)) if conditional else (None, None)
        return fetch(
            folder_url + name,
            staging,
            etag=member_etag,
            last_modified=member_modified,
            filename=name,
            max_bytes=max_bytes,
            timeout=timeout,
            retries=retries,
            client=http,
            on_progress=member_progress,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            max_retry_after=max_retry_after,
        )

    staging = Path(tempfile.mkdtemp(prefix=".fetch-set-", dir=dest_dir))
    try:
        members: dict[str, FetchResult] = {}
        absent: list[str] = []
        for name in names:
            try:
                members[name] = get(name, staging, conditional=True)
            except FetchError as error:
                if error.status_code == 404 and name not in required:
                    absent.append(name)
                    continue
                raise
            finished_bytes += members[name].size

        newly_absent = [name for name in absent if any(previous.get(name, (None, None)))]
        if not newly_absent and all(member.not_modified for member in members.values()):
            return FetchResult(
                path=dest_dir,
                sha256="",
                not_modified=True,
                etag=None,
                last_modified=None,
                size=0,
                url=folder_url,
                members={name: replace(m, path=dest_dir / name) for name, m in members.items()},
            )

        for name, member in list(members.items()):
            if member.not_modified:
                members[name] = get(name, staging, conditional=False)
                finished_bytes += members[name].size

        for name in names:
            if name in members:
                os.replace(staging / name, dest_dir / name)
                members[name] = replace(members[name], path=dest_dir / name)
            else:
                with contextlib.suppress(FileNotFoundError):
                    (dest_dir / name).unlink()
        return FetchResult(
            path=dest_dir,
            sha256=set_sha256({name: member.sha256 for name, member in members.items()}),
            not_modified=False,
            etag=None,
            last_modified=None,
            size=sum(member.size for member in members.values()),
            url=folder_url,
            members=members,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if owned_client:
            http.close()


def set_sha256(member_digests: dict[str, str]) -> str:
    """The digest of a multi-file set: sha256 over ``name\\0sha256hex\\n`` for each member, sorted by name."""
    digest = hashlib.sha256()
    for name in sorted(member_digests):
        digest.update(f"{name}\0{member_digests[name]}\n".encode())
    return digest.hexdigest()


def new_client(timeout: float) -> httpx.Client:
    """A client for list downloads. Redirects are followed by ``fetch`` itself so that each hop can be checked."""
    return httpx.Client(
        timeout=_timeouts(timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def _timeouts(timeout: float) -> httpx.Timeout:
    return httpx.Timeout(timeout, connect=min(timeout, MAX_CONNECT_TIMEOUT_SECONDS))


def _require_http_url(url: str) -> None:
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL as error:
        raise ValueError(f"not a valid URL: {url!r} ({error})") from error
    if scheme not in ("http", "https"):
        raise ValueError(f"only http:// and https:// URLs can be fetched, not {url!r}")


def _checked_filename(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"{name!r} is not a plain file name")
    return name


def _filename_from_url(url: str) -> str:
    last_segment = unquote(httpx.URL(url).path.rsplit("/", 1)[-1])
    # Only a conservative character set reaches the file system; leading dots would hide the file.
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", last_segment).lstrip(".")
    return cleaned or "download"


def _fetch_once(
    http: httpx.Client,
    url: str,
    target: Path,
    *,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    timeout: float,
    on_progress: ProgressCallback | None,
) -> FetchResult:
    """One attempt, following redirects by hand: any failure is a FetchError saying whether to retry."""
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            with http.stream(
                "GET", current, headers=headers, timeout=_timeouts(timeout), follow_redirects=False
            ) as response:
                if response.has_redirect_location:
                    current = _redirect_target(current, response.headers["Location"])
                    continue
                return _save_response(
                    response,
                    current,
                    target,
                    conditional=bool(headers),
                    sent_validators=(etag, last_modified),
                    max_bytes=max_bytes,
                    on_progress=on_progress,
                )
        except httpx.TimeoutException as error:
            raise FetchError(
                f"{_host(current)} did not answer within {timeout:g}s ({type(error).__name__}) for {current}. "
                "The site may be slow or down: retry later, or raise SANCTRACK_FETCH_TIMEOUT_SECONDS.",
                url=current,
                retryable=True,
            ) from error
        except httpx.TransportError as error:
            raise FetchError(
                f"could not reach {_host(current)} for {current}: {_describe(error)}. "
                "Check the network and the configured URL; retrying later may help.",
                url=current,
                retryable=True,
            ) from error
    raise FetchError(
        f"more than {MAX_REDIRECTS} redirects starting from {url}; the site's configuration may have changed: "
        "open the URL in a browser and update the configured URL.",
        url=url,
        retryable=False,
    )


def _redirect_target(current: str, location: str) -> str:
    try:
        following = httpx.URL(current).join(location)
    except httpx.InvalidURL as error:
        raise FetchError(
            f"{current} redirected to an invalid location {location!r}; update the configured URL.",
            url=current,
            retryable=False,
        ) from error
    if following.scheme not in ("http", "https"):
        raise FetchError(
            f"{current} redirected to {location!r}, which is not http(s); refusing to follow it. "
            "Check the configured URL.",
            url=current,
            retryable=False,
        )
    return str(following)


def _save_response(
    response: httpx.Response,
    url: str,
    target: Path,
    *,
    conditional: bool,
    sent_validators: Validators,
    max_bytes: int,
    on_progress: ProgressCallback | None,
) -> FetchResult:
    status = response.status_code
    answered_etag = response.headers.get("ETag")
    answered_modified = response.headers.get("Last-Modified")

    if status == 304:
        if not conditional:
            raise FetchError(
                f"{url} answered 304 Not Modified to a request that was not conditional; the site misbehaves, "
                "retry later.",
                url=url,
                retryable=True,
                status_code=status,
            )
        return FetchResult(
            path=target,
            sha256="",
            not_modified=True,
            etag=answered_etag or sent_validators[0],
            last_modified=answered_modified or sent_validators[1],
            size=0,
            url=url,
        )
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        reason = "is rate limiting us" if status == 429 else "had a server error"
        raise FetchError(
            f"{url} {reason} (HTTP {status} {response.reason_phrase}); this is usually temporary: retry later.",
            url=url,
            retryable=True,
            status_code=status,
            retry_after=retry_after,
        )
    if 400 <= status < 500:
        raise FetchError(
            _client_error_message(url, status, response.reason_phrase),
            url=url,
            retryable=False,
            status_code=status,
        )
    if status not in (200, 203):
        raise FetchError(
            f"{url} answered HTTP {status} {response.reason_phrase}, which is not a file download; "
            "check the configured URL.",
            url=url,
            retryable=False,
            status_code=status,
        )

    declared = _content_length(response)
    if declared is not None and declared > max_bytes:
        raise _too_large(url, f"it announces {declared} bytes", max_bytes)
    # With Content-Encoding the announced length is of the compressed bytes, not of what we write.
    encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    total = None if encoded else declared

    digest = hashlib.sha256()
    written = 0
    handle, part_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    part = Path(part_name)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                for chunk in response.iter_bytes(READ_CHUNK_BYTES):
                    written += len(chunk)
                    if written > max_bytes:
                        raise _too_large(url, f"more than {max_bytes} bytes arrived", max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                    if on_progress is not None:
                        on_progress(written, total)
            except (httpx.RemoteProtocolError, httpx.ReadError) as error:
                raise _truncated(url, response.num_bytes_downloaded, declared, _describe(error)) from error
            except httpx.DecodingError as error:
                # A compressed body that does not decompress is most often a cut-off transfer.
                raise _truncated(url, response.num_bytes_downloaded, declared, _describe(error)) from error
            if declared is not None and response.num_bytes_downloaded < declared:
                raise _truncated(url, response.num_bytes_downloaded, declared, "the body ended early")
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return FetchResult(
        path=target,
        sha256=digest.hexdigest(),
        not_modified=False,
        etag=answered_etag,
        last_modified=answered_modified,
        size=written,
        url=url,
    )


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def _client_error_message(url: str, status: int, reason: str) -> str:
    advice = {
        401: "the site wants credentials; official lists are public, so the URL has probably changed",
        403: "the site refuses access; it may block automated clients or this network, or the URL has changed",
        404: "the file is not at this address; the publisher may have moved it: update the configured URL",
        410: "the publisher has withdrawn this address: find the new one and update the configured URL",
    }.get(status, "the request was refused; check the configured URL")
    return f"{url} answered HTTP {status} {reason}: {advice}. Retrying will not help."


def _too_large(url: str, what: str, max_bytes: int) -> FetchError:
    return FetchError(
        f"{url} is too large: {what}, over the limit of {max_bytes} bytes. If the list really grew this much, "
        "raise SANCTRACK_FETCH_MAX_BYTES; otherwise the URL serves something else.",
        url=url,
        retryable=False,
    )


def _truncated(url: str, received: int, declared: int | None, detail: str) -> FetchError:
    expected = f"{declared}" if declared is not None else "an unknown number of"
    return FetchError(
        f"truncated download of {url}: {received} of {expected} bytes arrived before the connection ended "
        f"({detail}). The partial file was discarded; this is usually temporary: retry later.",
        url=url,
        retryable=True,
    )


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except httpx.InvalidURL:
        return url
