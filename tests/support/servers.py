"""Real HTTP servers on 127.0.0.1 for tests: a list publisher with faults on demand, and a webhook receiver.

Both run the standard library's threaded HTTP server in a background thread on port 0 (the kernel picks a free
port). Stopping one cuts its open connections, wakes any handler that is sleeping on purpose and joins every
thread it started, so nothing leaks from one test into the next.

The fixtures ``list_server`` and ``webhook_receiver`` become available to every test once the root conftest says
``pytest_plugins = ["tests.support.servers"]``.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlsplit

import pytest

LOOPBACK = "127.0.0.1"
WRITE_CHUNK_BYTES = 64 * 1024
# An idle keep-alive connection is cut on stop; this only bounds a handler whose client vanished silently.
HANDLER_SOCKET_TIMEOUT_SECONDS = 30.0

TruncateMode = Literal["short", "lying", "chunked"]

CONTENT_TYPES = {
    ".csv": "text/csv",
    ".xml": "application/xml",
    ".json": "application/json",
    ".zip": "application/zip",
}


@dataclass(frozen=True)
class TLSFiles:
    """A certificate (which is its own CA) and its private key, both PEM."""

    cert: Path
    key: Path


def make_self_signed_cert(folder: Path, hostname: str) -> TLSFiles:
    """Write a one-day self-signed certificate for ``hostname`` with the openssl command-line tool."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed; TLS tests need it to make a certificate")
    folder.mkdir(parents=True, exist_ok=True)
    files = TLSFiles(cert=folder / f"{hostname}.crt", key=folder / f"{hostname}.key")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(files.key),
            "-out",
            str(files.cert),
            "-days",
            "1",
            "-subj",
            f"/CN={hostname}",
            "-addext",
            f"subjectAltName=DNS:{hostname}",
        ],
        check=True,
        capture_output=True,
    )
    return files


def lower_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names folded to lower case (a repeated header keeps its last value)."""
    return {name.lower(): value for name, value in items}


class _TrackingHTTPServer(ThreadingHTTPServer):
    """Remembers its open connections so that stopping can cut idle keep-alive ones, which would block the join."""

    # Only non-daemon handler threads are tracked, and so joined by server_close().
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], owner: _BackgroundServer) -> None:
        self.owner = owner
        self._open_connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _DelegatingHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._open_connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        with self._connections_lock:
            still_open = list(self._open_connections)
        for connection in still_open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        # Clients hanging up early (size caps, timeouts, refused TLS) is exactly what many tests provoke.
        if isinstance(error, ConnectionError | TimeoutError | ssl.SSLError):
            return
        if error is not None:
            self.owner.errors.append(error)
        super().handle_error(request, client_address)


class _DelegatingHandler(BaseHTTPRequestHandler):
    """Hands every request to the owning test server; HTTP/1.1 so that clients can keep connections alive."""

    protocol_version = "HTTP/1.1"
    timeout = HANDLER_SOCKET_TIMEOUT_SECONDS
    server: _TrackingHTTPServer

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            # The listening socket defers the handshake so that a slow client cannot stall the accept loop.
            self.connection.do_handshake()

    def _dispatch(self) -> None:
        try:
            self.server.owner.handle(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the servers record requests themselves."""

    def write_response(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        """A complete response with a correct Content-Length (none for the statuses that carry no body)."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        carries_body = status >= 200 and status not in (204, 304)
        if carries_body:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if carries_body and self.command != "HEAD":
            self.write_body(body)

    def write_body(self, body: bytes) -> None:
        for start in range(0, len(body), WRITE_CHUNK_BYTES):
            self.wfile.write(body[start : start + WRITE_CHUNK_BYTES])

    def write_chunks(self, body: bytes) -> None:
        """Body bytes in chunked transfer encoding (the caller sends the final zero-length chunk)."""
        for start in range(0, len(body), WRITE_CHUNK_BYTES):
            piece = body[start : start + WRITE_CHUNK_BYTES]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class _BackgroundServer:
    """Start/stop plumbing shared by the two servers; subclasses implement ``handle``."""

    thread_name = "test-http-server"

    def __init__(self, *, port: int = 0, tls: TLSFiles | None = None) -> None:
        self.host = LOOPBACK
        self._port = port
        self._tls = tls
        self._httpd: _TrackingHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None
        # Set while stopping: handlers that sleep on purpose wait on it, so a stop never waits out a delay.
        self._stopping = threading.Event()
        self._lock = threading.RLock()
        self.errors: list[BaseException] = []
        self.sni_names: list[str | None] = []

    def handle(self, request: _DelegatingHandler) -> None:
        raise NotImplementedError

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the server has not been started yet, so it has no port")
        return self._port

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def is_running(self) -> bool:
        return self._httpd is not None

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        # Binds again to the same port after a stop (the server sets SO_REUSEADDR), so a URL stays valid.
        httpd = _TrackingHTTPServer((self.host, self._port), self)
        if self._tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self._tls.cert, self._tls.key)
            context.sni_callback = self._record_sni
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        self._port = httpd.server_address[1]
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.thread_name}:{self._port}",
        )
        thread.start()
        self._httpd, self._serve_thread = httpd, thread
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._serve_thread
        if httpd is None or thread is None:
            return
        self._httpd = self._serve_thread = None
        self._stopping.set()
        httpd.shutdown()
        httpd.cut_connections()
        httpd.server_close()  # closes the listening socket and joins every handler thread
        thread.join()

    def _record_sni(self, _ssl_object: Any, server_name: str | None, _context: Any) -> None:
        with self._lock:
            self.sni_names.append(server_name)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------------------------
# Publishing lists


@dataclass(frozen=True)
class ServedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    at: float  # time.monotonic() when it arrived


@dataclass
class _Publication:
    body: bytes
    content_type: str
    etag: str | None
    last_modified: datetime | None
    content_encoding: str | None
    chunked: bool


@dataclass
class _Failure:
    status: int
    retry_after: str | None
    remaining: int | None  # None: every request until cleared


@dataclass
class _Truncation:
    nbytes: int
    mode: TruncateMode
    remaining: int | None


@dataclass
class _Delay:
    seconds: float
    after_bytes: int | None  # None: before the status line; otherwise after that many body bytes
    remaining: int | None


@dataclass
class _Redirect:
    location: str
    status: int
    remaining: int | None


def _take(faults: dict[str, Any], path: str) -> Any:
    """The fault registered for ``path``, counting this request against its ``times``."""
    fault = faults.get(path)
    if fault is None:
        return None
    if fault.remaining is not None:
        fault.remaining -= 1
        if fault.remaining <= 0:
            del faults[path]
    return fault


def _etag_matches(if_none_match: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison: W/"x" and "x" are the same entity tag.
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


class ListServer(_BackgroundServer):
    """Serves published files like an official list site, with ETag / Last-Modified, 304s and faults on demand.

    Paths are matched exactly (query string included) first, then without the query string.
    Fault ``times=None`` means "every request until ``clear_faults``"; a number means that many requests.
    ``fail`` defaults to a single failure (the common "flaky once" case); the other faults default to lasting.
    """

    thread_name = "list-server"

    def __init__(self, *, port: int = 0, tls: TLSFiles | None = None) -> None:
        super().__init__(port=port, tls=tls)
        self._publications: dict[str, _Publication] = {}
        self._failures: dict[str, _Failure] = {}
        self._truncations: dict[str, _Truncation] = {}
        self._delays: dict[str, _Delay] = {}
        self._redirects: dict[str, _Redirect] = {}
        self._requests: list[ServedRequest] = []

    # -- publishing -------------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def publish(
        self,
        path: str,
        content: bytes | str | Path,
        *,
        content_type: str | None = None,
        last_modified: datetime | None = None,
        with_etag: bool = True,
        with_last_modified: bool = True,
        content_encoding: str | None = None,
        chunked: bool = False,
    ) -> str:
        """Serve ``content`` (bytes, or a file read now) at ``path``, replacing what was there; returns the URL.

        ``content_encoding`` labels bytes that are already encoded (e.g. gzip); ``chunked`` sends them with chunked
        transfer encoding and no Content-Length, as sites that generate files on the fly do.

        A replacement always gets a later Last-Modified than the one it replaces, even within the same second,
        so conditional requests behave as they would against a real site.
        """
        body = content if isinstance(content, bytes) else Path(content).read_bytes()
        with self._lock:
            previous = self._publications.get(path)
            modified = (last_modified or datetime.now(UTC)).replace(microsecond=0)
            if last_modified is None and previous is not None and previous.last_modified is not None:
                modified = max(modified, previous.last_modified + timedelta(seconds=1))
            self._publications[path] = _Publication(
                body=body,
                content_type=content_type
                or CONTENT_TYPES.get(Path(urlsplit(path).path).suffix, "application/octet-stream"),
                etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"' if with_etag else None,
                last_modified=modified if with_last_modified else None,
                content_encoding=content_encoding,
                chunked=chunked,
            )
        return self.url(path)

    def unpublish(self, path: str) -> None:
        with self._lock:
            self._publications.pop(path, None)

    def etag(self, path: str) -> str | None:
        return self._publications[path].etag

    def last_modified(self, path: str) -> str | None:
        modified = self._publications[path].last_modified
        return email.utils.format_datetime(modified, usegmt=True) if modified else None

    # -- faults -----------------------------------------------------------------------------------------------

    def fail(
        self, path: str, status: int = 500, *, times: int | None = 1, retry_after: float | str | None = None
    ) -> None:
        """Answer ``status`` (with ``Retry-After`` when given: seconds, or an HTTP-date string)."""
        value = (
            None
            if retry_after is None
            else retry_after
            if isinstance(retry_after, str)
            else f"{retry_after:g}"
        )
        with self._lock:
            self._failures[path] = _Failure(status=status, retry_after=value, remaining=times)

    def truncate(
        self, path: str, nbytes: int, *, mode: TruncateMode = "lying", times: int | None = None
    ) -> None:
        """Send only the first ``nbytes`` of the file.

        ``short``: a Content-Length of ``nbytes`` (a complete-looking response; HTTP cannot tell it is cut).
        ``lying``: the full Content-Length, then the connection is closed after ``nbytes``.
        ``chunked``: chunked encoding, closed after ``nbytes`` without the terminating chunk.
        """
        with self._lock:
            self._truncations[path] = _Truncation(nbytes=nbytes, mode=mode, remaining=times)

    def slow(
        self, path: str, seconds: float, *, after_bytes: int | None = None, times: int | None = None
    ) -> None:
        """Wait ``seconds`` before answering, or (``after_bytes``) stall that long after sending that many bytes."""
        with self._lock:
            self._delays[path] = _Delay(seconds=seconds, after_bytes=after_bytes, remaining=times)

    def redirect(self, path: str, location: str, *, status: int = 302, times: int | None = None) -> None:
        with self._lock:
            self._redirects[path] = _Redirect(location=location, status=status, remaining=times)

    def clear_faults(self) -> None:
        with self._lock:
            self._failures.clear()
            self._truncations.clear()
            self._delays.clear()
            self._redirects.clear()

    # -- what was asked -------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[ServedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[ServedRequest]:
        return [r for r in self.requests if r.path == path or urlsplit(r.path).path == path]

    # -- serving ----------------------------------------------------------------------------------------------

    def _key(self, table: dict[str, Any], raw_path: str) -> str:
        return raw_path if raw_path in table else urlsplit(raw_path).path

    def handle(self, request: _DelegatingHandler) -> None:
        raw_path = request.path
        with self._lock:
            self._requests.append(
                ServedRequest(
                    request.command, raw_path, lower_headers(request.headers.items()), time.monotonic()
                )
            )
            redirect = _take(self._redirects, self._key(self._redirects, raw_path))
            failure = None if redirect else _take(self._failures, self._key(self._failures, raw_path))
            publication = self._publications.get(self._key(self._publications, raw_path))
            delay = truncation = None
            if not (redirect or failure) and publication is not None:
                delay = _take(self._delays, self._key(self._delays, raw_path))
                truncation = _take(self._truncations, self._key(self._truncations, raw_path))

        if request.command not in ("GET", "HEAD"):
            request.write_response(405, {"Allow": "GET, HEAD"}, b"method not allowed\n")
        elif redirect is not None:
            request.write_response(redirect.status, {"Location": redirect.location}, b"moved\n")
        elif failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            request.write_response(failure.status, headers, f"simulated failure {failure.status}\n".encode())
        elif publication is None:
            request.write_response(404, {"Content-Type": "text/plain"}, b"not found\n")
        else:
            self._serve(request, publication, delay, truncation)

    def _serve(
        self,
        request: _DelegatingHandler,
        publication: _Publication,
        delay: _Delay | None,
        truncation: _Truncation | None,
    ) -> None:
        if delay is not None and delay.after_bytes is None and self._stopping.wait(delay.seconds):
            request.close_connection = True
            return

        validators = {}
        if publication.etag:
            validators["ETag"] = publication.etag
        if publication.last_modified:
            validators["Last-Modified"] = email.utils.format_datetime(publication.last_modified, usegmt=True)
        if self._not_modified(request, publication):
            request.write_response(304, validators)
            return

        body = publication.body
        headers = {"Content-Type": publication.content_type, **validators}
        if publication.content_encoding:
            headers["Content-Encoding"] = publication.content_encoding
        if truncation is not None and truncation.mode == "short":
            body = body[: truncation.nbytes]
        chunked = publication.chunked or (truncation is not None and truncation.mode == "chunked")
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(len(body))

        request.send_response(200)
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        if request.command == "HEAD":
            return

        if truncation is not None and truncation.mode in ("lying", "chunked"):
            sent = body[: truncation.nbytes]
            request.wfile.write(
                f"{len(sent):x}\r\n".encode() + sent + b"\r\n" if truncation.mode == "chunked" else sent
            )
            # Closing without the rest (or the final chunk) is the fault: the client must notice the gap.
            request.close_connection = True
            return

        write = request.write_chunks if chunked else request.write_body
        if delay is not None and delay.after_bytes is not None:
            write(body[: delay.after_bytes])
            if self._stopping.wait(delay.seconds):
                request.close_connection = True
                return
            body = body[delay.after_bytes :]
        write(body)
        if chunked:
            request.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _not_modified(request: _DelegatingHandler, publication: _Publication) -> bool:
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            # When both are sent, If-None-Match decides and If-Modified-Since is ignored (RFC 9110 13.2.2).
            return publication.etag is not None and _etag_matches(if_none_match, publication.etag)
        if_modified_since = request.headers.get("If-Modified-Since")
        if if_modified_since and publication.last_modified is not None:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return publication.last_modified <= since
        return False


# --------------------------------------------------------------------------------------------------------------
# Receiving webhooks


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    received_at: float  # time.time()
    client_address: tuple[str, int]


@dataclass(frozen=True)
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_seconds: float = 0.0  # wait this long before answering (after recording the request)


class WebhookReceiver(_BackgroundServer):
    """Records every request it gets and answers with a configurable reply (204 by default).

    ``down()`` closes the listening socket (senders get "connection refused"); ``up()`` listens again on the
    same port, so the endpoint URL stays the same.
    """

    thread_name = "webhook-receiver"
    hook_path = "/hook"

    def __init__(self, *, port: int = 0, tls: TLSFiles | None = None) -> None:
        super().__init__(port=port, tls=tls)
        self._received: list[ReceivedRequest] = []
        self._arrived = threading.Condition(self._lock)
        self._default_reply = Reply()
        self._queued_replies: list[Reply] = []

    @property
    def url(self) -> str:
        return self.base_url + self.hook_path

    # -- how to answer ----------------------------------------------------------------------------------------

    def respond_with(
        self,
        status: int = 204,
        *,
        retry_after: float | str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        delay_seconds: float = 0.0,
    ) -> None:
        """The reply for every request from now on (after any queued by ``respond_sequence``)."""
        reply = self._reply(status, retry_after=retry_after, headers=headers, body=body)
        self._default_reply = Reply(reply.status, reply.headers, reply.body, delay_seconds)

    def respond_sequence(self, replies: Iterable[int | Reply]) -> None:
        """Answer the next requests with these, one each, then go back to the default reply."""
        with self._lock:
            self._queued_replies = [r if isinstance(r, Reply) else Reply(status=r) for r in replies]

    def redirect_to(self, location: str, *, status: int = 302) -> None:
        self.respond_with(status, headers={"Location": location}, body=b"moved\n")

    @staticmethod
    def _reply(
        status: int, *, retry_after: float | str | None, headers: dict[str, str] | None, body: bytes
    ) -> Reply:
        all_headers = dict(headers or {})
        if retry_after is not None:
            all_headers["Retry-After"] = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        return Reply(status=status, headers=all_headers, body=body)

    def down(self) -> None:
        self.stop()

    def up(self) -> None:
        self.start()

    # -- what arrived -----------------------------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Block until at least ``count`` requests have arrived; AssertionError after ``timeout`` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._received) >= count, timeout=timeout):
                raise AssertionError(
                    f"expected {count} webhook request(s) within {timeout}s, got {len(self._received)}"
                )
            return list(self._received)

    def verify(self, secret: str) -> list[Any]:
        """Check every received request with the reference ``standardwebhooks`` verifier; returns the payloads.

        Raises ``standardwebhooks.WebhookVerificationError`` for the first one that does not verify.
        """
        from standardwebhooks import Webhook

        received = self.received
        if not received:
            raise AssertionError("no webhook request has arrived, so there is nothing to verify")
        verifier = Webhook(secret)
        return [verifier.verify(r.body, r.headers) for r in received]

    # -- serving ----------------------------------------------------------------------------------------------

    def handle(self, request: _DelegatingHandler) -> None:
        body = request.read_body()
        address = request.client_address
        with self._arrived:
            self._received.append(
                ReceivedRequest(
                    method=request.command,
                    path=request.path,
                    headers=lower_headers(request.headers.items()),
                    body=body,
                    received_at=time.time(),
                    client_address=(str(address[0]), int(address[1])),
                )
            )
            reply = self._queued_replies.pop(0) if self._queued_replies else self._default_reply
            self._arrived.notify_all()
        if reply.delay_seconds and self._stopping.wait(reply.delay_seconds):
            request.close_connection = True
            return
        request.write_response(reply.status, reply.headers, reply.body)


# --------------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def list_server() -> Iterator[ListServer]:
    with ListServer() as server:
        yield server
    assert not server.errors, f"the list server failed while handling requests: {server.errors!r}"


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver
    assert not receiver.errors, f"the webhook receiver failed while handling requests: {receiver.errors!r}"
