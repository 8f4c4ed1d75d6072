"""From a document's bytes to its text and citation: plain text, Markdown, HTML and PDF.

Everything here is a pure function of the bytes. Whatever cannot be read becomes a ``ServiceError`` that says why
(415 for a format the service does not read, 422 for a file that is not what it claims or holds no text, 413 for
one that expands beyond the limits), so that nothing half-read is ever stored.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

import lxml.etree
import lxml.html
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PyPdfError

from app.errors import InvalidInput, ServiceError, TooLarge

# A document's text beyond this many characters is not a brief an analyst reads through: refuse it whole.
MAX_TEXT_CHARS = 2_000_000
MAX_PDF_PAGES = 2_000
# The most one compressed PDF stream may expand to: a page's text is kilobytes, a zip bomb's gigabytes.
MAX_PDF_STREAM_BYTES = 64 * 1024 * 1024

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html",
    "markdown": "text/markdown",
    "text": "text/plain",
}
_DROPPED_HTML = ("script", "style", "noscript", "template", "svg", "iframe", "head")
_BLOCK_HTML = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
    "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "figcaption", "main",
)  # fmt: skip


class UnsupportedDocument(ServiceError):
    status, slug, title = 415, "unsupported-document", "Unsupported document type"


@dataclass
class Extracted:
    """A document's text, what kind of file it was, and the citation fields it carries itself."""

    text: str
    media_type: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    published_on: dt.date | None = None
    notes: list[str] = field(default_factory=list)


def sniff(raw: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """``pdf``, ``html``, ``markdown`` or ``text``; anything else is refused with a reason."""
    head = raw[:2048].lstrip()
    name = (filename or "").lower()
    declared = (content_type or "").split(";")[0].strip().lower()
    if raw.startswith(b"%PDF-"):
        return "pdf"
    if raw[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        raise UnsupportedDocument(
            "this is a zip archive (a .docx, .xlsx or .zip): send the document as PDF, HTML, Markdown or text"
        )
    if name.endswith(".pdf") or declared == "application/pdf":
        raise InvalidInput("the file is called a PDF but is not one (it does not start with %PDF-)")
    if b"\0" in raw[:65536]:
        raise UnsupportedDocument(
            "this is a binary file, not a document the service reads: send PDF, HTML, Markdown or text"
        )
    lowered = head[:512].lower()
    if (
        declared in ("text/html", "application/xhtml+xml")
        or name.endswith((".html", ".htm"))
        or lowered.startswith((b"<!doctype html", b"<html"))
    ):
        return "html"
    if declared == "text/markdown" or name.endswith((".md", ".markdown")):
        return "markdown"
    return "text"


def extract(raw: bytes, filename: str | None = None, content_type: str | None = None) -> Extracted:
    if not raw.strip():
        raise InvalidInput("the document is empty")
    kind = sniff(raw, filename, content_type)
    if kind == "pdf":
        extracted = _pdf(raw)
    elif kind == "html":
        extracted = _html(raw)
    else:
        extracted = (
            _markdown(_decode(raw)) if kind == "markdown" else Extracted(_decode(raw), MEDIA_TYPES["text"])
        )
        if kind == "text" and extracted.text.lstrip().startswith("#"):
            extracted = _markdown(extracted.text)
    extracted.text = _tidy(extracted.text)
    if len(extracted.text) > MAX_TEXT_CHARS:
        raise TooLarge(f"the document's text is over {MAX_TEXT_CHARS:,} characters; send a shorter document")
    if not extracted.text.strip():
        raise InvalidInput(
            "the document holds no text"
            + (" (a scanned PDF needs text recognition first)" if kind == "pdf" else "")
        )
    return extracted


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnsupportedDocument(
            f"the text is not UTF-8 (byte {error.start} is not valid): save it as UTF-8 and send it again"
        ) from error


def _tidy(text: str) -> str:
    """One space between words, at most one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---- Markdown ----------------------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[((?:[^\[\]]|\\\[|\\\])*)\]\((?:[^()]|\([^()]*\))*\)")
_BARE_URL_IN_PARENS = re.compile(r"\s*\\?\((?:/|https?://)[^)\s]*\\?\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_HEADING = re.compile(r"^#{1,6}\s*", re.M)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+", re.M)
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$", re.M)


def _markdown(source: str) -> Extracted:
    meta: dict[str, str] = {}
    front = _FRONT_MATTER.match(source.replace("\r\n", "\n"))
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        source = source.replace("\r\n", "\n")[front.end() :]
    title = meta.get("title")
    if not title:
        heading = re.search(r"^#\s+(.+)$", source, re.M)
        title = _plain_markdown(heading.group(1)).strip() if heading else None
    return Extracted(
        text=_plain_markdown(source),
        media_type=MEDIA_TYPES["markdown"],
        title=title,
        author=meta.get("author"),
        publisher=meta.get("publisher"),
        published_on=parse_date(meta.get("date") or meta.get("published") or meta.get("published_on")),
    )


def _plain_markdown(text: str) -> str:
    text = _IMAGE.sub("", text)
    for _ in range(2):  # a link's text may itself hold a link-like "(url)"
        text = _LINK.sub(lambda m: m.group(1), text)
    text = _BARE_URL_IN_PARENS.sub("", text)
    text = text.replace("\\(", "(").replace("\\)", ")").replace("\\[", "[").replace("\\]", "]")
    text = _RULE.sub("", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    return _EMPHASIS.sub("", text)


# ---- HTML --------------------------------------------------------------------------------------------------------


def _html(raw: bytes) -> Extracted:
    try:
        root = lxml.html.document_fromstring(raw)
    except (lxml.etree.ParserError, ValueError) as error:
        raise InvalidInput(f"the HTML could not be read ({error})") from error
    meta = {}
    for element in root.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        if key and element.get("content") and key not in meta:
            meta[key] = element.get("content").strip()
    title_element = root.find(".//title")
    title = (
        meta.get("citation_title")
        or meta.get("og:title")
        or meta.get("dc.title")
        or (title_element.text_content().strip() if title_element is not None else None)
    )
    for element in list(root.iter(*_DROPPED_HTML)):
        element.drop_tree()
    for element in root.iter(lxml.etree.Comment):
        element.text = ""
    for element in root.iter(*_BLOCK_HTML):
        element.tail = "\n" + (element.tail or "")
        if element.tag not in ("br", "hr"):
            element.text = "\n" + (element.text or "")
    return Extracted(
        text=root.text_content(),
        media_type=MEDIA_TYPES["html"],
        title=title or None,
        author=meta.get("citation_author")
        or meta.get("author")
        or meta.get("article:author")
        or meta.get("dc.creator"),
        publisher=meta.get("citation_publisher") or meta.get("og:site_name") or meta.get("dc.publisher"),
        published_on=parse_date(
            meta.get("citation_publication_date")
            or meta.get("article:published_time")
            or meta.get("dc.date")
            or meta.get("date")
        ),
    )


# ---- PDF ---------------------------------------------------------------------------------------------------------


def _pdf(raw: bytes) -> Extracted:
    limits = {
        "zlib_maximum_output_length": MAX_PDF_STREAM_BYTES,
        "lzw_maximum_output_length": MAX_PDF_STREAM_BYTES,
        "run_length_maximum_output_length": MAX_PDF_STREAM_BYTES,
        "maximum_declared_stream_length": MAX_PDF_STREAM_BYTES,
    }
    try:
        with apply_configuration(**limits):
            reader = PdfReader(io.BytesIO(raw), strict=False)
            if len(reader.pages) > MAX_PDF_PAGES:
                raise TooLarge(f"the PDF has {len(reader.pages):,} pages, more than {MAX_PDF_PAGES:,}")
            pages: list[str] = []
            total = 0
            for page in reader.pages:
                # Decoded first on its own: text extraction swallows decoding errors, limits included, and would
                # answer "no text" for a compression bomb.
                contents = page.get_contents()
                if contents is not None:
                    contents.get_data()
                text = page.extract_text() or ""
                total += len(text)
                if total > MAX_TEXT_CHARS:
                    raise TooLarge(f"the PDF's text is over {MAX_TEXT_CHARS:,} characters")
                pages.append(text)
            info = reader.metadata or {}
    except LimitReachedError as error:
        raise TooLarge(
            f"the PDF holds a stream that expands past {MAX_PDF_STREAM_BYTES // (1024 * 1024)} MiB "
            f"(a compression bomb?): refused ({error})"
        ) from error
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise InvalidInput(
            f"the PDF is damaged and could not be read ({type(error).__name__}: {error})"
        ) from error
    title = _pdf_string(info.get("/Title"))
    return Extracted(
        text="\n\n".join(pages),
        media_type=MEDIA_TYPES["pdf"],
        title=title,
        author=_pdf_string(info.get("/Author")),
    )


def _pdf_string(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def parse_date(value: str | None) -> dt.date | None:
    """The date at the start of an ISO date or timestamp ("2020-01-02", "2020-01-02T10:00:00Z"); else None."""
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value or "")
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
