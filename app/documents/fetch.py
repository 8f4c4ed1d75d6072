"""Fetching a document named by URL, behind the webhooks' SSRF guard.

A URL comes from a user, so it may point inside the network (a metadata service, a database's HTTP port): every
hop, the first and each redirect, is checked by ``app.alerts.webhooks.check_destination`` and the request is sent
to the address that was checked (no second DNS lookup), with the host name in Host and TLS SNI. The body is read
up to a size cap (counted after any Content-Encoding is undone, so a gzip bomb stops at the cap too) within a
time limit.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

from app.alerts.webhooks import (
    DestinationRefused,
    DestinationUnresolvable,
    ResolvedTarget,
    Resolver,
    check_destination,
    resolve_host,
)
from app.errors import ServiceError, TooLarge

MAX_REDIRECTS = 5
USER_AGENT = "sanctrack-documents/0.1 (+https://sanctrack.dev)"


class DocumentUrlRefused(ServiceError):
    status, slug, title = 422, "url-refused", "Document URL refused"


class DocumentUnreachable(ServiceError):
    status, slug, title = 422, "document-unreachable", "Document could not be fetched"


@dataclass(frozen=True)
class FetchedDocument:
    raw: bytes
    url: str  # the URL the bytes came from, after redirects
    content_type: str | None
    filename: str | None


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve_host) -> ResolvedTarget:
    """The guard for one hop. Plain http is allowed for documents (many sites still serve it): the webhook guard
    insists on https for signed bodies, so it is asked about the same host and port as if https."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, UnicodeError) as error:
        raise DocumentUrlRefused(f"{url!r} is not a valid URL ({error})") from error
    if parsed.scheme not in ("http", "https"):
        raise DocumentUrlRefused(f"only http:// and https:// URLs can be read, not {url!r}")
    probe = parsed.copy_with(scheme="https", port=parsed.port or 80) if parsed.scheme == "http" else parsed
    try:
        checked = check_destination(str(probe), allow_private=allow_private, resolver=resolver)
    except DestinationRefused as error:
        reason = str(error).replace("webhooks only go to", "documents are only fetched from")
        reason = reason.replace("SANCTRACK_WEBHOOK_ALLOW_PRIVATE", "SANCTRACK_DOCUMENT_ALLOW_PRIVATE")
        raise DocumentUrlRefused(f"{url} is refused: {reason}") from error
    except DestinationUnresolvable as error:
        raise DocumentUnreachable(str(error)) from error
    return ResolvedTarget(
        url=str(parsed),
        scheme=parsed.scheme,
        hostname=checked.hostname,
        port=checked.port,
        ip=checked.ip,
        addresses=checked.addresses,
        host_header=parsed.netloc.decode("ascii"),
    )


def fetch_document(
    url: str,
    *,
    allow_private: bool,
    max_bytes: int,
    timeout: float,
    resolver: Resolver = resolve_host,
    client: httpx.Client | None = None,
) -> FetchedDocument:
    """GET ``url`` following at most five redirects, each checked; raises a ServiceError that says what failed.

    ``client`` must be made with ``trust_env=False`` and no redirects (a proxy from the environment would bypass
    the address pinning); by default one is made for this call.
    """
    deadline = time.monotonic() + timeout
    http = client or httpx.Client(trust_env=False, follow_redirects=False)
    current = url.strip()
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            target = check_url(current, allow_private=allow_private, resolver=resolver)
            request = http.build_request(
                "GET",
                target.pinned_url,
                headers={"Host": target.host_header, "User-Agent": USER_AGENT, "Accept": "*/*"},
                timeout=httpx.Timeout(timeout),
                extensions=target.request_extensions,
            )
            try:
                response = http.send(request, stream=True, follow_redirects=False)
            except httpx.TimeoutException as error:
                raise DocumentUnreachable(f"{target.hostname} did not answer within {timeout:g}s") from error
            except httpx.HTTPError as error:
                raise DocumentUnreachable(
                    f"could not fetch {current}: {type(error).__name__}: {error}"
                ) from error
            try:
                if response.is_redirect and "location" in response.headers:
                    try:
                        current = str(httpx.URL(current).join(response.headers["location"]))
                    except httpx.InvalidURL as error:
                        raise DocumentUnreachable(f"{current} redirected to an invalid location") from error
                    continue
                if response.status_code != 200:
                    raise DocumentUnreachable(
                        f"{current} answered HTTP {response.status_code} {response.reason_phrase}".rstrip()
                    )
                raw = _read(response, current, max_bytes=max_bytes, deadline=deadline, timeout=timeout)
                return FetchedDocument(
                    raw=raw,
                    url=current,
                    content_type=response.headers.get("content-type"),
                    filename=_filename(current),
                )
            finally:
                response.close()
        raise DocumentUnreachable(f"more than {MAX_REDIRECTS} redirects starting from {url}")
    finally:
        if client is None:
            http.close()


def _read(response: httpx.Response, url: str, *, max_bytes: int, deadline: float, timeout: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes and "content-encoding" not in response.headers:
        raise TooLarge(f"{url} is {int(declared):,} bytes, more than the {max_bytes:,} a document may have")
    received = bytearray()
    try:
        for chunk in response.iter_bytes():
            received.extend(chunk)
            if len(received) > max_bytes:
                raise TooLarge(f"{url} is more than the {max_bytes:,} bytes a document may have")
            if time.monotonic() > deadline:
                raise DocumentUnreachable(f"{url} took more than {timeout:g}s to send")
    except httpx.HTTPError as error:
        raise DocumentUnreachable(f"{url} broke off: {type(error).__name__}: {error}") from error
    return bytes(received)


def _filename(url: str) -> str | None:
    last = unquote(httpx.URL(url).path.rsplit("/", 1)[-1])
    cleaned = re.sub(r"[^\w.-]", "_", last).lstrip(".")
    return cleaned[:300] or None
