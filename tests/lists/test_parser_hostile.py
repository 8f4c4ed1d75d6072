"""Broken and hostile inputs: every one is rejected with a reason (ParseError), quickly and with bounded memory, and
nothing is ever fetched or expanded.

Broken files are derived at test time from the real ones (truncated, re-encoded, mutated); none is stored.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.lists import parsers
from app.lists.records import ParseError
from tests.lists.conftest import REPO_ROOT, as_dicts, sample_data_dir

SDN_XML_2 = "ofac_sdn/xml_excerpt/ofac_sdn_xml_2020-10-29_excerpt_2entries.xml"
EU_XML_1 = "eu/fsf_2024-12-11_sample1.xml"
MEMORY_LIMIT_MB = 200
TIME_LIMIT_S = 10.0


def real_bytes(relative: str) -> bytes:
    return (sample_data_dir() / relative).read_bytes()


def parse_bytes(tmp_path: Path, source: str, data: bytes, name: str, format: str | None = None):
    path = tmp_path / name
    path.write_bytes(data)
    return parsers.parse(source, path, format=format)


def assert_rejected(
    tmp_path: Path, source: str, data: bytes, name: str, *fragments: str, format: str | None = None
):
    with pytest.raises(ParseError) as caught:
        parse_bytes(tmp_path, source, data, name, format)
    reason = str(caught.value)
    assert "internal parser error" not in reason
    for fragment in fragments:
        assert fragment in reason, reason
    return reason


def run_isolated(script: str, tmp_path: Path) -> dict:
    """Run a parse in a fresh interpreter and report its reason, duration and peak memory, so the memory bound is
    measured for that input alone (lxml's allocations are invisible to tracemalloc). The peak is the process's
    VmHWM: on Linux ru_maxrss is inherited from the parent (this test process) across fork and exec."""
    program = textwrap.dedent(
        """
        import json, resource, sys, time
        from pathlib import Path
        from app.lists import parsers
        from app.lists.records import ParseError

        def peak_mb():
            try:
                with open("/proc/self/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            return int(line.split()[1]) / 1024
            except OSError:
                pass
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        start = time.monotonic()
        reason = None
        try:
        {body}
        except ParseError as exc:
            reason = str(exc)
        print(json.dumps({{"reason": reason, "seconds": time.monotonic() - start, "peak_mb": peak_mb()}}))
        """
    ).format(body=textwrap.indent(textwrap.dedent(script), "    "))
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["reason"], "the input was accepted"
    assert report["seconds"] < TIME_LIMIT_S, report
    assert report["peak_mb"] < MEMORY_LIMIT_MB, report
    return report


# ---------------------------------------------------------------------------------------------------------------
# Truncation


@pytest.mark.parametrize(
    ("source", "relative", "stride"),
    # Every byte of the 2-entry SDN.XML excerpt; every 3rd byte of an EU excerpt (enough to cut each of its tags
    # and attributes, in a third of the time).
    [("ofac_sdn", SDN_XML_2, 1), ("eu_fsf", EU_XML_1, 3)],
)
def test_xml_cut_at_every_byte_is_rejected(tmp_path: Path, source: str, relative: str, stride: int) -> None:
    assert_cuts_rejected(tmp_path, source, real_bytes(relative), stride)


def assert_cuts_rejected(tmp_path: Path, source: str, data: bytes, stride: int = 1) -> None:
    """Every ``stride``-th prefix of an XML file is rejected with a reason, except a cut in the trailing
    whitespace, which must give the whole publication."""
    full = as_dicts(parse_bytes(tmp_path, source, data, "full.xml"))
    accepted = []
    cuts = sorted(set(range(0, len(data), stride)) | set(range(len(data.rstrip()), len(data))))
    for cut in cuts:
        try:
            publication = parse_bytes(tmp_path, source, data[:cut], "cut.xml")
        except ParseError as exc:
            assert "internal parser error" not in str(exc)
            continue
        # Only a cut in the whitespace after the closing root tag leaves the same, complete document.
        assert data[cut:].strip() == b"", cut
        assert as_dicts(publication) == full
        accepted.append(cut)
    assert accepted == list(range(len(data.rstrip()), len(data)))


def first_rows_of_sdn_csv(count: int) -> bytes:
    """The first ``count`` rows of the real 2023-12-28 sdn.csv (CRLF line ends), as OFAC writes them, plus the
    end-of-file byte."""
    lines = real_bytes("ofac_sdn/2023-12-28/sdn.csv").split(b"\r\n")
    return b"\r\n".join(lines[:count]) + b"\r\n\x1a"


def test_csv_cut_at_every_byte_is_rejected_or_ends_at_a_row_boundary(tmp_path: Path) -> None:
    """A CSV cut inside a row is rejected (wrong field count, unterminated quote, broken entity number). A cut that
    falls exactly between rows, or only drops the empty marker "-0- " that ends a row, leaves a shorter but valid file:
    it yields the complete rows before the cut. No file format can tell that from a shorter publication; the service's
    guard against implausible mass removals is what stops such a file from being taken as the new list."""
    data = first_rows_of_sdn_csv(20)
    full = parse_bytes(tmp_path, "ofac_sdn", data, "sdn.csv")
    full_ids = [entry.list_id for entry in full.entries]
    full_dicts = as_dicts(full)
    assert len(full_ids) == 20
    row_ends = []  # offset just after the content of each row (before its CRLF)
    offset = 0
    for line in data.split(b"\r\n")[:20]:
        offset += len(line)
        row_ends.append(offset)
        offset += 2
    rejected = 0
    for cut in range(len(data)):
        try:
            publication = parse_bytes(tmp_path, "ofac_sdn", data[:cut], "sdn.csv")
        except ParseError as exc:
            assert "internal parser error" not in str(exc)
            rejected += 1
            continue
        ids = [entry.list_id for entry in publication.entries]
        complete = sum(1 for end in row_ends if end <= cut)
        assert ids == full_ids[: len(ids)], cut
        if len(ids) == complete + 1:
            # The row being cut only lost (part of) its trailing empty marker: nothing of it is missing.
            assert b"-0- ".endswith(data[cut : row_ends[complete]]), cut
        else:
            assert len(ids) == complete, cut
        for list_id in ids:
            assert publication.entries[ids.index(list_id)].to_dict() == full_dicts[list_id]
    assert rejected > len(data) * 0.9


# ---------------------------------------------------------------------------------------------------------------
# Encodings


def test_utf16_xml_is_rejected(tmp_path: Path) -> None:
    text = real_bytes(EU_XML_1).decode("utf-8")
    assert_rejected(tmp_path, "eu_fsf", text.encode("utf-16"), "utf16.xml", "UTF-16")
    assert_rejected(
        tmp_path, "eu_fsf", text.encode("utf-16-le"), "utf16le.xml", "UTF-16", format="eu_fsf_xml"
    )


def test_latin1_bytes_under_a_utf8_declaration_are_rejected(tmp_path: Path) -> None:
    text = real_bytes("eu/fsf_2020-04-15_first7.xml").decode("utf-8")
    assert "Qoussaï" in text
    reason = assert_rejected(tmp_path, "eu_fsf", text.encode("latin-1"), "latin1.xml", "encoding")
    assert "line" in reason


def test_latin1_bytes_under_a_latin1_declaration_mean_what_they_say(tmp_path: Path, parsed) -> None:
    text = real_bytes("eu/fsf_2020-04-15_first7.xml").decode("utf-8")
    relabelled = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1).encode("latin-1")
    publication = parse_bytes(tmp_path, "eu_fsf", relabelled, "latin1.xml")
    assert as_dicts(publication) == as_dicts(parsed("eu_fsf", "eu/fsf_2020-04-15_first7.xml"))


def test_an_exotic_declared_encoding_is_rejected(tmp_path: Path) -> None:
    text = real_bytes(EU_XML_1).decode("utf-8").replace('encoding="UTF-8"', 'encoding="EBCDIC-US"', 1)
    assert_rejected(tmp_path, "eu_fsf", text.encode("utf-8"), "ebcdic.xml", "ebcdic-us")


def test_utf8_bom_is_accepted(tmp_path: Path, parsed) -> None:
    with_bom = b"\xef\xbb\xbf" + real_bytes(SDN_XML_2)
    assert as_dicts(parse_bytes(tmp_path, "ofac_sdn", with_bom, "bom.xml")) == as_dicts(
        parsed("ofac_sdn", SDN_XML_2)
    )
    csv_with_bom = b"\xef\xbb\xbf" + first_rows_of_sdn_csv(5)
    assert len(parse_bytes(tmp_path, "ofac_sdn", csv_with_bom, "sdn.csv").entries) == 5


def test_csv_in_the_wrong_encoding_is_rejected(tmp_path: Path) -> None:
    text = first_rows_of_sdn_csv(5).decode("utf-8")
    assert_rejected(tmp_path, "ofac_sdn", text.encode("utf-16"), "sdn.csv", "UTF-16")
    assert_rejected(tmp_path, "ofac_sdn", text.encode("utf-16-le"), "sdn.csv", "UTF-16")
    assert_rejected(tmp_path, "ofac_sdn", text.encode("utf-16-le"), "sdn.csv", "NUL bytes", format="ofac_csv")
    latin1 = text.replace("AEROCARIBBEAN", "AÉROCARIBBEAN").encode("latin-1")
    assert_rejected(tmp_path, "ofac_sdn", latin1, "sdn.csv", "not valid UTF-8", "0xC9")


# ---------------------------------------------------------------------------------------------------------------
# Structure


def test_wrong_root_and_empty_lists_are_rejected(tmp_path: Path) -> None:
    assert_rejected(tmp_path, "ofac_sdn", b"", "sdn.xml", "empty")
    assert_rejected(tmp_path, "ofac_sdn", b"   \n ", "sdn.xml", "empty", format="sdn_xml")
    assert_rejected(
        tmp_path, "ofac_sdn", b"<html><body>Service unavailable</body></html>", "sdn.xml", "<html>"
    )
    no_entries = (
        b'<?xml version="1.0"?><sdnList xmlns="http://tempuri.org/sdnList.xsd"><publshInformation>'
        b"<Publish_Date>10/29/2020</Publish_Date></publshInformation></sdnList>"
    )
    assert_rejected(tmp_path, "ofac_sdn", no_entries, "sdn.xml", "no entries")
    assert_rejected(
        tmp_path, "un_sc", b'<CONSOLIDATED_LIST dateGenerated="2025-11-20"/>', "un.xml", "no entries"
    )
    assert_rejected(tmp_path, "ofac_sdn", b"\r\n\x1a", "sdn.csv", "empty")
    bad_publish_date = real_bytes(SDN_XML_2).replace(b"10/29/2020", b"29/10/2020")
    assert_rejected(tmp_path, "ofac_sdn", bad_publish_date, "sdn.xml", "publication date")


def test_csv_with_a_wrong_field_count_is_rejected(tmp_path: Path) -> None:
    rows = first_rows_of_sdn_csv(5).split(b"\r\n")
    rows[2] = rows[2] + b',"extra"'
    assert_rejected(tmp_path, "ofac_sdn", b"\r\n".join(rows), "sdn.csv", "line 3", "13 fields where 12")


def test_ofsi_csv_cut_mid_row_or_without_its_header_is_rejected(tmp_path: Path) -> None:
    lines = real_bytes("uk/ofsi_conlist_2020-04-27.csv").split(b"\r\n")[:40]
    sample = b"\r\n".join(lines) + b"\r\n"
    assert len(parse_bytes(tmp_path, "uk", sample, "conlist.csv").entries) > 5
    # Its last field is the Group ID: a cut in it would silently change the id, so a missing final line break is
    # treated as truncation.
    assert_rejected(tmp_path, "uk", sample[:-3], "conlist.csv", "does not end with a line break")
    assert_rejected(
        tmp_path, "uk", sample[: sample.index(b"\r\n", 2000) - 10] + b"\r\n", "conlist.csv", "fields"
    )
    without_header = b"\r\n".join(lines[:1] + lines[2:]) + b"\r\n"
    assert_rejected(tmp_path, "uk", without_header, "conlist.csv", "no 'Name 6' header row")
    without_date = b"\r\n".join(lines[1:]) + b"\r\n"
    assert_rejected(
        tmp_path, "uk", without_date, "conlist.csv", "publication date is missing", format="ofsi_csv"
    )


def test_huge_fields_are_rejected(tmp_path: Path) -> None:
    huge = b"A" * 2_000_000
    xml = real_bytes(SDN_XML_2).replace(
        b"<lastName>AVIA IMPORT</lastName>", b"<lastName>" + huge + b"</lastName>"
    )
    assert_rejected(tmp_path, "ofac_sdn", xml, "sdn.xml", "2,000,000 characters")
    attribute = real_bytes(EU_XML_1).replace(b'logicalId="13"', b'logicalId="13" junk="' + huge + b'"', 1)
    assert_rejected(tmp_path, "eu_fsf", attribute, "eu.xml", "2,000,000 characters")
    rows = first_rows_of_sdn_csv(3).split(b"\r\n")
    rows[1] = rows[1][: rows[1].rindex(b",")] + b',"' + huge + b'"'
    assert_rejected(tmp_path, "ofac_sdn", b"\r\n".join(rows), "sdn.csv", "field")


def test_absurdly_deep_nesting_is_rejected_in_bounded_memory(tmp_path: Path) -> None:
    # Deeper than any list (about 12 levels) but within libxml2's own limit of 256: this parser's limit applies.
    moderate = real_bytes(SDN_XML_2).replace(
        b"<uid>36</uid>", b"<uid>36</uid>" + b"<a>" * 100 + b"</a>" * 100
    )
    assert_rejected(tmp_path, "ofac_sdn", moderate, "moderate.xml", "nested more than 64 levels deep")
    path = tmp_path / "deep.xml"
    body = b"<a>" * 100_000 + b"</a>" * 100_000
    path.write_bytes(real_bytes(SDN_XML_2).replace(b"<uid>36</uid>", b"<uid>36</uid>" + body))
    report = run_isolated(f'parsers.parse("ofac_sdn", Path({str(path)!r}))', tmp_path)
    assert "nested" in report["reason"] or "depth" in report["reason"]
    assert "XML_PARSE_HUGE" not in report["reason"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE sdnList [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sdnList a="&lol9;"><publshInformation><Publish_Date>10/29/2020</Publish_Date></publshInformation>
<sdnEntry><uid>1</uid><lastName>&lol9;</lastName><sdnType>Entity</sdnType></sdnEntry></sdnList>
"""


def test_billion_laughs_is_rejected_without_expanding(tmp_path: Path) -> None:
    path = tmp_path / "laughs.xml"
    path.write_bytes(BILLION_LAUGHS)
    report = run_isolated(f'parsers.parse("ofac_sdn", Path({str(path)!r}))', tmp_path)
    assert "DOCTYPE" in report["reason"] and "entity declarations" in report["reason"]


def test_a_doctype_hidden_behind_a_long_prolog_is_rejected(tmp_path: Path) -> None:
    hidden = b'<?xml version="1.0"?>\n<!--' + b" " * 100_000 + b"-->\n" + BILLION_LAUGHS.split(b"\n", 1)[1]
    assert_rejected(tmp_path, "ofac_sdn", hidden, "hidden.xml", "prolog", format="sdn_xml")


def test_external_entity_to_a_local_file_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOP-SECRET-MARKER")
    for target in ("file:///etc/passwd", secret.as_uri()):
        document = (
            f'<?xml version="1.0"?><!DOCTYPE sdnList [<!ENTITY xxe SYSTEM "{target}">]>'
            "<sdnList><publshInformation><Publish_Date>10/29/2020</Publish_Date></publshInformation>"
            "<sdnEntry><uid>1</uid><lastName>&xxe;</lastName><sdnType>Entity</sdnType></sdnEntry></sdnList>"
        ).encode()
        reason = assert_rejected(tmp_path, "ofac_sdn", document, "xxe.xml", "DOCTYPE", format="sdn_xml")
        assert "root:x:0:0" not in reason
        assert "TOP-SECRET-MARKER" not in reason


def test_external_entity_and_dtd_urls_are_never_fetched(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.3)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/evil"
    try:
        documents = [
            f'<?xml version="1.0"?><!DOCTYPE sdnList [<!ENTITY xxe SYSTEM "{url}.txt">]>'
            "<sdnList><sdnEntry><uid>1</uid><lastName>&xxe;</lastName></sdnEntry></sdnList>",
            f'<?xml version="1.0"?><!DOCTYPE sdnList SYSTEM "{url}.dtd"><sdnList><sdnEntry><uid>1</uid>'
            "<lastName>X</lastName></sdnEntry></sdnList>",
            f'<?xml version="1.0"?><!DOCTYPE sdnList [<!ENTITY % remote SYSTEM "{url}.ent"> %remote;]><sdnList/>',
        ]
        for document in documents:
            assert_rejected(
                tmp_path, "ofac_sdn", document.encode(), "remote.xml", "DOCTYPE", format="sdn_xml"
            )
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody connected
    finally:
        listener.close()


# ---------------------------------------------------------------------------------------------------------------
# Zips


def test_zip_bomb_by_compression_ratio_is_rejected_in_bounded_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "sdn_bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("sdn.xml", "w") as member,
    ):
        member.write(real_bytes(SDN_XML_2)[:200])
        chunk = b" " * (1024 * 1024)
        for _ in range(100):  # 100 MB of spaces: about 100 KB compressed
            member.write(chunk)
    assert bomb.stat().st_size < 1_000_000
    report = run_isolated(f'parsers.parse("ofac_sdn", Path({str(bomb)!r}))', tmp_path)
    assert "zip bomb" in report["reason"]
    # The spreadsheet readers check the zip before handing it to calamine or reading content.xml.
    for name, source in (("bomb.xlsx", "uk"), ("bomb.ods", "uk")):
        assert_rejected(tmp_path, source, bomb.read_bytes(), name, "zip bomb")


def test_zip_declaring_an_absurd_size_is_rejected(tmp_path: Path) -> None:
    original = sample_data_dir() / "ofac_sdn/xml_excerpt/sdn_2020-04-22_sample7.zip"
    data = bytearray(original.read_bytes())
    directory = data.rindex(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (4 * 1024**3 - 1).to_bytes(
        4, "little"
    )  # uncompressed size: 4 GiB
    assert_rejected(tmp_path, "ofac_sdn", bytes(data), "big.zip", "zip bomb")


def test_corrupt_and_truncated_zips_are_rejected(tmp_path: Path) -> None:
    original = (sample_data_dir() / "ofac_sdn/xml_excerpt/sdn_2020-04-22_sample7.zip").read_bytes()
    assert_rejected(tmp_path, "ofac_sdn", original[: len(original) // 2], "half.zip", "damaged zip")
    corrupt = bytearray(original)
    for offset in range(60, 200):  # inside the compressed data of sdn.xml
        corrupt[offset] ^= 0x55
    assert_rejected(tmp_path, "ofac_sdn", bytes(corrupt), "corrupt.zip", "zip")


def test_truncated_spreadsheets_are_rejected(tmp_path: Path) -> None:
    ods = real_bytes("uk/fcdo_sanctions_list_summary_2025-08-11.ods")
    assert_rejected(tmp_path, "uk", ods[: len(ods) - 1000], "summary.ods", "damaged zip")
    xlsx = real_bytes("uk/ofsi_conlist_2025-04-10.xlsx")
    assert_rejected(tmp_path, "uk", xlsx[:300_000], "conlist.xlsx", "damaged zip")


# ---------------------------------------------------------------------------------------------------------------
# Random damage


@settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_byte_damage_to_a_real_xml_gives_a_publication_or_a_parse_error(tmp_path: Path, data) -> None:
    original = real_bytes(SDN_XML_2)
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8), label="changes")):
        position = data.draw(st.integers(min_value=0, max_value=len(damaged) - 1), label="position")
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]), label="action")
        byte = data.draw(
            st.sampled_from([0, 0x1A, 0x22, 0x26, 0x3C, 0x3E, 0x2F, 0x41, 0xC3, 0xFF]), label="byte"
        )
        if action == "replace":
            damaged[position] = byte
        elif action == "delete" and len(damaged) > 1:
            del damaged[position]
        else:
            damaged.insert(position, byte)
    path = tmp_path / "damaged.xml"
    path.write_bytes(bytes(damaged))
    try:
        publication = parsers.parse("ofac_sdn", path, format="sdn_xml")
    except ParseError as exc:
        assert "internal parser error" not in str(exc)
    else:
        assert publication.entries
        for entry in publication.entries:
            entry.to_dict()


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_byte_damage_to_a_real_csv_gives_a_publication_or_a_parse_error(tmp_path: Path, data) -> None:
    damaged = bytearray(first_rows_of_sdn_csv(8))
    for _ in range(data.draw(st.integers(min_value=1, max_value=6), label="changes")):
        position = data.draw(st.integers(min_value=0, max_value=len(damaged) - 1), label="position")
        byte = data.draw(
            st.sampled_from([0, 0x0A, 0x0D, 0x22, 0x2C, 0x3B, 0x30, 0x41, 0xC3, 0xFF]), label="byte"
        )
        damaged[position] = byte
    path = tmp_path / "sdn.csv"
    path.write_bytes(bytes(damaged))
    try:
        publication = parsers.parse("ofac_sdn", path, format="ofac_csv")
    except ParseError as exc:
        assert "internal parser error" not in str(exc)
    else:
        assert publication.entries
