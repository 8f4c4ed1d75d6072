"""Documents that cannot be read, URLs that must not be fetched: a clear 4xx problem each, and nothing stored."""

from __future__ import annotations

import io
import zipfile
import zlib

import httpx
import pytest
from sqlalchemy import func, select

from app.config import get_settings
from app.documents.fetch import DocumentUrlRefused, fetch_document
from app.documents.models import Document, Mention
from app.lists.models import RawBlob

PUBLIC_ADDRESS = "93.184.215.14"  # what the fake resolver says news.example is: a public address


@pytest.fixture
def private_allowed(monkeypatch):  # type: ignore[no-untyped-def]
    def allow(value: bool) -> None:
        monkeypatch.setenv("SANCTRACK_DOCUMENT_ALLOW_PRIVATE", "true" if value else "false")
        get_settings.cache_clear()

    yield allow
    monkeypatch.delenv("SANCTRACK_DOCUMENT_ALLOW_PRIVATE", raising=False)
    get_settings.cache_clear()


def nothing_stored(db) -> bool:  # type: ignore[no-untyped-def]
    return all(db.scalar(select(func.count()).select_from(t)) == 0 for t in (Document, Mention, RawBlob))


def post_file(client, keys, name: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/documents",
        files={"file": (name, content, "application/octet-stream")},
        headers=keys.headers("write"),
    )


def problem(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"], response.json()


def bomb_pdf(expanded_bytes: int) -> bytes:
    """A one-page PDF whose content stream is ``expanded_bytes`` of spaces deflated to a few hundred kilobytes."""
    stream = zlib.compress(b" " * expanded_bytes, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_a_file_called_pdf_that_is_not_one(client, keys, db) -> None:
    problem(post_file(client, keys, "report.pdf", b"Faleh al-Fayyad is named here."), 422, "not one")
    problem(post_file(client, keys, "broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50), 422, "PDF")
    assert nothing_stored(db)


def test_a_compression_bomb_in_a_pdf_is_refused(client, keys, db) -> None:
    response = post_file(client, keys, "bomb.pdf", bomb_pdf(80 * 1024 * 1024))
    problem(response, 413, "expands past")
    assert nothing_stored(db)


def test_zip_archives_and_binaries_are_not_documents(client, keys, db) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>" + " " * 1_000_000)
    problem(post_file(client, keys, "brief.docx", buffer.getvalue()), 415, "zip archive")
    problem(post_file(client, keys, "image.bin", b"\x89PNG\r\n\x1a\n\x00\x00"), 415, "binary")
    problem(post_file(client, keys, "latin1.txt", "Faleh al-Fayyad à Bagdad".encode("latin-1")), 415, "UTF-8")
    assert nothing_stored(db)


def test_an_empty_document(client, keys, db) -> None:
    problem(post_file(client, keys, "empty.txt", b""), 422, "empty")
    problem(post_file(client, keys, "blank.md", b"  \n\n\t "), 422, "empty")
    problem(post_file(client, keys, "blank.html", b"<html><script>var a=1</script></html>"), 422, "no text")
    assert nothing_stored(db)


def test_html_of_50_mb_from_a_url_stops_at_the_size_cap(
    client, keys, db, list_server, private_allowed
) -> None:
    private_allowed(True)
    url = list_server.publish(
        "/huge.html", b"<html><body>" + b"<p>Ali Taqi</p>" * 3_500_000, content_type="text/html"
    )
    response = client.post("/v1/documents", json={"url": url}, headers=keys.headers("write"))
    problem(response, 413, "more than the")
    assert nothing_stored(db)
    # The same body uploaded is refused before it is read.
    assert post_file(client, keys, "huge.html", b" " * (get_settings().max_body_bytes + 1)).status_code == 413


def test_urls_to_private_and_metadata_addresses_are_refused(
    client, keys, db, list_server, private_allowed
) -> None:
    url = list_server.publish("/brief.md", b"# A brief\n\nIt names Ali Taqi, the airport director.\n")
    private_allowed(False)
    response = client.post("/v1/documents", json={"url": url}, headers=keys.headers("write"))
    problem(response, 422, "loopback")
    assert list_server.requests_to("/brief.md") == []
    # Allowed to read the local server, not to be sent on from it to the cloud metadata service.
    private_allowed(True)
    list_server.redirect("/moved", "http://169.254.169.254/latest/meta-data/")
    response = client.post(
        "/v1/documents", json={"url": list_server.url("/moved")}, headers=keys.headers("write")
    )
    problem(response, 422, "metadata")
    response = client.post("/v1/documents", json={"url": "file:///etc/passwd"}, headers=keys.headers("write"))
    assert response.status_code == 422
    assert nothing_stored(db)
    # And the local server's own document, allowed, is read.
    response = client.post("/v1/documents", json={"url": url}, headers=keys.headers("write"))
    assert response.status_code == 201, response.text
    assert response.json()["mentions"][0]["text"] == "Ali Taqi"


def test_a_public_url_that_redirects_to_loopback_is_refused_at_the_redirect() -> None:
    """No public web server can run here: the first hop is answered in process, the guard is the real one."""
    asked: list[str] = []

    def public_site(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.url.host} {request.headers['host']}")
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:6379/"})

    def resolver(host: str, _port: int) -> list[str]:
        return {"news.example": [PUBLIC_ADDRESS]}.get(host) or ["127.0.0.1"]

    client = httpx.Client(transport=httpx.MockTransport(public_site), trust_env=False)
    with pytest.raises(DocumentUrlRefused, match="127.0.0.1 is a loopback address"):
        fetch_document(
            "https://news.example/brief",
            allow_private=False,
            max_bytes=1_000_000,
            timeout=5,
            resolver=resolver,
            client=client,
        )
    # The one request went to the checked address, naming the host; the redirect was never followed.
    assert asked == [f"{PUBLIC_ADDRESS} news.example"]


def test_a_document_in_arabic_script_is_read(client, keys, db, sdn) -> None:
    text = (
        "أعلنت وزارة الخزانة الأمريكية فرض عقوبات على فالح الفياض رئيس هيئة الحشد الشعبي بسبب قمع المتظاهرين. "
        "كما أدرجت كتائب حزب الله منظمة إرهابية. وقال وزير الخارجية إن الحكومة العراقية ستدرس القرار في بغداد.\n"
    )
    response = post_file(client, keys, "arabic.txt", text.encode())
    assert response.status_code == 201, response.text
    # Without capitals, only the lists can tell a name: the two they hold, and nothing else.
    found = {m["text"]: (m["kind"], [h["list_id"] for h in m["listed"]]) for m in response.json()["mentions"]}
    assert found == {"فالح الفياض": ("person", ["30242"]), "كتائب حزب الله": ("organization", ["11462"])}
