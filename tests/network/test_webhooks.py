"""Webhook signing, the SSRF guard and single delivery attempts, against a real receiver on 127.0.0.1.

Host names under .test (reserved, never resolvable) are mapped to addresses by an injected resolver: a request
can only reach the receiver through the pinned address, and the guard's refusals never need outside DNS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.alerts.webhooks import (
    MAX_RETRY_AFTER_SECONDS,
    RETRY_SCHEDULE_SECONDS,
    DestinationRefused,
    DestinationUnresolvable,
    check_destination,
    check_secret,
    new_secret,
    next_attempt_delay,
    send,
    sign,
    signed_headers,
    validate_webhook_url,
)
from tests.support.servers import Reply, WebhookReceiver, make_self_signed_cert

BODY = json.dumps({"type": "target.listed", "data": {"target_id": 42, "list": "ofac_sdn"}}).encode()
HOOK_HOST = "hooks.sanctrack.test"


def fake_resolver(answers: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise DestinationUnresolvable(f"the host {host!r} does not resolve (test resolver)")
        return answers[host]

    return resolve


def deliver(receiver: WebhookReceiver, secrets: list[str] | None = None, **overrides: object):  # type: ignore[no-untyped-def]
    arguments: dict[str, object] = {
        "event_id": "evt_01",
        "body": BODY,
        "secrets": secrets or [new_secret()],
        "allow_private": True,
        "timeout": 5.0,
    }
    arguments.update(overrides)
    return send(receiver.url, **arguments)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------------
# Secrets and signatures


def test_new_secret_has_the_standard_form() -> None:
    first, second = new_secret(), new_secret()

    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    check_secret(first)
    Webhook(first)  # the reference package accepts it


@pytest.mark.parametrize("bad", ["", "whsec_", "secret", "whsec_!!notbase64!!", "whsec_" + "QUJD" * 4])
def test_malformed_secrets_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        check_secret(bad)


def test_signature_follows_the_spec_and_verifies() -> None:
    secret = new_secret()
    at = datetime(2024, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)

    signature = sign(secret, "evt_01", at, BODY)

    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed_content = b"evt_01." + str(int(at.timestamp())).encode() + b"." + BODY
    expected = base64.b64encode(hmac.new(key, signed_content, hashlib.sha256).digest()).decode()
    assert signature == f"v1,{expected}"

    now = datetime.now(UTC)
    headers = signed_headers(event_id="evt_01", body=BODY, secrets=[secret], timestamp=now)
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_timestamp_in_another_zone_signs_the_same_instant() -> None:
    secret = new_secret()
    utc = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    tokyo = utc.astimezone(timezone(timedelta(hours=9)))

    assert sign(secret, "evt_01", tokyo, BODY) == sign(secret, "evt_01", utc, BODY)


def test_a_wrong_secret_does_not_verify() -> None:
    headers = signed_headers(
        event_id="evt_01", body=BODY, secrets=[new_secret()], timestamp=datetime.now(UTC)
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


@pytest.mark.parametrize("event_id", ["", "evt.01", "evt 01", "evt\n01"])
def test_event_ids_that_would_break_the_signed_content_are_rejected(event_id: str) -> None:
    with pytest.raises(ValueError):
        sign(new_secret(), event_id, datetime.now(UTC), BODY)


def test_signing_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        signed_headers(event_id="evt_01", body=BODY, secrets=[], timestamp=datetime.now(UTC))


# --------------------------------------------------------------------------------------------------------------
# Delivery attempts


def test_delivery_is_signed_and_verifies_at_the_receiver(webhook_receiver: WebhookReceiver) -> None:
    secret = new_secret()

    result = deliver(webhook_receiver, [secret], event_id="evt_abc")

    assert result.ok and result.status_code == 204
    assert result.error is None and not result.gone and not result.refused
    assert result.latency_ms >= 0 and result.ip == "127.0.0.1"
    (received,) = webhook_receiver.received
    assert received.method == "POST" and received.path == "/hook"
    assert received.body == BODY
    assert received.headers["webhook-id"] == "evt_abc"
    assert received.headers["content-type"] == "application/json"
    assert webhook_receiver.verify(secret) == [json.loads(BODY)]


def test_both_secrets_verify_during_rotation(webhook_receiver: WebhookReceiver) -> None:
    old, new = new_secret(), new_secret()

    assert deliver(webhook_receiver, [old, new]).ok

    (received,) = webhook_receiver.received
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert webhook_receiver.verify(old) == webhook_receiver.verify(new) == [json.loads(BODY)]
    with pytest.raises(WebhookVerificationError):
        webhook_receiver.verify(new_secret())


def test_retries_keep_the_event_id_and_refresh_the_timestamp(webhook_receiver: WebhookReceiver) -> None:
    secret = new_secret()
    earlier = datetime.now(UTC) - timedelta(seconds=120)
    deliver(webhook_receiver, [secret], event_id="evt_same", timestamp=earlier)
    deliver(webhook_receiver, [secret], event_id="evt_same")

    first, second = webhook_receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "evt_same"
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) >= 119
    assert len(webhook_receiver.verify(secret)) == 2


def test_200_with_a_long_body_gives_a_short_excerpt(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.respond_with(200, body=("é" * 5000).encode())

    result = deliver(webhook_receiver)

    assert result.ok and result.status_code == 200
    assert result.response_excerpt == "é" * 500


def test_redirect_is_a_failure_and_is_not_followed(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.redirect_to(webhook_receiver.base_url + "/elsewhere", status=307)

    result = deliver(webhook_receiver)

    assert not result.ok and result.status_code == 307
    assert "not followed" in (result.error or "")
    assert [r.path for r in webhook_receiver.received] == ["/hook"]


def test_410_means_gone(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.respond_with(410, body=b"endpoint deleted")

    result = deliver(webhook_receiver)

    assert not result.ok and result.gone and result.status_code == 410
    assert result.response_excerpt == "endpoint deleted"


def test_500_is_a_failure(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.respond_with(500, body=b"boom")

    result = deliver(webhook_receiver)

    assert not result.ok and not result.gone
    assert result.status_code == 500
    assert result.error == "HTTP 500 Internal Server Error"
    assert result.retry_after_seconds is None


def test_retry_after_is_read_from_the_answer(webhook_receiver: WebhookReceiver) -> None:
    in_an_hour = datetime.now(UTC) + timedelta(hours=1)
    webhook_receiver.respond_sequence(
        [
            Reply(503, headers={"Retry-After": "120"}),
            Reply(429, headers={"Retry-After": in_an_hour.strftime("%a, %d %b %Y %H:%M:%S GMT")}),
        ]
    )

    seconds = deliver(webhook_receiver)
    date = deliver(webhook_receiver)
    after = deliver(webhook_receiver)

    assert seconds.status_code == 503 and seconds.retry_after_seconds == 120
    assert date.status_code == 429 and 3590 <= (date.retry_after_seconds or 0) <= 3600
    assert after.ok  # back to the default reply once the sequence is used up


def test_receiver_down_is_a_connection_error_then_up_again(webhook_receiver: WebhookReceiver) -> None:
    url = webhook_receiver.url
    webhook_receiver.down()

    failed = deliver(webhook_receiver)

    assert not failed.ok and failed.status_code is None
    assert "could not connect to 127.0.0.1" in (failed.error or "")
    webhook_receiver.up()
    assert webhook_receiver.url == url
    assert deliver(webhook_receiver).ok
    assert len(webhook_receiver.received) == 1


def test_slow_receiver_times_out(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.respond_with(204, delay_seconds=5.0)

    result = deliver(webhook_receiver, timeout=0.3)

    assert not result.ok and result.status_code is None
    assert "timed out after 0.3s" in (result.error or "")
    assert result.latency_ms < 3000


def test_refused_destination_sends_nothing(webhook_receiver: WebhookReceiver) -> None:
    result = deliver(webhook_receiver, allow_private=False)

    assert not result.ok and result.refused
    assert "destination refused" in (result.error or "")
    assert webhook_receiver.received == []


# --------------------------------------------------------------------------------------------------------------
# SSRF guard


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://172.16.5.4/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:a9fe:a9fe]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[fe80::1]/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://localhost/hook",
        "https://2130706433/hook",  # 127.0.0.1 written as one number
        "http://example.com/hook",
        "ftp://example.com/hook",
        "https:///hook",
    ],
)
def test_guard_refuses(url: str) -> None:
    with pytest.raises(DestinationRefused):
        check_destination(url, allow_private=False)
    with pytest.raises(ValueError):
        validate_webhook_url(url, False)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://169.254.1.1/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "http://240.0.0.1/",
    ],
)
def test_metadata_and_unroutable_addresses_stay_refused_with_allow_private(url: str) -> None:
    with pytest.raises(DestinationRefused):
        check_destination(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "pinned"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1"),
        ("http://localhost:8080/hook", "127.0.0.1"),
        ("http://[::1]:8080/hook", "::1"),
        ("https://10.1.2.3/hook", "10.1.2.3"),
    ],
)
def test_guard_accepts_loopback_and_private_when_allowed(url: str, pinned: str) -> None:
    assert check_destination(url, allow_private=True).ip == pinned


def test_host_resolving_to_a_private_address_is_refused_with_a_clear_message() -> None:
    resolver = fake_resolver({HOOK_HOST: ["10.0.0.7"]})

    with pytest.raises(ValueError) as caught:
        validate_webhook_url(f"https://{HOOK_HOST}/hook", False, resolver=resolver)

    assert f"{HOOK_HOST} resolves to 10.0.0.7, which is a private address" in str(caught.value)
    assert "SANCTRACK_WEBHOOK_ALLOW_PRIVATE" in str(caught.value)


def test_one_bad_address_among_good_ones_refuses_the_host() -> None:
    resolver = fake_resolver({HOOK_HOST: ["93.184.215.14", "127.0.0.1"]})

    with pytest.raises(DestinationRefused):
        check_destination(f"https://{HOOK_HOST}/hook", allow_private=False, resolver=resolver)


def test_unresolvable_host_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="does not resolve"):
        validate_webhook_url("https://nowhere.sanctrack.test/hook", False, resolver=fake_resolver({}))


def test_public_destination_is_pinned_with_host_and_sni_kept() -> None:
    resolver = fake_resolver({HOOK_HOST: ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "93.184.215.14"]})

    target = check_destination(f"https://{HOOK_HOST}:8443/in?x=1", allow_private=False, resolver=resolver)

    assert target.ip == "93.184.215.14"  # IPv4 preferred
    assert target.pinned_url == "https://93.184.215.14:8443/in?x=1"
    assert target.host_header == f"{HOOK_HOST}:8443"
    assert target.request_extensions == {"sni_hostname": HOOK_HOST}


def test_the_request_goes_to_the_checked_address(webhook_receiver: WebhookReceiver) -> None:
    # The name cannot resolve through real DNS: the request can only arrive through the pinned address. Later
    # answers from the resolver (a rebinding attempt) must never be asked for.
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    calls: list[str] = []

    def rebinding_resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    url = f"http://{HOOK_HOST}:{webhook_receiver.port}/hook"
    result = send(
        url,
        event_id="evt_01",
        body=BODY,
        secrets=[new_secret()],
        allow_private=True,
        timeout=5.0,
        resolver=rebinding_resolver,
    )

    assert result.ok and result.ip == "127.0.0.1"
    assert calls == [HOOK_HOST]
    (received,) = webhook_receiver.received
    assert received.headers["host"] == f"{HOOK_HOST}:{webhook_receiver.port}"


def test_the_pinned_address_is_used_even_when_nothing_listens_there(
    webhook_receiver: WebhookReceiver,
) -> None:
    # The receiver listens on 127.0.0.1 only; pinned to 127.0.0.2 the attempt must fail rather than find it.
    url = f"http://{HOOK_HOST}:{webhook_receiver.port}/hook"
    result = send(
        url,
        event_id="evt_01",
        body=BODY,
        secrets=[new_secret()],
        allow_private=True,
        timeout=5.0,
        resolver=fake_resolver({HOOK_HOST: ["127.0.0.2"]}),
    )

    assert not result.ok and "127.0.0.2" in (result.error or "")
    assert webhook_receiver.received == []


@pytest.fixture
def tls_receiver(tmp_path: Path):  # type: ignore[no-untyped-def]
    files = make_self_signed_cert(tmp_path, HOOK_HOST)
    with WebhookReceiver(tls=files) as receiver:
        yield receiver, ssl.create_default_context(cafile=str(files.cert))


def test_https_to_the_pinned_address_verifies_the_host_name(tls_receiver) -> None:  # type: ignore[no-untyped-def]
    receiver, trust = tls_receiver
    url = f"https://{HOOK_HOST}:{receiver.port}/hook"
    secret = new_secret()

    with httpx.Client(verify=trust, trust_env=False) as client:
        result = send(
            url,
            event_id="evt_tls",
            body=BODY,
            secrets=[secret],
            allow_private=True,
            timeout=5.0,
            client=client,
            resolver=fake_resolver({HOOK_HOST: ["127.0.0.1"]}),
        )

    assert result.ok, result.error
    assert receiver.sni_names == [HOOK_HOST]
    assert receiver.verify(secret) == [json.loads(BODY)]


def test_https_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    files = make_self_signed_cert(tmp_path, "other.sanctrack.test")
    with (
        WebhookReceiver(tls=files) as receiver,
        httpx.Client(verify=ssl.create_default_context(cafile=str(files.cert)), trust_env=False) as client,
    ):
        result = send(
            f"https://{HOOK_HOST}:{receiver.port}/hook",
            event_id="evt_tls",
            body=BODY,
            secrets=[new_secret()],
            allow_private=True,
            timeout=5.0,
            client=client,
            resolver=fake_resolver({HOOK_HOST: ["127.0.0.1"]}),
        )

        assert not result.ok and result.status_code is None
        assert "certificate" in (result.error or "").lower()
        assert receiver.received == []


# --------------------------------------------------------------------------------------------------------------
# Retry schedule


class FixedUniform:
    """Stands in for ``random``: always returns the same point of the requested range (0 = low, 1 = high)."""

    def __init__(self, position: float) -> None:
        self.position = position

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.position


def test_schedule_without_jitter_is_the_documented_one() -> None:
    middle = FixedUniform(0.5)
    delays = [next_attempt_delay(n, None, rng=middle) for n in range(1, 10)]

    assert delays == pytest.approx([5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400])
    assert RETRY_SCHEDULE_SECONDS == [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert next_attempt_delay(10, None) is None
    with pytest.raises(ValueError):
        next_attempt_delay(0, None)


def test_jitter_stays_within_ten_percent_and_varies() -> None:
    rng = random.Random(20240501)
    for attempt, base in enumerate(RETRY_SCHEDULE_SECONDS, start=1):
        samples = [next_attempt_delay(attempt, None, rng=rng) for _ in range(200)]
        assert all(base * 0.9 <= s <= base * 1.1 for s in samples if s is not None)
        assert len(set(samples)) > 100
    assert next_attempt_delay(1, None, rng=FixedUniform(0.0)) == pytest.approx(4.5)
    assert next_attempt_delay(1, None, rng=FixedUniform(1.0)) == pytest.approx(5.5)


def test_retry_after_is_honoured_when_longer_and_capped_at_a_day() -> None:
    middle = FixedUniform(0.5)

    assert next_attempt_delay(1, 60.0, rng=middle) == pytest.approx(60.0)
    assert next_attempt_delay(2, 60.0, rng=middle) == pytest.approx(300.0)  # shorter than the schedule
    assert next_attempt_delay(1, 10 * 86400.0, rng=middle) == pytest.approx(MAX_RETRY_AFTER_SECONDS)
    assert next_attempt_delay(10, 60.0, rng=middle) is None


# --------------------------------------------------------------------------------------------------------------
# The receiver itself


def test_receiver_wait_for_and_clean_stop() -> None:
    before = set(threading.enumerate())
    receiver = WebhookReceiver().start()
    client = httpx.Client(trust_env=False)  # keeps its connection open across the stop
    client.post(receiver.url, content=b"{}")
    assert len(receiver.wait_for(1, timeout=2)) == 1
    with pytest.raises(AssertionError):
        receiver.wait_for(2, timeout=0.2)

    receiver.stop()
    client.close()

    assert set(threading.enumerate()) - before == set()
