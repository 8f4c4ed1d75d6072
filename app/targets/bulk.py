"""Bulk import and export of candidates as CSV or JSON.

Every imported row goes through the same ``TargetCreate`` schema and ``service.create_target`` as ``POST
/v1/targets``, inside its own savepoint: a bad row is reported and leaves nothing behind, good rows are kept.

CSV columns are ``kind,name,aliases,birth_dates,nationalities,programs,tags,rationale,owner``; a cell holding several
values separates them with ``;``. JSON is an array of objects shaped like the ``POST /v1/targets`` body. Row numbers
in a report are what a spreadsheet shows (the header is row 1, so the first candidate is row 2) for CSV, and the
1-based position in the array for JSON.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.context import Actor
from app.errors import InvalidInput, ServiceError
from app.targets import service
from app.targets.models import Program, Target
from app.targets.schemas import TargetCreate

CSV_COLUMNS = (
    "kind",
    "name",
    "aliases",
    "birth_dates",
    "nationalities",
    "programs",
    "tags",
    "rationale",
    "owner",
)
MULTI_VALUE_COLUMNS = frozenset({"aliases", "birth_dates", "nationalities", "programs", "tags"})
VALUE_SEPARATOR = ";"
FORMATS = ("csv", "json")
MAX_ROWS = 10_000
EXPORT_PAGE = 500
# A spreadsheet runs a cell that starts with one of these as a formula; exports quote them with a leading
# apostrophe (the spreadsheet convention for "this is text") and imports take that apostrophe off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class RowOutcome:
    row: int
    status: str  # created, valid (dry run), rejected, duplicate
    id: int | None = None
    name: str | None = None
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row, "status": self.status}
        if self.id is not None:
            out["id"] = self.id
        if self.name is not None:
            out["name"] = self.name
        if self.errors:
            out["errors"] = self.errors
        return out


@dataclass
class ImportReport:
    dry_run: bool = False
    rows: list[RowOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "valid": self.count("valid"),
            "dry_run": self.dry_run,
            "rows": [r.to_json() for r in self.rows],
        }


# ---- reading the file -------------------------------------------------------------------------------------------


def detect_format(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """``csv`` or ``json``, from the content type, else the file name, else the first character of the content."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("application/json", "text/json"):
        return "json"
    if media in ("text/csv", "application/csv"):
        return "csv"
    name = (filename or "").lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith(".csv"):
        return "csv"
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{") else "csv"


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # spreadsheets often start a UTF-8 CSV with a byte-order mark
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the file is not UTF-8 text (byte {exc.start} is invalid); save it as UTF-8 and try again"
        ) from None


def _unquote_formula(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1:2] in FORMULA_STARTS:
        return value[1:]
    return value


_LINE_END = re.compile(r"\r\n|\r|\n")


def _physical_lines(text: str) -> list[str]:
    """The file's lines, each with its line ending (CRLF, CR or LF)."""
    lines, start = [], 0
    for end in _LINE_END.finditer(text):
        lines.append(text[start : end.end()])
        start = end.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def _csv_records(text: str) -> Iterator[tuple[int, list[str] | ValueError]]:
    """(line number, cells or why the line is unusable) for each record of the file.

    A record is one line, unless a quoted value legitimately spans lines: its quote opens on one line and closes on
    a later one, followed by a comma or the end of a line. A quote that never closes (or closes where no value
    can end) is an error of its own line only: the lines after it are read as records of their own, so one bad
    row never swallows the rows after it.
    """
    lines = _physical_lines(text)
    first = 0
    while first < len(lines):
        last, quoted = first, False
        while True:
            quoted ^= lines[last].count('"') % 2 == 1  # a doubled quote ("") inside a value counts twice
            if not quoted or last + 1 == len(lines):
                break
            last += 1
        if quoted:
            yield (
                first + 1,
                ValueError(
                    'a double quote (") opened on this line is never closed: close it, or write a quote inside '
                    'a quoted value as two (""); the lines after it were read as rows of their own'
                ),
            )
            first += 1
            continue
        try:
            records = list(csv.reader(io.StringIO("".join(lines[first : last + 1]), newline=""), strict=True))
        except csv.Error as exc:
            where = f"lines {first + 1}-{last + 1} are" if last > first else "this line is"
            yield (
                first + 1,
                ValueError(
                    f"{where} not valid CSV ({exc}): a value holding a comma, a quote or a line break must be in "
                    'double quotes, and a quote inside it written as two ("")'
                ),
            )
            first += 1
            continue
        if records:
            yield first + 1, records[0]
        first = last + 1


def _csv_rows(text: str) -> list[tuple[int, Any]]:
    records = _csv_records(text)
    try:
        header_line, header = next(records)
    except StopIteration:
        raise InvalidInput(
            "the CSV file is empty; its first line must name the columns: " + ",".join(CSV_COLUMNS)
        ) from None
    if isinstance(header, ValueError):
        raise InvalidInput(f"the CSV header (line {header_line}) is unusable: {header}") from None
    columns = [c.strip().lower() for c in header]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise InvalidInput(
            f"unknown CSV column(s) {', '.join(map(repr, unknown))}; the columns are " + ",".join(CSV_COLUMNS)
        )
    if "name" not in columns:
        raise InvalidInput("the CSV file has no 'name' column; the columns are " + ",".join(CSV_COLUMNS))
    rows: list[tuple[int, Any]] = []
    for line, cells in records:
        if isinstance(cells, ValueError):
            rows.append((line, cells))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            rows.append(
                (
                    line,
                    ValueError(
                        f"{len(cells)} values for {len(columns)} columns; a value that holds a "
                        "comma must be in double quotes"
                    ),
                )
            )
            continue
        record: dict[str, Any] = {}
        for column, raw in zip(columns, cells, strict=False):
            value = _unquote_formula(raw.strip())
            if column in MULTI_VALUE_COLUMNS:
                record[column] = [v.strip() for v in value.split(VALUE_SEPARATOR) if v.strip()]
            elif value:
                record[column] = value
        rows.append((line, record))
    return rows


def _json_rows(text: str) -> list[tuple[int, Any]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(document, list):
        raise InvalidInput("a JSON import must be an array of objects shaped like the POST /v1/targets body")
    return [(position, item) for position, item in enumerate(document, start=1)]


def parse_rows(data: bytes, fmt: str) -> list[tuple[int, Any]]:
    """(row number, object to validate) pairs; an object may be an exception that says why the row is unusable."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; use csv or json")
    text = _text(data)
    rows = _csv_rows(text) if fmt == "csv" else _json_rows(text)
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"{len(rows)} rows is more than {MAX_ROWS} in one import; split the file")
    return rows


# ---- importing --------------------------------------------------------------------------------------------------


def _validation_messages(exc: ValidationError) -> list[str]:
    messages = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        messages.append(f"{where}: {message}" if where else message)
    return messages


def _existing_names(session: Session) -> dict[tuple[str, str], str]:
    """(kind, lower-case name) of every live candidate → how to name it in a duplicate message."""
    rows = session.execute(
        select(Target.kind, func.lower(Target.name), Target.id).where(Target.deleted_at.is_(None))
    )
    return {(kind, name): f"is already candidate {target_id}" for kind, name, target_id in rows}


def import_targets(
    session: Session,
    data: bytes,
    fmt: str,
    actor: Actor,
    *,
    dry_run: bool = False,
    allow_duplicates: bool = False,
) -> ImportReport:
    """Create a candidate per valid row; a dry run checks every row the same way and keeps nothing.

    A row whose kind and name (ignoring case) are already a candidate's is reported as a duplicate and skipped,
    so that importing a corrected file again does not create the good rows twice.
    """
    report = ImportReport(dry_run=dry_run)
    known = {} if allow_duplicates else _existing_names(session)
    for row_number, record in parse_rows(data, fmt):
        outcome = RowOutcome(row=row_number, status="rejected")
        report.rows.append(outcome)
        if isinstance(record, Exception):
            outcome.errors.append(str(record))
            continue
        if not isinstance(record, dict):
            outcome.errors.append("the row is not an object")
            continue
        try:
            data_in = TargetCreate.model_validate(record)
        except ValidationError as exc:
            outcome.name = record.get("name") if isinstance(record.get("name"), str) else None
            outcome.errors.extend(_validation_messages(exc))
            continue
        outcome.name = data_in.name
        identity = (data_in.kind, data_in.name.lower())
        if identity in known:
            outcome.status = "duplicate"
            outcome.errors.append(
                f"a {data_in.kind} named {data_in.name!r} {known[identity]}; nothing was "
                "created (import with allow_duplicates to add it anyway)"
            )
            continue
        savepoint = session.begin_nested()
        try:
            target = service.create_target(session, data_in, actor)
            session.flush()  # the audit record too, so that it belongs to this row's savepoint
        except (ServiceError, IntegrityError) as exc:
            savepoint.rollback()
            outcome.errors.append(
                exc.detail
                if isinstance(exc, ServiceError)
                else "conflicts with existing data (a unique or reference constraint)"
            )
            continue
        if dry_run:
            savepoint.rollback()
            outcome.status = "valid"
        else:
            savepoint.commit()
            outcome.status, outcome.id = "created", target.id
        if not allow_duplicates:
            known[identity] = f"is on row {row_number} of this file"
    return report


# ---- exporting --------------------------------------------------------------------------------------------------


def _ambiguous_codes(session: Session) -> set[str]:
    rows = session.execute(
        select(func.lower(Program.code)).group_by(func.lower(Program.code)).having(func.count() > 1)
    )
    return {code for (code,) in rows}


def export_records(session: Session) -> list[dict[str, Any]]:
    """Every live candidate as an object that ``POST /v1/targets`` (and a JSON import) accepts as it is."""
    ambiguous = _ambiguous_codes(session)
    records: list[dict[str, Any]] = []
    offset = 0
    while True:
        page, total = service.list_targets(session, limit=EXPORT_PAGE, offset=offset)
        for target in page:
            records.append(
                {
                    "kind": target.kind,
                    "name": target.name,
                    "aliases": [_compact_alias(a) for a in target.aliases],
                    "birth_dates": target.birth_dates,
                    "birth_places": target.birth_places,
                    "nationalities": target.nationalities,
                    "identifiers": target.identifiers,
                    "addresses": target.addresses,
                    # A code several authorities share ("Iraq") only resolves with its authority in front.
                    "programs": [
                        f"{p.authority}:{p.code}" if p.code.lower() in ambiguous else p.code
                        for p in target.programs
                    ],
                    "rationale": target.rationale,
                    "tags": target.tags,
                    "owner": target.owner,
                    "status": target.status,
                }
            )
        offset += len(page)
        if not page or offset >= total:
            return records


def _compact_alias(alias: Any) -> Any:
    if isinstance(alias, dict) and alias.get("script") is None and alias.get("lang") is None:
        return alias.get("name")
    return alias


def _quote_formula(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(column: str, value: Any) -> str:
    if column in MULTI_VALUE_COLUMNS:
        names = [v["name"] if isinstance(v, dict) else str(v) for v in value or []]
        return _quote_formula(f"{VALUE_SEPARATOR} ".join(names))
    return _quote_formula("" if value is None else str(value))


def export_targets(session: Session, fmt: str) -> str:
    """The live candidates as CSV (the import's columns) or JSON (the full POST /v1/targets shape)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; use csv or json")
    records = export_records(session)
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow([_cell(column, record.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()
