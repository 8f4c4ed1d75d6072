"""Consolidated Canadian Autonomous Sanctions List XML (root ``data-set``; one ``record`` per listing).

Canada publishes in one file the people, entities and ships listed in the schedules of the regulations made under
the Special Economic Measures Act (SEMA, one regulation per country or theme) and of the Justice for Victims of
Corrupt Foreign Officials Regulations (JVCFOR, Canada's Magnitsky law). A record says which regulation it belongs to
(``Country``, a bilingual label such as "Russia / Russie"), where in its schedule (``Schedule``: "1, Part 1",
"Part 2", "1.1", or nothing), its item number there (``Item``), its names (``LastName`` and ``GivenName`` for
people, ``EntityOrShip`` for entities and ships, ``Aliases`` as free text), a birth (or ship build) date, a title or
ship type, a ship's IMO number and the date of listing. The file states no publication date.

List id
-------
Records carry no id of their own: an item number is only unique within one part of one schedule of one
regulation. The list id is built from those three, each reduced to a form that does not change when the way the
list writes them changes between publications:

* **regime code**: the English half of the ``Country`` label (before the first "/"), accents removed, case
  folded, punctuation dropped, the words "special economic measures", "regulations"... ignored, then looked up in
  ``canada_regimes.csv``: an acronym in brackets first, then the words outside brackets, then those inside
  ("Russia / Russie" and "Special Economic Measures (Russia) Regulations" -> ``RUSSIA``, "Myanmar (Burma)" or
  "Burma" -> ``MYANMAR``, "Justice for Victims of Corrupt Foreign Officials Regulations (JVCFOR) / ..." ->
  ``JVCFOR``). A label not in the table gets its words in capitals joined by "-" (still stable under spacing, case,
  accents and punctuation) and is counted as unmapped (``regime.unknown``) so that the table can be completed.
* **schedule and part**: the numbers in ``Schedule`` with the words "Schedule" and "Part" ignored: "Schedule 1,
  Part 1", "1, Part 1", "1,Part 1" and "Part 1" are all schedule 1, part 1 (a part without a schedule number is in
  schedule 1); "1, 2" (the word "Part" dropped) is schedule 1, part 2; "1.1" alone is schedule 1.1, no part.
* **item**: the item number, without spaces, a trailing "." or leading zeros.

The id is ``CODE-S{schedule}-P{part}-{item}`` when the schedule has parts ("RUSSIA-S1-P1-1234"),
``CODE-S{schedule}-{item}`` for a schedule other than 1 without parts ("RUSSIA-S1.1-7", "RUSSIA-S2-1"), and
``CODE-{item}`` when there is no schedule or only schedule 1 ("JVCFOR-12", "VENEZUELA-45"). A code made from an
unknown label keeps its first 40 characters; a record whose id would still be over 100 characters is rejected.

The programme of an entry is its regime code (``JVCFOR`` for the Magnitsky listings). ``extra`` keeps the regime's
name, schedule and item in the same canonical forms (so a publication that only writes them differently changes
nothing), and the country a country regime is about (``regime_country``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from app.lists.parsers.common import (
    EntryDraft,
    XmlStream,
    clean,
    detect_script,
    fail,
    finish,
    fold,
    folded_words,
    make_name,
    new_publication,
    open_xml_stream,
    parse_date,
    parse_date_or_range,
    text_of,
)
from app.lists.records import Identifier, Name, ParseError, Publication

FORMAT = "ca_sema_xml"
ROOT = "data-set"

_REGIMES_CSV = Path(__file__).with_name("canada_regimes.csv")
_ALIAS_WORDS_CSV = Path(__file__).with_name("canada_alias_words.csv")

_KNOWN_CHILDREN = {
    "Country",
    "LastName",
    "GivenName",
    "EntityOrShip",
    "TitleOrShip",
    "Aliases",
    "DateOfBirthOrShipBuildDate",
    "ShipIMONumber",
    "Schedule",
    "Item",
    "DateOfListing",
}
# Words of a regime label that name the kind of law rather than the regime.
_REGIME_FILLER = {"special", "economic", "measures", "measure", "regulations", "regulation", "sema", "the"}
_SCHEDULE_NUMBER = re.compile(r"\d+(?:\.\d+)*")
# What the database keeps of a list id; real ids here are under 25 characters.
MAX_LIST_ID_CHARS = 100
MAX_REGIME_CODE_CHARS = 40


@dataclass(frozen=True)
class Regime:
    code: str
    name: str
    country: str | None
    known: bool


@cache
def _regime_table() -> dict[str, Regime]:
    table: dict[str, Regime] = {}
    with _REGIMES_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            regime = Regime(row["code"], row["name"], row["country"] or None, True)
            for label in [*row["labels"].split("|"), row["code"]]:
                table[" ".join(folded_words(label))] = regime
    return table


@cache
def _aliasfolded_words() -> tuple[dict[str, str], frozenset[str]]:
    languages: dict[str, str] = {}
    legal_forms: set[str] = set()
    with _ALIAS_WORDS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "language":
                languages[row["word"]] = row["value"]
            elif row["kind"] == "legal_form":
                legal_forms.add(row["word"])
    return languages, frozenset(legal_forms)


def regime_of(label: str) -> Regime:
    """The stable code of a regime label as the list writes it (see the module docstring)."""
    table = _regime_table()
    english = clean(re.split(r"\s*/\s*", clean(label), maxsplit=1)[0]).rstrip(" .")
    bracketed = re.findall(r"\(([^()]*)\)", english)

    def key(text: str) -> str:
        return " ".join(word for word in folded_words(text) if word not in _REGIME_FILLER)

    outside = key(re.sub(r"\([^()]*\)", " ", english))
    # Tried in turn: an acronym in brackets naming the regulation ("... Regulations (JVCFOR)"), the words outside
    # brackets ("Myanmar (Burma)"), the words inside them ("Special Economic Measures (Russia) Regulations"), all.
    for candidate in [
        *(key(text) for text in bracketed if text.strip().isupper()),
        outside,
        *map(key, bracketed),
        key(english),
    ]:
        found = table.get(candidate)
        if candidate and found:
            return found
    words = (outside or " ".join(map(key, bracketed)) or key(english)).split()
    code = "-".join(words).upper()[:MAX_REGIME_CODE_CHARS].rstrip("-")
    return Regime(code or "UNKNOWN", english, None, False)


def schedule_key(text: str) -> tuple[str, str | None]:
    """(schedule, part) of a ``Schedule`` value: "1, Part 1" -> ("1", "1"), "Part 2" -> ("1", "2"), "1.1" ->
    ("1.1", None), "" -> ("1", None). Numbers lose leading zeros ("01" -> "1")."""
    folded = fold(clean(text))
    numbers = [_number(number) for number in _SCHEDULE_NUMBER.findall(folded)]
    if "part" in folded:
        before, _, after = folded.partition("part")
        part_numbers = _SCHEDULE_NUMBER.findall(after)
        schedule_numbers = _SCHEDULE_NUMBER.findall(before)
        schedule = _number(schedule_numbers[0]) if schedule_numbers else "1"
        part = _number(part_numbers[0]) if part_numbers else None
        return schedule, part
    if not numbers:
        return "1", None
    if len(numbers) >= 2:
        return numbers[0], numbers[1]
    return numbers[0], None


def _number(text: str) -> str:
    """A schedule or part number without leading zeros: "01.1" -> "1.1"."""
    return ".".join(component.lstrip("0") or "0" for component in text.split("."))


def _item_key(text: str) -> str:
    item = re.sub(r"\s+", "", clean(text)).rstrip(".").casefold()
    match = re.fullmatch(r"0*(\d+)(.*)", item)
    if match:
        item = (match.group(1) or "0") + match.group(2)
    return item


def _schedule_text(text: str) -> str:
    schedule, part = schedule_key(text)
    return f"Schedule {schedule}, Part {part}" if part else f"Schedule {schedule}"


def list_id_of(regime_label: str, schedule: str, item: str) -> str:
    code = regime_of(regime_label).code
    schedule_number, part = schedule_key(schedule)
    parts = [code]
    if part is not None:
        parts += [f"S{schedule_number}", f"P{part}"]
    elif schedule_number != "1":
        parts.append(f"S{schedule_number}")
    parts.append(_item_key(item))
    list_id = "-".join(parts)
    if len(list_id) > MAX_LIST_ID_CHARS:
        raise fail(f"the listing {list_id[:60]!r}... (regime, schedule and item) is too long to be one")
    return list_id


def parse(source: str, path: Path) -> Publication:
    stream, where = open_xml_stream(path)
    publication = new_publication(source, FORMAT)
    drafts = [
        _entry(source, record, publication, where)
        for record in XmlStream(stream, where, roots={ROOT}, records={"record"})
    ]
    return finish(publication, drafts, where)


def _entry(source: str, record: etree._Element, publication: Publication, where: str) -> EntryDraft:
    regime_label = text_of(record, "Country")
    item = text_of(record, "Item")
    if not regime_label or not _item_key(item):
        raise fail(
            f"{where}: a <record> without its regime (<Country>) or its item number (<Item>): its listing cannot "
            "be identified"
        )
    regime = regime_of(regime_label)
    if not regime.known:
        publication.note_unmapped("regime.unknown", regime_label)
    schedule = text_of(record, "Schedule")
    last_name = text_of(record, "LastName")
    given_names = text_of(record, "GivenName")
    entity_or_ship = text_of(record, "EntityOrShip")
    title_or_ship = text_of(record, "TitleOrShip")
    imo = text_of(record, "ShipIMONumber")
    if last_name or given_names:
        kind = "person"
    elif imo:
        kind = "vessel"
    else:
        kind = "organization"
    try:
        list_id = list_id_of(regime_label, schedule, item)
    except ParseError as exc:
        raise fail(f"{where}: {exc}") from None
    draft = EntryDraft(source=source, list_id=list_id, kind=kind)
    if kind == "person":
        draft.add_name(make_name(" ".join(part for part in (given_names, last_name) if part)), primary=True)
        draft.add_extra("last_name", last_name)
        draft.add_extra("given_names", given_names)
        draft.add_extra("title", title_or_ship)
    else:
        draft.add_name(make_name(entity_or_ship), primary=True)
        if kind == "vessel":
            draft.add_extra("vessel_type", title_or_ship)
        else:
            draft.add_extra("title", title_or_ship)
    for name in split_aliases(text_of(record, "Aliases")):
        draft.add_name(name)
    if imo:
        number = re.search(r"\d{7}", imo)
        draft.add("identifiers", Identifier("imo", number.group(0) if number else imo))
    born = text_of(record, "DateOfBirthOrShipBuildDate")
    if born:
        if kind == "vessel":
            draft.add_extra("vessel_year_of_build", born)
        else:
            _birth_dates(draft, publication, born)
    # The regime, schedule and item in their canonical forms: a publication that only writes them differently
    # shows no change.
    draft.add("programs", regime.code)
    draft.add_extra("regime", regime.name)
    draft.add_extra("regime_country", regime.country)
    if schedule:
        draft.add_extra("schedule", _schedule_text(schedule))
    draft.add_extra("item", _item_key(item))
    listed = text_of(record, "DateOfListing")
    listed_iso = parse_date(listed)
    if listed and listed_iso is None:
        publication.note_unmapped("listed_on.unparsed", listed)
    draft.set_listed_on(listed_iso)
    for child in record:
        if isinstance(child.tag, str) and child.tag not in _KNOWN_CHILDREN:
            publication.note_unmapped(f"ca_sema_xml.{child.tag}", clean("".join(child.itertext())))
    return draft


def _birth_dates(draft: EntryDraft, publication: Publication, text: str) -> None:
    # "1963 or 1964", "1972-08-10 OR 1972-08-11", "1963-1964"; anything else is kept as a note.
    found = False
    for part in re.split(r"\s+or\s+", text, flags=re.I):
        iso = parse_date_or_range(part)
        if iso:
            draft.add("birth_dates", iso)
            found = True
    if not found:
        publication.note_unmapped("birth_date.unparsed", text)
        draft.add_extra("birth_date_notes", text)


_OPENING = {"«": "»", "“": "”", "(": ")", "（": "）", "„": "“"}


def _split_top_level(text: str, separator: str) -> list[str]:
    """Split at ``separator`` where it is outside quotes and brackets (company names quote their own commas)."""
    parts: list[str] = []
    closing: list[str] = []
    in_straight_quote = False
    start = 0
    for index, char in enumerate(text):
        if char == '"':
            in_straight_quote = not in_straight_quote
        elif closing and char == closing[-1]:
            closing.pop()
        elif char in _OPENING:
            closing.append(_OPENING[char])
        elif char == separator and not closing and not in_straight_quote:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    if closing or in_straight_quote:
        return [text]  # unbalanced quotes: the commas cannot be told apart
    return parts


def split_aliases(text: str) -> list[Name]:
    """Names in the free-text ``Aliases`` field: separated by ";", "," or "/" (English and French, or Russian and
    Ukrainian, forms), a legal form after a comma ("Банк Зенит, ПАО") staying with its name, a language label
    ("Russian: ...") giving the name's language."""
    languages, legal_forms = _aliasfolded_words()
    names: list[Name] = []
    for group in clean(text).split(";"):
        pieces: list[str] = []
        for piece in _split_top_level(group, ","):
            bare = piece.strip(" .").casefold()
            if pieces and bare in legal_forms:
                pieces[-1] = f"{pieces[-1].rstrip()}, {piece.strip()}"
            else:
                pieces.append(piece)
        if len(pieces) > 1:
            last = pieces.pop()
            pieces.extend(re.split(r"\s+and\s+", last))
        for piece in pieces:
            for variant in _split_top_level(piece, "/"):
                lang = None
                labelled = re.match(r"\s*([A-Za-z]+)\s*:\s*(.*)", variant, flags=re.S)
                if labelled and labelled.group(1).casefold() in languages:
                    lang = languages[labelled.group(1).casefold()]
                    variant = labelled.group(2)
                full = clean(variant).strip(" ,;")
                if full and any(char.isalpha() for char in full):
                    names.append(Name(full=full, quality="strong", script=detect_script(full), lang=lang))
    return names


__all__ = ["FORMAT", "ROOT", "list_id_of", "parse", "regime_of", "schedule_key", "split_aliases"]
