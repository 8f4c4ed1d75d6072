"""Ingest benchmark: how long a real OFAC SDN publication takes to become the current snapshot, against its floor.

Run from the repository root::

    .venv/bin/python bench/ingest.py            # the table below, timings repeated 3 times (median)
    .venv/bin/python bench/ingest.py --profile  # the same, then a cProfile of one full ingest

What it measures, all in one PostgreSQL database it creates for itself and drops at the end:

* bare parse: ``parse("ofac_sdn", folder)`` of the 2023-12-28 CSV set, nothing else;
* bare COPY: the rows ``apply_publication`` writes to ``list_entries`` (one ``to_dict()``, its JSON, its SHA-256
  fingerprint) built from that parse and streamed with psycopg's ``cursor.copy()`` into a table with the same
  columns and types but no index other than its primary key, then committed;
* full ingest: ``ingest_path`` into empty list tables, one transaction, committed;
* re-ingest of the same bytes, which must stop at the SHA-256 check;
* the daily publications 2024-05-01 (baseline), 05-02 and 05-03, with the rows each one wrote per table;
* peak memory of one full ingest, in fresh child processes (tracemalloc slows everything down, so it never runs
  while timing);
* the other sources' files (Canada's consolidated autonomous sanctions XML, Australia's DFAT xlsx): bare parse and
  full ingest into empty list tables (informational, no target). ``--other-sources-only`` runs just these.

Every timed run starts from the same state and nothing is kept from one run to the next: each repetition parses
again, the tables are emptied before each full ingest and the garbage collector is run before each timed step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.lists.records import canonical_json, fingerprint_of  # noqa: E402 - after the path set-up
from app.lists.service import ENTRY_COPY_COLUMNS as BARE_COLUMNS  # noqa: E402 - the columns the service copies

ADMIN_URL = os.environ.get(
    "SANCTRACK_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATA = Path(os.environ.get("SANCTRACK_SAMPLE_DATA", ROOT.parent / "shared" / "data")).resolve()
FULL_SET = DATA / "ofac_sdn" / "2023-12-28"
DAILY = [DATA / "ofac_sdn" / "daily" / day for day in ("2024-05-01", "2024-05-02", "2024-05-03")]
SOURCE = "ofac_sdn"
# Sources whose real publication is one file: parse and ingest times reported for each.
OTHER_SOURCES = (
    ("ca_sema", DATA / "canada" / "sema_c2025-05.xml"),
    ("au_dfat", DATA / "australia" / "dfat_consolidated_c2024-12-17.xlsx"),
)

# The targets of the issue.
MAX_INGEST_OVER_FLOOR = 2.0  # full ingest <= 2 x (bare parse + bare COPY)
MAX_REINGEST_SHARE = 0.02  # re-ingest of identical bytes <= 2 % of a full ingest

LIST_TABLES = ("changes", "entry_versions", "list_entries", "snapshots", "raw_blobs")
# Emptied between runs as well: a rejected publication would leave an event (and deliveries) behind.
OTHER_TABLES = ("deliveries", "events")
WRITE_TABLES = ("list_entries", "entry_versions", "changes", "snapshots", "raw_blobs")

BARE_TABLE = "bench_bare_list_entries"
# The columns and types of list_entries (migrations/versions/0001), without its foreign keys, unique constraint and
# secondary indexes: the cheapest table the same rows can go into.
BARE_DDL = f"""
CREATE TABLE {BARE_TABLE} (
    id serial PRIMARY KEY,
    source varchar(20) NOT NULL,
    list_id varchar(100) NOT NULL,
    kind varchar(20) NOT NULL,
    name varchar(1000) NOT NULL,
    programs jsonb NOT NULL,
    listed_on date,
    data jsonb NOT NULL,
    fingerprint varchar(64) NOT NULL,
    is_listed boolean NOT NULL,
    first_snapshot_id integer NOT NULL,
    last_changed_snapshot_id integer NOT NULL,
    removed_snapshot_id integer,
    removed_on date
)
"""


def database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def point_settings_at(url: str) -> None:
    """The service reads its settings once; make sure they never point at a real database or data folder."""
    os.environ["SANCTRACK_DATABASE_URL"] = url
    os.environ.setdefault("SANCTRACK_DATA_DIR", tempfile.mkdtemp(prefix="sanctrack-bench-"))
    os.environ["SANCTRACK_SCREEN_ON_CHANGE"] = "false"
    from app.config import get_settings

    get_settings.cache_clear()


@contextmanager
def bench_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"sanctrack_bench_ingest_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_tables(engine: Any) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(f"TRUNCATE {', '.join(LIST_TABLES + OTHER_TABLES)}, {BARE_TABLE} RESTART IDENTITY CASCADE")
        )


def timed(step: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = step(*args)
    return time.perf_counter() - start, result


# ---- the floor: bare parse, bare COPY ------------------------------------------------------------------------------


def bare_parse(folder: Path) -> Any:
    from app.lists.parsers import parse

    return parse(SOURCE, folder)


def _listed_on(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def bare_rows(entries: list[Any]) -> list[tuple[Any, ...]]:
    """The list_entries rows of a first ingest: what must be computed from the parsed entries, computed once."""
    rows = []
    for entry in entries:
        data = entry.to_dict()
        text = canonical_json(data)  # the service's own text and hash of an entry
        fingerprint = fingerprint_of(text)
        rows.append(
            (
                SOURCE,
                entry.list_id,
                entry.kind,
                entry.name[:1000],
                json.dumps(data["programs"], ensure_ascii=False),
                _listed_on(entry.listed_on),
                text,
                fingerprint,
                True,
                1,
                1,
                None,
                None,
            )
        )
    return rows


def bare_copy(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {BARE_TABLE} ({', '.join(BARE_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    conn.commit()


# ---- the service -----------------------------------------------------------------------------------------------------


def ingest(engine: Any, folder: Path) -> Any:
    from sqlalchemy.orm import Session

    from app.lists.service import ingest_path

    with Session(engine) as session:
        result = ingest_path(session, SOURCE, folder)
        session.commit()
    return result


def ingest_source(engine: Any, source: str, path: Path) -> Any:
    from sqlalchemy.orm import Session

    from app.lists.service import ingest_path

    with Session(engine) as session:
        result = ingest_path(session, source, path)
        session.commit()
    return result


def other_source_timings(engine: Any, repeat: int) -> list[tuple[str, int, Timing, Timing]]:
    """(source, entries, bare parse, full ingest) of each of OTHER_SOURCES whose file is there."""
    from app.lists.parsers import parse

    measured = []
    for source, path in OTHER_SOURCES:
        if not path.is_file():
            print(f"skipped {source}: {path} not found", file=sys.stderr)
            continue
        parse_t = Timing(f"{source:<8} bare parse  parse({source!r}, {path.name})")
        ingest_t = Timing(f"{source:<8} full ingest ingest_path + commit, empty tables")
        entries = 0
        for _attempt in range(repeat):
            empty_tables(engine)
            seconds, publication = timed(parse, source, path)
            parse_t.runs.append(seconds)
            entries = len(publication.entries)
            del publication
            seconds, result = timed(ingest_source, engine, source, path)
            if result.status != "stored" or result.entries != entries:
                raise RuntimeError(
                    f"{source}: full ingest gave {result.status} ({result.entries}): {result.reason}"
                )
            ingest_t.runs.append(seconds)
        ingest_t.note = f"{entries:,} entries, {ingest_t.median / parse_t.median:.2f} x parse"
        measured.append((source, entries, parse_t, ingest_t))
    return measured


def print_other_sources(measured: list[tuple[str, int, Timing, Timing]], repeat: int) -> None:
    if not measured:
        return
    print(f"other sources (informational, median of {repeat})")
    print_timings(
        [timing for _source, _entries, parse_t, ingest_t in measured for timing in (parse_t, ingest_t)]
    )
    print()


def run_other_sources_only(repeat: int) -> int:
    from sqlalchemy import text

    load_at_start = _load()
    with bench_database() as url:
        point_settings_at(url)
        from app.db import make_engine
        from app.migrate import upgrade

        upgrade(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text(BARE_DDL))  # empty_tables truncates it too
            server = conn.execute(text("SHOW server_version")).scalar_one()
        measured = other_source_timings(engine, repeat)
        engine.dispose()
    print(
        f"sanctrack ingest benchmark, other sources: PostgreSQL {server}, Python {platform.python_version()}"
    )
    print(f"{os.cpu_count()} CPUs; load average at start {load_at_start}, at end {_load()}")
    print()
    print_other_sources(measured, repeat)
    return 0 if measured else 2


def table_counts(engine: Any) -> dict[str, int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in WRITE_TABLES}


def table_writes(engine: Any) -> dict[str, tuple[int, int, int]]:
    """Rows inserted, updated and deleted so far per table, from pg_stat_user_tables."""
    from sqlalchemy import text

    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        rows = conn.execute(
            text(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
                "WHERE relname = ANY(:names)"
            ),
            {"names": list(WRITE_TABLES)},
        ).all()
    return {r.relname: (r.n_tup_ins, r.n_tup_upd, r.n_tup_del) for r in rows}


def ingest_and_flush_stats(engine: Any, folder: Path) -> tuple[float, Any]:
    """A timed ingest on one connection that then asks PostgreSQL to publish its table statistics right away."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from app.lists.service import ingest_path

    with engine.connect() as conn:

        def run() -> Any:
            with Session(bind=conn) as session:
                result = ingest_path(session, SOURCE, folder)
                session.commit()
            return result

        seconds, result = timed(run)
        # Statistics are sent when the backend goes idle, at most once a second; force it (PostgreSQL 15+).
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
        conn.commit()
    return seconds, result


def settled_writes(
    engine: Any, before: dict[str, tuple[int, int, int]], expected_inserts: dict[str, int]
) -> dict[str, tuple[int, int, int]]:
    """The per-table write deltas, waiting briefly for the statistics to arrive (they are asynchronous)."""
    deadline = time.monotonic() + 3
    while True:
        after = table_writes(engine)
        delta = {
            t: tuple(a - b for a, b in zip(after.get(t, (0, 0, 0)), before.get(t, (0, 0, 0)), strict=True))
            for t in WRITE_TABLES
        }
        if all(delta[t][0] >= n for t, n in expected_inserts.items()) or time.monotonic() > deadline:
            return delta  # type: ignore[return-value]
        time.sleep(0.05)


# ---- memory, in child processes --------------------------------------------------------------------------------------


def memory_child(mode: str, url: str) -> None:
    """One full ingest in a fresh interpreter; prints what it measured as JSON."""
    import tracemalloc

    point_settings_at(url)
    from app.db import make_engine

    engine = make_engine(url)
    empty_tables(engine)
    import app.lists.parsers  # noqa: F401  (imports are not the ingest)
    import app.lists.service  # noqa: F401

    gc.collect()
    out: dict[str, Any] = {}
    if mode == "tracemalloc":
        tracemalloc.start()
    else:
        out["rss_before_kib"] = _proc_status_kib("VmRSS")
        # ru_maxrss of a child can carry its parent's peak over exec; the kernel's high-water mark of this process
        # can be reset instead, so that it covers the ingest alone.
        out["peak_is_ingest_only"] = _reset_peak_rss()
    result = ingest(engine, FULL_SET)
    out.update(status=result.status, entries=result.entries)
    if mode == "tracemalloc":
        out["peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        out["peak_rss_kib"] = _proc_status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    print(json.dumps(out))


def _proc_status_kib(name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak resident set size (Linux)
        return True
    except OSError:
        return False


def measure_memory(url: str, mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--memory-child", mode, url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child ({mode}) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- SQLite, the embedded default (informational) -------------------------------------------------------------------


def sqlite_full_ingest() -> float:
    from app.db import make_engine
    from app.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="sanctrack-bench-sqlite-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        seconds, result = timed(ingest, engine, FULL_SET)
        engine.dispose()
    if result.status != "stored":
        raise RuntimeError(f"SQLite full ingest gave {result.status}: {result.reason}")
    return seconds


# ---- report ----------------------------------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def fmt_seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f} s"


def print_timings(timings: list[Timing]) -> None:
    width = max(len(t.label) for t in timings) + 2
    print(f"{'measurement':<{width}}{'median':>11}   {'runs':<32}note")
    for t in timings:
        runs = " ".join(fmt_seconds(r) for r in t.runs)
        print(f"{t.label:<{width}}{fmt_seconds(t.median):>11}   {runs:<32}{t.note}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def check_same_rows(engine: Any, entries: list[Any]) -> tuple[int, int]:
    """After a full ingest and a bare COPY of the same parse: rows that differ, and fingerprints that differ from
    ``Entry.fingerprint()`` (the service may compute them another way; they must be the same digests)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        differing = conn.execute(
            text(
                f"SELECT count(*) FROM list_entries l FULL JOIN {BARE_TABLE} b USING (source, list_id) "
                "WHERE l.id IS NULL OR b.id IS NULL OR l.kind <> b.kind OR l.name <> b.name OR l.programs <> b.programs "
                "OR l.listed_on IS DISTINCT FROM b.listed_on OR l.data <> b.data OR l.fingerprint <> b.fingerprint"
            )
        ).scalar_one()
        stored = dict(conn.execute(text("SELECT list_id, fingerprint FROM list_entries")).all())
    wrong = sum(1 for e in entries if stored.get(e.list_id) != e.fingerprint())
    return differing, wrong


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def run(repeat: int, profile: bool, with_sqlite: bool) -> int:
    import psycopg
    from sqlalchemy import text

    for folder in [FULL_SET, *DAILY]:
        if not folder.is_dir():
            print(
                f"sample data not found: {folder} (set SANCTRACK_SAMPLE_DATA to shared/data)", file=sys.stderr
            )
            return 2

    load_at_start = _load()
    with bench_database() as url:
        point_settings_at(url)
        from app.db import make_engine
        from app.migrate import upgrade

        upgrade(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text(BARE_DDL))
            server = conn.execute(text("SHOW server_version")).scalar_one()
        bare_conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))

        parse_t = Timing("bare parse  parse('ofac_sdn', folder)")
        build_t = Timing("  rows: to_dict, JSON, SHA-256", note="part of bare COPY")
        copy_t = Timing("  COPY + commit", note="part of bare COPY")
        bare_t = Timing("bare COPY   rows built + COPY + commit")
        full_t = Timing("full ingest ingest_path + commit, empty tables")
        again_t = Timing("re-ingest   identical bytes (status unchanged)")
        entries_count = 0
        same_rows: tuple[int, int] | None = None
        for attempt in range(repeat):
            empty_tables(engine)
            seconds, publication = timed(bare_parse, FULL_SET)
            parse_t.runs.append(seconds)
            entries_count = len(publication.entries)

            seconds_build, rows = timed(bare_rows, publication.entries)
            seconds_copy, _ = timed(bare_copy, bare_conn, rows)
            build_t.runs.append(seconds_build)
            copy_t.runs.append(seconds_copy)
            bare_t.runs.append(seconds_build + seconds_copy)
            del rows

            seconds, result = timed(ingest, engine, FULL_SET)
            if result.status != "stored" or result.entries != entries_count:
                raise RuntimeError(
                    f"full ingest gave {result.status} with {result.entries} entries: {result.reason}"
                )
            full_t.runs.append(seconds)
            if attempt == 0:
                same_rows = check_same_rows(engine, publication.entries)
            del publication

            seconds, result = timed(ingest, engine, FULL_SET)
            if result.status != "unchanged":
                raise RuntimeError(f"re-ingest of the same bytes gave {result.status}, not unchanged")
            again_t.runs.append(seconds)
        bare_conn.close()

        sqlite_t = Timing("SQLite      full ingest (embedded default)", note="informational, no target")
        if with_sqlite:
            sqlite_t.runs = [sqlite_full_ingest() for _ in range(repeat)]

        # The daily publications: a baseline, then two consecutive days that should write only what changed.
        daily_runs: dict[str, list[float]] = {folder.name: [] for folder in DAILY}
        daily_rows: dict[str, dict[str, Any]] = {}
        for _attempt in range(repeat):
            empty_tables(engine)
            for folder in DAILY:
                counts_before, writes_before = table_counts(engine), table_writes(engine)
                seconds, result = ingest_and_flush_stats(engine, folder)
                if result.status != "stored":
                    raise RuntimeError(f"{folder.name}: {result.status} {result.reason}")
                counts_after = table_counts(engine)
                inserted = {t: counts_after[t] - counts_before[t] for t in WRITE_TABLES}
                writes = settled_writes(engine, writes_before, {t: n for t, n in inserted.items() if n > 0})
                daily_runs[folder.name].append(seconds)
                daily_rows[folder.name] = {"result": result, "inserted": inserted, "writes": writes}

        other_sources = other_source_timings(engine, repeat)

        memory = {"tracemalloc": measure_memory(url, "tracemalloc"), "rss": measure_memory(url, "rss")}

        profile_text = ""
        if profile:
            import cProfile
            import io
            import pstats

            empty_tables(engine)
            profiler = cProfile.Profile()
            gc.collect()
            profiler.enable()
            ingest(engine, FULL_SET)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
            profile_text = out.getvalue()
        engine.dispose()

    # ---- print ----
    floor = parse_t.median + bare_t.median
    ratio = full_t.median / floor
    share = again_t.median / full_t.median
    full_t.note = f"{ratio:.2f} x (parse + COPY)"
    again_t.note = f"{share:.2%} of full ingest"
    print(
        f"sanctrack ingest benchmark: OFAC SDN CSV set {FULL_SET.name} ({entries_count:,} entries), "
        f"PostgreSQL {server}, Python {platform.python_version()}, median of {repeat}"
    )
    # Timings on a shared machine move with its load: say what it was.
    print(f"{os.cpu_count()} CPUs; load average at start {load_at_start}, at end {_load()}")
    print()
    timings = [parse_t, bare_t, build_t, copy_t, full_t, again_t]
    if with_sqlite:
        timings.append(sqlite_t)
    print_timings(timings)
    print()

    print(
        f"daily publications (rows written per table; pg_stat_user_tables inserted/updated, median of {repeat})"
    )
    header = (
        f"{'publication':<16}{'median':>10}  {'entries':>7} {'added':>6} {'amended':>8} {'removed':>8}  "
        f"{'list_entries ins/upd':>21} {'entry_versions ins':>19} {'changes ins':>12}  {'snapshots':>9}"
    )
    print(header)
    daily_ok = True
    for index, folder in enumerate(DAILY):
        row = daily_rows[folder.name]
        result, writes = row["result"], row["writes"]
        changed = result.added + result.amended + result.removed
        versions, changes = writes["entry_versions"][0], writes["changes"][0]
        entries_ins, entries_upd = writes["list_entries"][0], writes["list_entries"][1]
        label = folder.name + (" base" if index == 0 else "")
        print(
            f"{label:<16}{fmt_seconds(statistics.median(daily_runs[folder.name])):>10}  {result.entries:>7,} "
            f"{result.added:>6} {result.amended:>8} {result.removed:>8}  {entries_ins:>10,} /{entries_upd:>9,} "
            f"{versions:>19,} {changes:>12,}  {writes['snapshots'][0]:>5} ins"
        )
        if index > 0:
            # Each changed entry: one version, one change; new ones inserted, the others updated, nothing else.
            expected = (
                versions
                == changes
                == changed
                == row["inserted"]["entry_versions"]
                == row["inserted"]["changes"]
                and entries_ins + entries_upd == changed
                and entries_ins <= result.added
            )
            daily_ok = daily_ok and expected
    print()

    print_other_sources(other_sources, repeat)

    peak = memory["tracemalloc"]["peak_bytes"]
    rss = memory["rss"]
    before = (rss["rss_before_kib"] or 0) / 1024
    print(
        f"peak memory of one full ingest, each in a fresh process: tracemalloc peak {peak / 2**20:.1f} MiB "
        f"(Python allocations); peak RSS {rss['peak_rss_kib'] / 1024:.1f} MiB"
        + (
            f" (the process held {before:.1f} MiB before the ingest)"
            if rss["peak_is_ingest_only"]
            else " (process lifetime peak: ru_maxrss)"
        )
    )
    print()

    print("targets")
    ok_ratio = ratio <= MAX_INGEST_OVER_FLOOR
    ok_again = share <= MAX_REINGEST_SHARE
    print(
        f"  full ingest <= {MAX_INGEST_OVER_FLOOR:g} x (bare parse + bare COPY)   "
        f"{fmt_seconds(full_t.median)} / {fmt_seconds(floor)} = {ratio:.2f} x   {verdict(ok_ratio)}"
    )
    print(
        f"  re-ingest of identical bytes <= {MAX_REINGEST_SHARE:.0%} of full ingest   "
        f"{fmt_seconds(again_t.median)} / {fmt_seconds(full_t.median)} = {share:.2%}   {verdict(ok_again)}"
    )
    print(
        f"  next-day ingests write only what changed (versions = changes = added + amended + removed)   "
        f"{verdict(daily_ok)}"
    )
    differing, wrong = same_rows or (-1, -1)
    ok_rows = differing == 0 and wrong == 0
    print(
        f"  same rows: list_entries after ingest = bare COPY rows ({differing} differ); "
        f"fingerprints = Entry.fingerprint() ({wrong} differ)   {verdict(ok_rows)}"
    )
    strict = full_t.median / (parse_t.median + copy_t.median)
    print(f"  (informational: against parse + COPY of prebuilt rows only, full ingest is {strict:.2f} x)")
    if profile_text:
        print()
        print("cProfile of one full ingest (cumulative):")
        print(profile_text)
    return 0 if ok_ratio and ok_again and daily_ok and ok_rows else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (median reported)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one full ingest")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the informational SQLite full ingest")
    parser.add_argument(
        "--other-sources-only",
        action="store_true",
        help="only the Canadian and Australian files: bare parse and full ingest",
    )
    parser.add_argument("--memory-child", nargs=2, metavar=("MODE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    if args.other_sources_only:
        return run_other_sources_only(max(1, args.repeat))
    return run(max(1, args.repeat), args.profile, not args.no_sqlite)


if __name__ == "__main__":
    sys.exit(main())
