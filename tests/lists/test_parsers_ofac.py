"""OFAC formats on the real published files: the legacy CSV sets, SDN.XML / consolidated.xml and the advanced XML.

Counts are checked against the files themselves, read here without the parser, and the entries the README names
("entries worth knowing") against what OFAC wrote for them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from app.lists import parsers
from app.lists.records import Identifier, Link, Name, ParseError
from tests.lists.conftest import as_dicts, by_id


def csv_rows(path: Path) -> list[list[str]]:
    """Rows of an OFAC CSV file read with the csv module alone (no header; a final 0x1A byte is not a row)."""
    text = path.read_bytes().decode("utf-8").rstrip("\x1a")
    return [row for row in csv.reader(io.StringIO(text, newline="")) if row and row[0].strip().isdigit()]


# ---------------------------------------------------------------------------------------------------------------
# Legacy CSV sets


@pytest.mark.parametrize(("folder", "readme_count"), [("2019-01", 7379), ("2023-12-28", 13821)])
def test_sdn_csv_set_has_one_entry_per_row_of_sdn_csv(
    parsed, data_dir: Path, folder: str, readme_count: int
) -> None:
    publication = parsed("ofac_sdn", f"ofac_sdn/{folder}")
    rows = csv_rows(data_dir / "ofac_sdn" / folder / "sdn.csv")
    assert len(rows) == readme_count
    assert sorted(entry.list_id for entry in publication.entries) == sorted(row[0] for row in rows)
    assert publication.format == "ofac_csv"
    assert publication.published is None  # the CSV set states no date; the caller supplies it


def test_every_alias_and_address_row_lands_on_its_entry(parsed, data_dir: Path) -> None:
    folder = data_dir / "ofac_sdn" / "2023-12-28"
    entries = by_id(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))
    aliases = csv_rows(folder / "alt.csv")
    for ent_num, _alt_num, _alt_type, alt_name, _remarks in aliases:
        # Names are kept with their whitespace collapsed ("Abd  Al Rahman" is written with two spaces once).
        assert " ".join(alt_name.split()) in {name.full for name in entries[ent_num].names}, ent_num
    with_address = {
        row[0] for row in csv_rows(folder / "add.csv") if any(v.strip() != "-0-" for v in row[2:5])
    }
    assert with_address == {ent_num for ent_num, entry in entries.items() if entry.addresses}


def test_al_fayyadh_is_on_the_2023_list_with_the_details_ofac_gives(parsed) -> None:
    entry = by_id(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))["30242"]
    assert entry.kind == "person"
    assert entry.name == "AL-FAYYADH, Falih"
    assert entry.programs == ["GLOMAG"]
    assert entry.birth_dates == ["1956-03-27"]
    assert entry.nationalities == ["IQ"]
    assert entry.birth_places == ["Iraq"]
    assert set(entry.names[1:]) == {
        Name("ALFAYYADH, Faleh", "strong", "Latn"),
        Name("ALFAYYADH, Falih", "strong", "Latn"),
        Name("AL FAYYADH, Falih Faisal Fahad", "strong", "Latn"),
    }
    assert entry.identifiers == [Identifier("passport", "D1019262", "IQ", "expires 2026-07-14")]
    assert entry.extra["gender"] == ["Male"]
    # The packed remarks field is parsed, and also kept as OFAC wrote it.
    assert entry.remarks == (
        "DOB 27 Mar 1956; POB Iraq; nationality Iraq; Gender Male; Passport D1019262 (Iraq) expires 14 Jul 2026."
    )


def test_al_fayyadh_and_the_iraq_designations_are_not_on_the_2019_list(parsed) -> None:
    old, new = by_id(parsed("ofac_sdn", "ofac_sdn/2019-01")), by_id(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))
    for ent_num in ("30242", "28004", "28005", "28283"):
        assert ent_num not in old
        assert ent_num in new
    assert new["28004"].name == "AL-KHAZALI, Qais"
    assert new["28005"].name == "AL-KHAZALI, Laith"
    assert sorted(new["28004"].programs) == sorted(new["28005"].programs) == ["GLOMAG", "SDGT"]
    assert new["28283"].name == "ASA'IB AHL AL-HAQ"
    assert new["28283"].kind == "organization"
    assert new["28283"].programs == ["SDGT"]


@pytest.mark.parametrize("folder", ["2019-01", "2023-12-28"])
def test_kataib_hizballah_keeps_its_three_programs(parsed, folder: str) -> None:
    entry = by_id(parsed("ofac_sdn", f"ofac_sdn/{folder}"))["11462"]
    assert entry.name == "KATA'IB HIZBALLAH"
    assert sorted(entry.programs) == ["FTO", "IRAQ3", "SDGT"]
    # alt.csv aliases are strong; the quoted a.k.a. of the remarks are OFAC's weak aliases.
    assert Name("KATA'IB HEZBOLLAH", "strong", "Latn") in entry.names
    assert Name("KATA'IB HIZBALLAH FI AL-IRAQ", "weak", "Latn") in entry.names
    assert entry.addresses == ["Iraq", "Najaf, Iraq"]
    assert entry.extra["website"] == ["www.aleseb.com"]


def test_al_muhandis_remarks_become_fields(parsed) -> None:
    entry = by_id(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))["11461"]
    assert entry.name == "AL-MUHANDIS, Abu Mahdi"
    assert entry.programs == ["IRAQ3"]
    assert entry.birth_dates == ["1953"]
    assert entry.birth_places == ["Ma'ghal, Basrah, Iraq"]
    assert entry.nationalities == ["IQ"]
    assert sorted(entry.citizenships) == ["IQ", "IR"]  # "citizen Iran; alt. citizen Iraq"
    assert entry.extra["additional_sanctions_information"] == ["Subject to Secondary Sanctions"]
    weak = {name.full for name in entry.names if name.quality == "weak"}
    assert weak == {
        "AL-IBRAHIMI, Jamal Fa'far 'Ali",
        "AL-TAMIMI, Jamal al-Madan",
        "MOHAMMED, Jamal Jaafar",
        "JAAFAR, Jaafar Jamal",
    }


def test_linked_to_names_resolve_to_entity_numbers(parsed) -> None:
    entries = by_id(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))
    bank = entries[
        "4632"
    ]  # "... Linked To: ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)-QODS FORCE; Linked To: HIZBALLAH."
    assert bank.name == "BANK MARKAZI JOMHOURI ISLAMI IRAN"
    assert set(bank.links) == {Link("10465", "linked_to"), Link("4697", "linked_to")}
    assert entries["10465"].name == "ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)-QODS FORCE"
    assert entries["4697"].name == "HIZBALLAH"


def test_linked_names_missing_from_the_list_are_counted_not_dropped(parsed) -> None:
    publication = parsed("ofac_sdn", "ofac_sdn/2023-12-28")
    unresolved = {
        name for entry in publication.entries for name in entry.extra.get("linked_to_unresolved", [])
    }
    assert "OPEN JOINT-STOCK COMPANY ROSNEFT OIL COMPANY" in unresolved  # on the SSI list, not the SDN list
    assert publication.unmapped["links.not_in_this_list"] + publication.unmapped[
        "links.ambiguous_name"
    ] >= len(unresolved)
    resolved = sum(len(entry.links) for entry in publication.entries)
    written = sum(len(re.findall(r"Linked To: ", entry.remarks or "")) for entry in publication.entries)
    # Every "Linked To:" is either a link or counted as unmapped.
    assert (
        resolved
        + publication.unmapped["links.not_in_this_list"]
        + publication.unmapped["links.ambiguous_name"]
        == written
    )


def test_remarks_cut_at_1000_characters_continue_from_the_comments_file(parsed, data_dir: Path) -> None:
    folder = data_dir / "ofac_sdn" / "2023-12-28"
    cut = {row[0]: row[11] for row in csv_rows(folder / "sdn.csv")}["17018"]
    continuation = dict(csv_rows(folder / "sdn_comments.csv"))["17018"]
    assert len(cut) == 1000
    entry = by_id(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))["17018"]
    assert entry.remarks == cut + continuation
    # Both identifiers are only in the continuation.
    assert Identifier("tax_id", "7707083893", "RU", None) in entry.identifiers
    assert Identifier("registration", "1027700132195", "RU", None) in entry.identifiers
    assert "Listing Date (EO 14024 Directive 3): 2022-02-24" in entry.extra["directive_dates"]


def test_comments_of_entities_absent_from_sdn_csv_are_counted(parsed, data_dir: Path) -> None:
    folder = data_dir / "ofac_sdn" / "2023-12-28"
    listed = {row[0] for row in csv_rows(folder / "sdn.csv")}
    orphans = [row[0] for row in csv_rows(folder / "sdn_comments.csv") if row[0] not in listed]
    publication = parsed("ofac_sdn", "ofac_sdn/2023-12-28")
    assert orphans  # this copy of the comments file is from another day than sdn.csv
    assert publication.unmapped["comments.unknown_entity"] == len(orphans)
    assert set(publication.unmapped_examples["comments.unknown_entity"]) == set(orphans[:5])


def test_remarks_pieces_that_map_to_no_field_are_counted_and_rare(parsed) -> None:
    publication = parsed("ofac_sdn", "ofac_sdn/2023-12-28")
    pieces = sum(len(re.split(r";\s*", entry.remarks)) for entry in publication.entries if entry.remarks)
    unparsed = publication.unmapped["remarks.unparsed"]
    assert 0 < unparsed < pieces * 0.05
    examples = publication.unmapped_examples["remarks.unparsed"]
    assert 0 < len(examples) <= 5
    # What is left is free text: titles and positions, not data the parser should have read.
    for example in examples:
        assert not re.match(r"(alt\. )?(DOB|POB|nationality|citizen|Passport|a\.k\.a\.|Linked To)\b", example)


def test_vessel_and_aircraft_entries(parsed) -> None:
    entries = by_id(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))
    tug = entries[
        "4238"
    ]  # "MAR AZUL","vessel","CUBA",-0- ,"CL2192","Tug",-0- ,"212","Cuba","Samir de Navegacion S.A."
    assert tug.kind == "vessel"
    assert Identifier("call_sign", "CL2192") in tug.identifiers
    assert tug.extra["vessel_type"] == ["Tug"]
    assert tug.extra["vessel_flag"] == ["Cuba"]
    aircraft = entries["15432"]
    assert aircraft.kind == "aircraft"
    assert Identifier("aircraft_msn", "1013409297") in aircraft.identifiers
    assert aircraft.extra["aircraft_model"] == ["IL-76TD"]
    imo_vessels = [entry for entry in entries.values() if any(i.type == "imo" for i in entry.identifiers)]
    assert len(imo_vessels) > 500
    assert all(re.fullmatch(r"\d{7}", i.value) for e in imo_vessels for i in e.identifiers if i.type == "imo")


def test_2019_files_whose_trailing_bytes_were_stripped_still_parse(data_dir: Path, parsed) -> None:
    # This copy lost the trailing "- " of the last field of add.csv: "-0" stands for the empty marker.
    assert (data_dir / "ofac_sdn" / "2019-01" / "add.csv").read_bytes().endswith(b",-0")
    publication = parsed("ofac_sdn", "ofac_sdn/2019-01")
    last_row = csv_rows(data_dir / "ofac_sdn" / "2019-01" / "add.csv")[-1]
    assert "-0" not in " ".join(by_id(publication)[last_row[0]].addresses)


def test_a_lone_daily_sdn_csv_gives_only_its_own_fields(parsed, data_dir: Path) -> None:
    publication = parsed("ofac_sdn", "ofac_sdn/daily/2024-05-02/sdn.csv")
    assert len(publication.entries) == len(csv_rows(data_dir / "ofac_sdn/daily/2024-05-02/sdn.csv"))
    assert all(not entry.addresses for entry in publication.entries)  # add.csv is not there
    fayyadh = by_id(publication)["30242"]
    assert fayyadh.names == [Name("AL-FAYYADH, Falih", "strong", "Latn")]  # alt.csv is not there either
    assert fayyadh.birth_dates == ["1956-03-27"]


def test_a_csv_set_in_a_zip_reads_like_the_folder(tmp_path: Path, data_dir: Path, parsed) -> None:
    folder = data_dir / "ofac_cons" / "csv_c2025-12"
    archive = tmp_path / "cons.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for child in folder.iterdir():
            zipped.write(child, f"export/{child.name}")
    assert parsers.detect_format("ofac_cons", archive) == "ofac_csv"
    assert as_dicts(parsers.parse("ofac_cons", archive)) == as_dicts(
        parsed("ofac_cons", "ofac_cons/csv_c2025-12")
    )


def test_cons_csv_set(parsed, data_dir: Path) -> None:
    publication = parsed("ofac_cons", "ofac_cons/csv_c2025-12")
    rows = csv_rows(data_dir / "ofac_cons" / "csv_c2025-12" / "cons_prim.csv")
    assert len(publication.entries) == len(rows) == 442
    aliases = csv_rows(data_dir / "ofac_cons" / "csv_c2025-12" / "cons_alt.csv")
    assert sum(
        1 for entry in publication.entries for name in entry.names[1:] if name.quality != "weak"
    ) >= len({(row[0], row[3]) for row in aliases})


def test_a_cons_csv_set_is_not_taken_for_the_sdn_list(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(ParseError, match=r"no sdn\.csv.*cons_prim\.csv"):
        parsers.parse("ofac_sdn", data_dir / "ofac_cons" / "csv_c2025-12")
    only_sdn = tmp_path / "set"
    only_sdn.mkdir()
    shutil.copy(data_dir / "ofac_sdn" / "2019-01" / "sdn.csv", only_sdn / "sdn.csv")
    with pytest.raises(ParseError, match=r"cons_prim\.csv"):
        parsers.parse("ofac_cons", only_sdn)


# ---------------------------------------------------------------------------------------------------------------
# sdnList XML


@pytest.mark.parametrize(
    ("relative", "published", "count"),
    [
        ("ofac_cons/consolidated_2020-03-17.xml", dt.date(2020, 3, 17), 375),
        ("ofac_cons/consolidated_2025-10-22.xml", dt.date(2025, 10, 22), 443),
        ("ofac_cons/consolidated_2025-10-22_reordered.xml", dt.date(2025, 10, 22), 443),
        ("ofac_cons/consolidated_2025-12-18.xml", dt.date(2025, 12, 18), 442),
    ],
)
def test_consolidated_xml_counts_and_dates(
    parsed, data_dir: Path, relative: str, published, count: int
) -> None:
    publication = parsed("ofac_cons", relative)
    assert (data_dir / relative).read_bytes().count(b"<sdnEntry>") == count
    assert len(publication.entries) == count
    assert publication.published == published
    assert publication.format == "sdn_xml"


def test_consolidated_xml_and_csv_of_the_same_list_agree(parsed) -> None:
    from_xml = by_id(parsed("ofac_cons", "ofac_cons/consolidated_2025-12-18.xml"))
    from_csv = by_id(parsed("ofac_cons", "ofac_cons/csv_c2025-12"))
    assert from_xml.keys() == from_csv.keys()
    for list_id, xml_entry in from_xml.items():
        csv_entry = from_csv[list_id]
        assert xml_entry.name == csv_entry.name
        assert xml_entry.kind == csv_entry.kind
        assert sorted(xml_entry.programs) == sorted(csv_entry.programs)
        assert sorted(xml_entry.birth_dates) == sorted(csv_entry.birth_dates)
        assert sorted(xml_entry.nationalities) == sorted(csv_entry.nationalities)


def test_sdn_xml_excerpt_with_two_entries(parsed) -> None:
    publication = parsed("ofac_sdn", "ofac_sdn/xml_excerpt/ofac_sdn_xml_2020-10-29_excerpt_2entries.xml")
    assert publication.published == dt.date(2020, 10, 29)
    entries = by_id(publication)
    assert set(entries) == {"36", "173"}
    assert entries["36"].name == "AEROCARIBBEAN AIRLINES"
    assert entries["36"].names[1] == Name("AERO-CARIBBEAN", "strong", "Latn")
    assert entries["36"].addresses == ["Havana, Cuba"]
    assert entries["173"].addresses == ["Ibex House, The Minories, London, EC3N 1DY, United Kingdom"]
    assert entries["36"].programs == entries["173"].programs == ["CUBA"]


def test_zipped_sdn_xml_reads_like_the_xml(parsed) -> None:
    plain = parsed("ofac_sdn", "ofac_sdn/xml_excerpt/sdn_2020-04-22_sample7.xml")
    zipped = parsed("ofac_sdn", "ofac_sdn/xml_excerpt/sdn_2020-04-22_sample7.zip")
    assert len(plain.entries) == 7
    assert plain.published == zipped.published == dt.date(2020, 4, 22)
    assert as_dicts(plain) == as_dicts(zipped)
    saeed = by_id(plain)["10689"]
    assert saeed.name == "SAEED, Muhammad"
    assert Name("HAFIZ SAHIB", "weak", "Latn") in saeed.names
    assert (
        Identifier("passport", "BE5978421", "PK", "issued 2007-11-14; expires 2012-11-12")
        in saeed.identifiers
    )
    assert saeed.nationalities == ["PK"]
    assert saeed.birth_dates == ["1950-06-05"]


def test_sdn_xml_in_both_namespaces_reads_the_same_fields(parsed) -> None:
    old_namespace = by_id(parsed("ofac_cons", "ofac_cons/consolidated_2020-03-17.xml"))
    new_namespace = by_id(parsed("ofac_cons", "ofac_cons/consolidated_2025-10-22.xml"))
    common = old_namespace.keys() & new_namespace.keys()
    assert len(common) > 250
    same_names = sum(1 for key in common if old_namespace[key].name == new_namespace[key].name)
    assert same_names > len(common) * 0.8


# ---------------------------------------------------------------------------------------------------------------
# Advanced XML


def test_advanced_xml_cut_down_file(parsed, data_dir: Path) -> None:
    relative = "ofac_sdn/advanced_excerpt/sdn_advanced_2026-09-09_cutdown_4parties.xml"
    publication = parsed("ofac_sdn", relative)
    assert publication.format == "sdn_advanced_xml"
    assert publication.published == dt.date(2026, 9, 9)
    assert (data_dir / relative).read_bytes().count(b"<DistinctParty ") == len(publication.entries) == 4
    entries = by_id(publication)
    person = entries["2677"]
    assert person.kind == "person"
    assert person.name == "Al-Zomor, Abboud Abdul Latif Hassan"
    assert Name("عبود عبداللطيف حسن الزمر", "strong", "Arab") in person.names
    assert person.birth_dates == ["1947-04-19"]
    assert person.birth_places == ["Nahia, Giza, Egypt"]
    assert person.nationalities == ["EG"]
    assert person.programs == ["SDGT"]  # from the SanctionsEntries, at the end of the file
    assert person.listed_on == "1995-01-23"
    assert person.extra["gender"] == ["Male"]
    assert entries["4238"].kind == "vessel"
    assert Identifier("call_sign", "CL2192") in entries["4238"].identifiers
    assert entries["15432"].kind == "aircraft"
    assert entries["36"].addresses == ["Havana, Cuba"]


def test_advanced_xml_agrees_with_the_csv_on_kind_and_programs(parsed) -> None:
    advanced = by_id(
        parsed("ofac_sdn", "ofac_sdn/advanced_excerpt/sdn_advanced_2026-09-09_cutdown_4parties.xml")
    )
    from_csv = by_id(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))
    for list_id, entry in advanced.items():
        assert entry.kind == from_csv[list_id].kind
        assert entry.programs == from_csv[list_id].programs
    assert advanced["15432"].identifiers == sorted(
        identifier for identifier in from_csv["15432"].identifiers if identifier.type.startswith("aircraft")
    )


@pytest.mark.parametrize(
    "fragment",
    ["ofac_sdn_advanced_excerpt_dp_demo.xml", "ofac_sdn_advanced_excerpt_minified_DistinctParties.xml"],
)
def test_advanced_fragments_without_the_sanctions_root_are_rejected(data_dir: Path, fragment: str) -> None:
    with pytest.raises(ParseError, match=r"root element is <DistinctPart(y|ies)>, expected <Sanctions>"):
        parsers.parse(
            "ofac_sdn", data_dir / "ofac_sdn" / "advanced_excerpt" / fragment, format="sdn_advanced_xml"
        )
