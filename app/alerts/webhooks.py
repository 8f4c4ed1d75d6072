"""Outgoing webhooks: Standard Webhooks signing, the SSRF guard, one delivery attempt and the retry schedule.

Signing follows https://www.standardwebhooks.com: headers ``webhook-id`` (the event id, the same on every retry),
``webhook-timestamp`` (unix seconds of this attempt) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` of
``"{id}.{timestamp}.{body}"``, one per active secret, space separated, so receivers keep verifying while a secret
is rotated).

Endpoint URLs are chosen by users, so each one is checked before any request: the host is resolved and every
address it resolves to must be a public one (unless ``allow_private``, for self-hosted setups and tests). The
request then goes to the very address that was checked, with the Host header and TLS SNI still naming the host,
so a DNS answer that changes between the check and the connection (DNS rebinding) cannot redirect it.

This module sends nothing by itself: the delivery worker calls ``send`` once per attempt, records the
``AttemptResult`` and asks ``next_attempt_delay`` when to try again.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import random
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from math import floor
from secrets import token_bytes
from typing import Protocol

import httpx
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from app.lists.fetch import parse_retry_after

# Delay before attempt 2, 3, ... 10 (Standard Webhooks' example schedule): about three days in all.
RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
RETRY_JITTER = 0.10
MAX_RETRY_AFTER_SECONDS = 86400.0

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# The Standard Webhooks spec asks for symmetric keys of 24 to 64 bytes.
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64

RESPONSE_EXCERPT_CHARS = 500
# Enough bytes for the excerpt even in a multi-byte script; the rest of a response is never read.
RESPONSE_READ_LIMIT_BYTES = 4 * RESPONSE_EXCERPT_CHARS
USER_AGENT = "sanctrack-webhooks/0.1"

# The spec forbids "." in the id (it delimits the signed content); the rest keeps it safe in a header.
EVENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_:\-]{1,255}")

CLOUD_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack...
        "fd00:ec2::254",  # AWS over IPv6
        "169.254.170.2",  # AWS ECS task credentials
        "100.100.100.200",  # Alibaba Cloud
    )
)
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class _UniformSource(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


# --------------------------------------------------------------------------------------------------------------
# Secrets and signatures


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode("ascii")


def check_secret(secret: str) -> None:
    """ValueError unless ``secret`` is ``whsec_`` + base64 of 24 to 64 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret must start with {SECRET_PREFIX!r}")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"a webhook secret must be {SECRET_PREFIX!r} followed by base64") from error
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise ValueError(
            f"a webhook secret must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {len(key)}"
        )


def _unix_seconds(timestamp: datetime) -> int:
    # A naive datetime is taken to be UTC, as the standardwebhooks package itself does.
    aware = timestamp if timestamp.tzinfo is not None else timestamp.replace(tzinfo=UTC)
    return floor(aware.timestamp())


def _check_event_id(msg_id: str) -> None:
    if not EVENT_ID_PATTERN.fullmatch(msg_id):
        raise ValueError(f"event id {msg_id!r} must be 1-255 characters from A-Z a-z 0-9 _ : - (no dots)")


def sign(secret: str, msg_id: str, timestamp: datetime, body: bytes) -> str:
    """``v1,<base64 signature>`` of one message with one secret (the body must be UTF-8, as JSON is)."""
    check_secret(secret)
    _check_event_id(msg_id)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError("the webhook body must be UTF-8 text (the JSON payload)") from error
    # The package reads the datetime's wall clock as UTC, so hand it UTC at the whole second that goes out.
    at = datetime.fromtimestamp(_unix_seconds(timestamp), UTC)
    try:
        return Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=text)
    except EmptyWebhookSecretError as error:
        raise ValueError("the webhook secret is empty") from error


def signature_header(secrets: list[str], msg_id: str, timestamp: datetime, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret, space separated (rotation overlap)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign a webhook")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def signed_headers(*, event_id: str, body: bytes, secrets: list[str], timestamp: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(_unix_seconds(timestamp)),
        "webhook-signature": signature_header(secrets, event_id, timestamp, body),
    }


# --------------------------------------------------------------------------------------------------------------
# Where a webhook may go


class DestinationRefused(ValueError):
    """The URL, or an address its host resolves to, is not one webhooks may be sent to."""


class DestinationUnresolvable(ValueError):
    """The host name does not resolve (now): a configuration error at creation, a transient one at delivery."""


@dataclass(frozen=True)
class ResolvedTarget:
    """A checked destination: the request must go to ``ip``, naming ``hostname`` in Host and SNI."""

    url: str
    scheme: str
    hostname: str  # ASCII (IDNA) form, no brackets
    port: int
    ip: str  # the checked address the connection is pinned to
    addresses: tuple[str, ...]  # everything the host resolved to (all of them passed the check)
    host_header: str

    @property
    def pinned_url(self) -> str:
        """The URL with the host replaced by the checked address, so no second DNS lookup happens."""
        return str(httpx.URL(self.url).copy_with(host=self.ip))

    @property
    def request_extensions(self) -> dict[str, str]:
        """httpx request extensions: TLS must present and verify the host name, not the pinned address."""
        if self.scheme != "https" or _parse_ip(self.hostname) is not None:
            return {}
        return {"sni_hostname": self.hostname}


def resolve_host(host: str, port: int) -> list[str]:
    """Every IPv4/IPv6 address ``host`` resolves to, in the resolver's order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise DestinationUnresolvable(f"the host {host!r} does not resolve ({error})") from error
    addresses: list[str] = []
    for family, _type, _proto, _canonical, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone index
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise DestinationUnresolvable(f"the host {host!r} has no IPv4 or IPv6 address")
    return addresses


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that NAT64, 6to4 or Teredo would deliver an IPv6 packet to."""
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def refusal_reason(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why webhooks may not go to ``address``, or None when they may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in CLOUD_METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = refusal_reason(embedded, allow_private=allow_private)
            if inner is not None:
                return f"{inner} ({embedded}, embedded in an IPv6 transition address)"
        if address.is_site_local:
            return "a site-local address"
    if address.is_unspecified or address in THIS_NETWORK:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    # Loopback before reserved: IPv6's reserved ::/8 contains ::1. Reserved before private: Python counts
    # 240.0.0.0/4 as private too, but nothing legitimate listens there.
    if address.is_loopback:
        kind = "a loopback address"
    elif address.is_reserved:
        return "a reserved address"
    elif address in SHARED_ADDRESS_SPACE:
        kind = "a carrier-grade NAT address (100.64.0.0/10)"
    elif address.is_private:
        kind = "a private address"
    elif not address.is_global:
        kind = "an address that is not publicly routable"
    else:
        return None
    return None if allow_private else kind


def _pin_choice(addresses: list[IPAddress]) -> IPAddress:
    # IPv4 first: worker containers often have no IPv6 route, and this path has no happy-eyeballs fallback.
    for address in addresses:
        if address.version == 4:
            return address
    return addresses[0]


def check_destination(url: str, *, allow_private: bool, resolver: Resolver = resolve_host) -> ResolvedTarget:
    """Check a webhook URL and resolve it to the address the request must be sent to.

    Raises DestinationRefused (scheme, malformed URL, or any resolved address not allowed) or
    DestinationUnresolvable (no DNS answer). Both are ValueErrors.
    """
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, UnicodeError) as error:
        raise DestinationRefused(f"{url!r} is not a valid URL ({error})") from error
    if parsed.scheme != "https" and not (parsed.scheme == "http" and allow_private):
        if parsed.scheme == "http":
            raise DestinationRefused(
                "webhook URLs must use https:// (plain http:// is only allowed when "
                "SANCTRACK_WEBHOOK_ALLOW_PRIVATE is set, for local setups)"
            )
        raise DestinationRefused(f"webhook URLs must use https://, not {parsed.scheme or 'no scheme'}")
    hostname = parsed.raw_host.decode("ascii")
    if not hostname:
        raise DestinationRefused(f"{url!r} has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)

    literal = _parse_ip(hostname)
    resolved_texts = [hostname] if literal is not None else resolver(hostname, port)
    resolved: list[IPAddress] = []
    for text in resolved_texts:
        address = _parse_ip(text)
        if address is None:
            raise DestinationUnresolvable(
                f"the resolver gave {text!r} for {hostname!r}, which is not an address"
            )
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        reason = refusal_reason(address, allow_private=allow_private)
        if reason is not None:
            where = hostname if literal is not None else f"{hostname} resolves to {address}, which"
            private_hint = (
                "; set SANCTRACK_WEBHOOK_ALLOW_PRIVATE=true only for a self-hosted setup that must call internal hosts"
                if not allow_private and refusal_reason(address, allow_private=True) is None
                else ""
            )
            raise DestinationRefused(
                f"{where} is {reason}: webhooks only go to public internet addresses{private_hint}"
            )
        resolved.append(address)

    return ResolvedTarget(
        url=str(parsed),
        scheme=parsed.scheme,
        hostname=hostname,
        port=port,
        ip=str(_pin_choice(resolved)),
        addresses=tuple(str(address) for address in resolved),
        host_header=parsed.netloc.decode("ascii"),
    )


def validate_webhook_url(url: str, allow_private: bool, *, resolver: Resolver = resolve_host) -> None:
    """For the API when an endpoint is created or changed: ValueError with a message fit for the user."""
    check_destination(url, allow_private=allow_private, resolver=resolver)


# --------------------------------------------------------------------------------------------------------------
# One attempt


@dataclass(frozen=True)
class AttemptResult:
    ok: bool  # 2xx only
    status_code: int | None  # None when no HTTP answer came back
    latency_ms: int  # until the response headers arrived, or until the failure
    response_excerpt: str  # the first characters of the response body
    error: str | None  # what went wrong, for the delivery log; None when ok
    retry_after_seconds: float | None  # from the response's Retry-After
    gone: bool  # 410: the receiver asks us to stop; the caller disables the endpoint
    refused: bool = False  # the SSRF guard refused the destination; nothing was sent
    ip: str | None = None  # the address the request was sent to


def send(
    url: str,
    *,
    event_id: str,
    body: bytes,
    secrets: list[str],
    allow_private: bool,
    timeout: float,
    client: httpx.Client | None = None,
    timestamp: datetime | None = None,
    content_type: str = "application/json",
    resolver: Resolver = resolve_host,
) -> AttemptResult:
    """POST one signed webhook, once. Never raises for network or HTTP trouble: it is all in the result.

    Redirects are not followed (a 3xx is a failure: the user should update the URL). ValueError is raised only
    for the caller's own mistakes (no secret, malformed secret, bad event id, non-UTF-8 body).

    ``client``: reuse one across attempts if wanted, but make it with ``trust_env=False`` (a proxy from the
    environment would bypass the address pinning) and do not share it between endpoints with different host
    names (a pooled TLS connection verified for one name must not carry another's requests).
    ``timestamp`` defaults to now: it is the time of this attempt, so each retry gets a fresh one.
    """
    started = time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    headers = signed_headers(
        event_id=event_id, body=body, secrets=secrets, timestamp=timestamp or datetime.now(UTC)
    )
    try:
        target = check_destination(url, allow_private=allow_private, resolver=resolver)
    except DestinationRefused as error:
        return _failure(f"destination refused: {error}", elapsed_ms(), refused=True)
    except DestinationUnresolvable as error:
        return _failure(str(error), elapsed_ms())

    headers.update(
        {
            "Host": target.host_header,
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            # An uncompressed answer keeps the excerpt readable and its size bounded.
            "Accept-Encoding": "identity",
        }
    )
    owned_client = client is None
    http = client if client is not None else httpx.Client(trust_env=False, follow_redirects=False)
    try:
        request = http.build_request(
            "POST",
            target.pinned_url,
            content=body,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            extensions=target.request_extensions,
        )
        response = http.send(request, stream=True, follow_redirects=False)
        try:
            latency = elapsed_ms()
            excerpt = _read_excerpt(response)
        finally:
            response.close()
    except httpx.TimeoutException as error:
        return _failure(f"timed out after {timeout:g}s ({type(error).__name__})", elapsed_ms(), ip=target.ip)
    except httpx.ConnectError as error:
        return _failure(
            f"could not connect to {target.ip}:{target.port}: {_describe(error)}", elapsed_ms(), ip=target.ip
        )
    except httpx.HTTPError as error:
        return _failure(f"{type(error).__name__}: {_describe(error)}", elapsed_ms(), ip=target.ip)
    finally:
        if owned_client:
            http.close()

    status = response.status_code
    ok = 200 <= status < 300
    return AttemptResult(
        ok=ok,
        status_code=status,
        latency_ms=latency,
        response_excerpt=excerpt,
        error=None if ok else _status_error(response),
        retry_after_seconds=parse_retry_after(response.headers.get("Retry-After")),
        gone=status == 410,
        ip=target.ip,
    )


def _failure(error: str, latency_ms: int, *, refused: bool = False, ip: str | None = None) -> AttemptResult:
    return AttemptResult(
        ok=False,
        status_code=None,
        latency_ms=latency_ms,
        response_excerpt="",
        error=error,
        retry_after_seconds=None,
        gone=False,
        refused=refused,
        ip=ip,
    )


def _read_excerpt(response: httpx.Response) -> str:
    received = bytearray()
    try:
        for chunk in response.iter_raw():
            received.extend(chunk)
            if len(received) >= RESPONSE_READ_LIMIT_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status already tells the outcome; a body cut short only shortens the excerpt
    return received.decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_CHARS]


def _status_error(response: httpx.Response) -> str:
    status = response.status_code
    summary = f"HTTP {status} {response.reason_phrase}".rstrip()
    if 300 <= status < 400:
        location = response.headers.get("Location")
        where = f" to {location}" if location else ""
        return f"{summary}: redirect{where} not followed; update the webhook URL to the final address"
    if status == 410:
        return f"{summary}: the receiver no longer wants these webhooks"
    return summary


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__


# --------------------------------------------------------------------------------------------------------------
# When to try again


def next_attempt_delay(
    attempt_number: int, retry_after: float | None = None, rng: _UniformSource = random
) -> float | None:
    """Seconds to wait after failed attempt ``attempt_number`` (1 = the first attempt), or None to give up.

    Follows RETRY_SCHEDULE_SECONDS with ±10 % jitter, so that endpoints that failed together do not all come
    back at once. A receiver's Retry-After is honoured when it asks for longer, up to 24 hours.
    """
    if attempt_number < 1:
        raise ValueError("attempt numbers start at 1")
    if attempt_number > len(RETRY_SCHEDULE_SECONDS):
        return None
    delay = RETRY_SCHEDULE_SECONDS[attempt_number - 1] * rng.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay
