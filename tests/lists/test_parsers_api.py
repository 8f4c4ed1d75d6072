"""The parser API the service codes against (detect_format, parse, FORMATS), the rejection of the real broken files,
and the shared helpers (dates, countries, scripts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lists import parsers
from app.lists.parsers.common import detect_script, parse_date, parse_date_or_range, split_numbered
from app.lists.parsers.countries import country_code
from app.lists.records import SOURCES, ParseError

REAL_FILES = [
    ("ofac_sdn", "ofac_sdn/2019-01", "ofac_csv"),
    ("ofac_sdn", "ofac_sdn/2023-12-28", "ofac_csv"),
    ("ofac_sdn", "ofac_sdn/daily/2024-02-20/sdn.csv", "ofac_csv"),
    ("ofac_sdn", "ofac_sdn/xml_excerpt/ofac_sdn_xml_2020-10-29_excerpt_2entries.xml", "sdn_xml"),
    ("ofac_sdn", "ofac_sdn/xml_excerpt/sdn_2020-04-22_sample7.zip", "sdn_xml"),
    (
        "ofac_sdn",
        "ofac_sdn/advanced_excerpt/sdn_advanced_2026-09-09_cutdown_4parties.xml",
        "sdn_advanced_xml",
    ),
    ("ofac_cons", "ofac_cons/consolidated_2025-10-22.xml", "sdn_xml"),
    ("ofac_cons", "ofac_cons/consolidated_2020-03-17.xml", "sdn_xml"),
    ("ofac_cons", "ofac_cons/csv_c2025-12", "ofac_csv"),
    ("un_sc", "un/consolidated_2025-11-20.xml", "un_xml"),
    ("uk", "uk/ofsi_conlist_2025-04-10.xlsx", "ofsi_xlsx"),
    ("uk", "uk/ofsi_conlist_2020-04-27.csv", "ofsi_csv"),
    ("uk", "uk/fcdo_sanctions_list_2026-03-26_first7.xml", "fcdo_xml"),
    ("uk", "uk/fcdo_sanctions_list_summary_2025-08-11.ods", "fcdo_ods"),
    ("eu_fsf", "eu/fsf_2024-12-11_sample1.xml", "eu_fsf_xml"),
    ("ca_sema", "canada/sema_c2025-05.xml", "ca_sema_xml"),
    ("au_dfat", "australia/dfat_consolidated_c2024-12-17.xlsx", "au_dfat_xlsx"),
]


def test_every_source_has_formats() -> None:
    assert set(parsers.FORMATS) == set(SOURCES)
    assert all(parsers.FORMATS[source] for source in SOURCES)


@pytest.mark.parametrize(("source", "relative", "expected"), REAL_FILES)
def test_detect_format_of_each_real_file(data_dir: Path, source: str, relative: str, expected: str) -> None:
    assert parsers.detect_format(source, data_dir / relative) == expected
    assert expected in parsers.FORMATS[source]


@pytest.mark.parametrize(
    ("source", "relative"),
    [
        ("un_sc", "ofac_cons/consolidated_2025-10-22.xml"),
        ("eu_fsf", "un/consolidated_2025-11-20.xml"),
        ("ofac_sdn", "uk/ofsi_conlist_2025-04-10.xlsx"),
        ("uk", "eu/fsf_2024-12-11_sample1.xml"),
    ],
)
def test_a_file_of_another_list_is_rejected_with_the_reason(
    data_dir: Path, source: str, relative: str
) -> None:
    with pytest.raises(ParseError, match=f"not a format of the {source} list"):
        parsers.parse(source, data_dir / relative)


def test_forcing_a_format_that_does_not_match_the_file_is_rejected(data_dir: Path) -> None:
    with pytest.raises(ParseError, match=r"root element is <CONSOLIDATED_LIST>, expected <sdnList>"):
        parsers.parse("ofac_cons", data_dir / "un/consolidated_2025-11-20.xml", format="sdn_xml")
    with pytest.raises(ParseError, match="not a format of the un_sc list"):
        parsers.parse("un_sc", data_dir / "un/consolidated_2025-11-20.xml", format="ofac_csv")


def test_unknown_source_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="unknown list source 'interpol'"):
        parsers.parse("interpol", tmp_path)
    with pytest.raises(ParseError, match="does not exist"):
        parsers.parse("un_sc", tmp_path / "missing.xml")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with pytest.raises(ParseError, match="empty"):
        parsers.parse("un_sc", empty)
    with pytest.raises(ParseError, match="folder without an OFAC CSV set"):
        parsers.parse("ofac_sdn", tmp_path)


def test_un_file_with_destroyed_encoding_is_rejected(data_dir: Path) -> None:
    path = data_dir / "malformed" / "un_consolidated_2025-08-16_CORRUPTED_encoding.xml"
    with pytest.raises(ParseError) as caught:
        parsers.parse("un_sc", path)
    reason = str(caught.value)
    assert "not well-formed XML at line 53" in reason
    assert "encoding is wrong or damaged" in reason


def test_un_file_with_bare_ampersands_is_rejected(data_dir: Path) -> None:
    path = data_dir / "malformed" / "un_consolidated_2024-10-16_unescaped_ampersand.xml"
    with pytest.raises(ParseError) as caught:
        parsers.parse("un_sc", path)
    assert "unescaped '&'" in str(caught.value)
    assert "line 39788" in str(caught.value)


def test_every_real_file_reports_its_unmapped_values_with_examples(parsed) -> None:
    for source, relative, _format in REAL_FILES:
        publication = parsed(source, relative)
        assert publication.entries
        for field, count in publication.unmapped.items():
            examples = publication.unmapped_examples[field]
            assert 1 <= len(examples) <= min(count, 5), field
    assert parsed("ofac_sdn", "ofac_sdn/2023-12-28").unmapped["remarks.unparsed"] > 1000
    assert parsed("uk", "uk/ofsi_conlist_2020-04-27.csv").unmapped["passport.no_number"] > 0


# ---------------------------------------------------------------------------------------------------------------
# Helpers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27 Mar 1956", "1956-03-27"),
        ("Mar 1956", "1956-03"),
        ("1956", "1956"),
        ("Nov. 1973", "1973-11"),
        ("11 Apr. 1963", "1963-04-11"),
        ("12 Sept 1993", "1993-09-12"),
        ("August 1961", "1961-08"),
        ("1963-04-11", "1963-04-11"),
        ("1960-01-01-05:00", "1960-01-01"),
        ("2025-11-20T23:00:09.067Z", "2025-11-20"),
        ("22/08/1990", "1990-08-22"),
        ("00/00/1980", "1980"),
        ("00/05/1980", "1980-05"),
        ("dd/mm/1945", "1945"),
        ("09/1962", "1962-09"),
        ("31 Feb 1990", None),
        ("13/13/1990", None),
        ("24/06/1402 (Hijri Calendar)", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1950 to 1955", "1950/1955"),
        ("01 Jan 1950 to 31 Dec 1955", "1950-01-01/1955-12-31"),
        ("between 1950 and 1955", "1950/1955"),
        ("1960-1962", "1960/1962"),
        ("27 Mar 1956", "1956-03-27"),
    ],
)
def test_parse_date_or_range(text: str, expected: str) -> None:
    assert parse_date_or_range(text) == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Iraq", "IQ"),
        ("Iran", "IR"),
        ("Iran (Islamic Republic of)", "IR"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Korea, North", "KP"),
        ("Democratic People's Republic of Korea", "KP"),
        ("Democratic People’s Republic of Korea", "KP"),
        ("Korea, South", "KR"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Congo, Republic of the", "CG"),
        ("West Bank", "PS"),
        ("Burma", "MM"),
        ("Türkiye", "TR"),
        ("Cote d Ivoire", "CI"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("Iraqi", "IQ"),
        ("Ukrainian SSR (now Ukraine)", "UA"),
        ("Afghanistan (at time of listing)", "AF"),
        ("Saudi Arabia.", "SA"),
        ("IQ", "IQ"),
        ("USSR (until 1991)", None),
        ("Possibly Ethiopian", None),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_country_code(name: str, code: str | None) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("AL-FAYYADH, Falih", "Latn"),
        ("Qoussaï Saddam Hussein", "Latn"),
        ("محمد صلاح الدين", "Arab"),
        ("ЗЮЗИН Игорь", "Cyrl"),
        ("金正恩", "Hani"),
        ("김정은", "Hang"),
        ("בן", "Hebr"),
        ("123", None),
    ],
)
def test_detect_script(text: str, script: str | None) -> None:
    assert detect_script(text) == script


def test_split_numbered() -> None:
    assert split_numbered("1) Saudi Arabia 2) Qatar") == ["Saudi Arabia", "Qatar"]
    assert split_numbered("(1) 223611 (2) C00146605") == ["223611", "C00146605"]
    assert split_numbered("Pakistan") == ["Pakistan"]
    assert split_numbered("") == []
