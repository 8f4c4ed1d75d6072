"""Text and citation out of each format the service reads, and the names the extractor finds in them."""

from __future__ import annotations

import datetime as dt

from app.documents.extract import extract
from app.documents.mentions import find

SENTENCE = "The best way to open that campaign is by sanctioning Faleh al-Fayyad, the longtime national security advisor."
HTML = f"""<!doctype html><html><head>
<title>Site title | Brief</title>
<meta property="og:title" content="U.S.-Iraq Relations at a Crossroads">
<meta name="author" content="Michael Knights">
<meta property="og:site_name" content="The Washington Institute">
<meta property="article:published_time" content="2020-01-02T10:00:00Z">
<style>.x {{ color: red }}</style><script>var Secret = "Qasem Soleimani";</script>
</head><body><nav>Home</nav><article><h1>U.S.-Iraq Relations</h1><p>{SENTENCE}</p>
<p>Defense Secretary Mark Esper noted it on January 2.</p></article></body></html>"""


def names(text: str) -> dict[str, str | None]:
    return {f.names[0]: f.kind for f in find(text) if f.sure}


def test_html_gives_its_citation_and_its_text_without_scripts() -> None:
    document = extract(HTML.encode(), "brief.html")
    assert (document.title, document.author, document.publisher, document.published_on) == (
        "U.S.-Iraq Relations at a Crossroads",
        "Michael Knights",
        "The Washington Institute",
        dt.date(2020, 1, 2),
    )
    assert SENTENCE in document.text and "Soleimani" not in document.text and "color" not in document.text
    assert names(document.text) == {"Faleh al-Fayyad": "person", "Mark Esper": "person"}


def test_a_pdf_gives_its_text(tmp_path) -> None:
    from weasyprint import HTML as Render

    raw = Render(
        string=f"<html><head><title>A brief</title></head><body><p>{SENTENCE}</p></body></html>"
    ).write_pdf()
    document = extract(raw, "brief.pdf")
    assert document.media_type == "application/pdf" and document.title == "A brief"
    assert "sanctioning Faleh al-Fayyad" in " ".join(document.text.split())
    assert "Faleh al-Fayyad" in names(document.text)


def test_markdown_front_matter_and_links() -> None:
    source = (
        "---\ntitle: Treasury Sanctions Militia Leaders\ndate: 2019-12-06\npublisher: U.S. Department of the Treasury\n"
        "---\nOFAC designated [Qais al-Khazali](https://example.org/q) and Laith al-Khazali.\n"
    )
    document = extract(source.encode(), "release.md")
    assert (document.title, document.publisher, document.published_on) == (
        "Treasury Sanctions Militia Leaders",
        "U.S. Department of the Treasury",
        dt.date(2019, 12, 6),
    )
    assert document.text == "OFAC designated Qais al-Khazali and Laith al-Khazali."
    assert names(document.text) == {"Qais al-Khazali": "person", "Laith al-Khazali": "person"}


def test_titles_places_and_stop_phrases_are_not_names() -> None:
    text = (
        "Speaker of Parliament Mohammed al-Halbousi met President Trump in Washington. The Treasury Department "
        "acted under the Global Magnitsky Act against the Kataib Hezbollah front company and Asa’ib Ahl al-Haq (AAH) "
        "in Baghdad, Iraq. Secretary Steven T. Mnuchin spoke. Husayn Falih ‘Aziz al-Lami (al-Lami) was named."
    )
    found = {f.names[0]: (f.kind, f.names[1:]) for f in find(text) if f.sure}
    assert found == {
        "Mohammed al-Halbousi": ("person", []),
        "Trump": ("person", []),
        "Kataib Hezbollah": ("organization", []),
        "Asa’ib Ahl al-Haq": ("organization", ["AAH"]),
        "Steven T. Mnuchin": ("person", []),
        "Husayn Falih ‘Aziz al-Lami": ("person", []),
    }
