"""Publications for pipeline tests, derived at test time from the real OFAC SDN CSV sets in shared/data.

The full sets take seconds to parse; most fault tests only need a few hundred real rows. A subset keeps whole
lines of ``sdn.csv``, ``add.csv`` and ``alt.csv`` (one row per line in these files) for the chosen entry numbers,
so every row is exactly as OFAC published it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tests.conftest import sample_data_dir

SDN_MEMBERS = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
SUBSET_MEMBERS = ("sdn.csv", "add.csv", "alt.csv")

# Entries added between 2019-01 and 2023-12-28 (see shared/data/README.md).
FAYYADH, QAIS_KHAZALI, LAITH_KHAZALI, AAH = "30242", "28004", "28005", "28283"
ADDED_LATER = (FAYYADH, QAIS_KHAZALI, LAITH_KHAZALI, AAH)
# The candidates that the added entries designate.
CANDIDATES = {
    FAYYADH: {
        "kind": "person",
        "name": "Faleh al-Fayyad",
        "aliases": ["Falih al-Fayyadh"],
        "programs": ["GLOMAG"],
        "nationalities": ["IQ"],
    },
    QAIS_KHAZALI: {"kind": "person", "name": "Qais al-Khazali", "nationalities": ["IQ"]},
    LAITH_KHAZALI: {"kind": "person", "name": "Laith al-Khazali", "nationalities": ["IQ"]},
}


def sdn_folder(name: str) -> Path:
    return sample_data_dir() / "ofac_sdn" / name


def full_set(name: str) -> dict[str, bytes]:
    folder = sdn_folder(name)
    return {member: (folder / member).read_bytes() for member in SDN_MEMBERS if (folder / member).exists()}


def _lines(raw: bytes) -> list[bytes]:
    return [line for line in raw.split(b"\r\n") if line and line[:1].isdigit()]


def entry_numbers(folder_name: str = "2023-12-28") -> list[str]:
    """Entry numbers of an ``sdn.csv`` in file order."""
    return [
        line.split(b",", 1)[0].decode() for line in _lines((sdn_folder(folder_name) / "sdn.csv").read_bytes())
    ]


def subset(
    keep: Iterable[str],
    folder_name: str = "2023-12-28",
    replace: dict[str, tuple[bytes, bytes]] | None = None,
) -> dict[str, bytes]:
    """The members of a CSV set restricted to the entries ``keep``.

    ``replace`` maps an entry number to (old, new) bytes substituted in its ``sdn.csv`` row, to make an amendment.
    """
    wanted = {number.encode() for number in keep}
    folder = sdn_folder(folder_name)
    out: dict[str, bytes] = {}
    for member in SUBSET_MEMBERS:
        rows = [line for line in _lines((folder / member).read_bytes()) if line.split(b",", 1)[0] in wanted]
        if member == "sdn.csv" and replace:
            for number, (old, new) in replace.items():
                rows = [
                    row.replace(old, new) if row.split(b",", 1)[0] == number.encode() else row for row in rows
                ]
        out[member] = b"".join(row + b"\r\n" for row in rows)
    return out


def baseline_numbers(count: int = 300) -> list[str]:
    """The first ``count`` entries of 2023-12-28 that were already listed in 2019, plus Kata'ib Hizballah."""
    later = set(ADDED_LATER)
    numbers = [n for n in entry_numbers() if n not in later][:count]
    for extra in ("11462", "11461"):
        if extra not in numbers:
            numbers.append(extra)
    return numbers


def publish(list_server, members: dict[str, bytes], prefix: str = "/sdn/") -> str:  # type: ignore[no-untyped-def]
    """Serve a set at ``prefix`` (members not in ``members`` answer 404, as an optional file may); returns the URL."""
    for name in SDN_MEMBERS:
        if name in members:
            list_server.publish(prefix + name, members[name])
        else:
            list_server.unpublish(prefix + name)
    return list_server.url(prefix)
