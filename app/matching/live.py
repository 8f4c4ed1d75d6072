"""The process's match index: loaded before the API says it is ready, brought up to date beside the requests.

One :class:`LoadedIndex` at a time is *the* index of the process. It is never changed once published: an update
(a new snapshot applied, here or in another process) is built aside, under :data:`_update_lock`, and published by
one assignment. A request takes the index it finds and answers from it, whole, and never builds one.

Each index is saved under ``<data dir>/index/`` (see :mod:`app.matching.persist`), named by the database and the
current snapshots it holds, so that the CLI, a restarted process and another API process load it in a fraction of
a second instead of rebuilding it from the entries. The file is never the only copy: when it is missing, stale
(another matcher version) or unreadable, the index is rebuilt from the database and saved again.

An update starts from the saved index of the previous snapshots and re-reads only the entries the new snapshots
changed; when that file is gone it is a full rebuild.

:class:`IndexKeeper` is the thread an API process runs: a first load at start-up, then a cheap look at the current
snapshot ids every few seconds. When they changed, it has the new index built and saved by a process of its own
(``python -m app.matching.build``: building is pure Python, and in the API process it would take the interpreter
lock from the requests for as long as it runs; with several API processes, one builds and the others wait for its
file), then loads the file in small pieces beside the requests.

A loaded index is moved out of the garbage collector's sight (``gc.freeze``): it holds millions of objects and no
reference cycles, and every full collection would otherwise walk all of them, stalling the requests meanwhile. An
index dropped later is freed by reference counting all the same.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import logging
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import ServiceError
from app.lists.models import ListEntry, Snapshot
from app.lists.records import Entry
from app.matching.index import MatchIndex
from app.matching.persist import StaleIndexFile, format_version
from app.matching.query import MatchQuery

EntryKey = tuple[str, str]  # (source, list_id)
# (source, snapshot id, sha256, applied at): ids alone come back after a restore or a test's RESTART IDENTITY.
Mark = tuple[str, int, str, str]
# Saved indexes kept in the folder: the newest, and a few an older process may still be loading.
KEEP_FILES = 4
BUILD_TIMEOUT_SECONDS = 3600

log = logging.getLogger("sanctrack.matching.index")


@dataclass(frozen=True)
class LoadedIndex:
    """An index and what it holds: never changed after it is published."""

    index: MatchIndex
    marks: tuple[Mark, ...]
    entry_ids: dict[EntryKey, int]
    fingerprints: dict[EntryKey, str]
    database: str
    # "file": loaded from a saved index; "database": built from the entries; "update": both; "lookup": a lookup file
    # opened for searches only (app.matching.lookup), without entry ids or fingerprints
    origin: str

    @property
    def snapshots(self) -> dict[str, int]:
        """Source → id of the snapshot whose entries the index holds."""
        return {source: snapshot_id for source, snapshot_id, _, _ in self.marks}


_current: LoadedIndex | None = None
_update_lock = threading.Lock()
# How many indexes this process made, by how: "database" (full build), "update" (saved index plus changes),
# "file" (loaded as saved). Tests read it to tell that a request built nothing.
builds: Counter[str] = Counter()


class IndexNotReady(ServiceError):
    status, slug, title = 503, "index-loading", "The match index is loading"


def database_identity(session: Session) -> str:
    bind = session.get_bind()
    return getattr(bind, "engine", bind).url.render_as_string(hide_password=True)


def current_marks(session: Session) -> tuple[Mark, ...]:
    """The current snapshot of each source: one small indexed query, cheap enough to ask every few seconds."""
    rows = session.execute(
        select(Snapshot.source, Snapshot.id, Snapshot.sha256, Snapshot.applied_at).where(
            Snapshot.status == "current"
        )
    ).all()
    return tuple(
        sorted((r.source, r.id, r.sha256, r.applied_at.isoformat() if r.applied_at else "") for r in rows)
    )


def loaded() -> LoadedIndex | None:
    """The process's index as it stands (None until the first load)."""
    return _current


def ready_index() -> LoadedIndex:
    """The index a request answers from; a 503 while the process is still loading its first one."""
    current = _current
    if current is None:
        raise IndexNotReady("the match index is loading; try again in a few seconds (see /readyz)")
    return current


def reset() -> None:
    """Forget the process's index (tests, restores); the next update loads or builds one."""
    global _current
    with _update_lock:
        _current = None


def index_folder() -> Path:
    return get_settings().data_dir / "index"


def index_path(database: str, marks: tuple[Mark, ...]) -> Path:
    digest = hashlib.sha256(repr((database, marks, format_version())).encode()).hexdigest()[:24]
    return index_folder() / f"match-index-{digest}.pickle"


def lookup_path(path: Path) -> Path:
    """The lookup file (app.matching.lookup) beside the saved index at ``path``."""
    return path.with_suffix(".lookup")


def open_for_search(session: Session) -> LoadedIndex:
    """For a one-off search (``sanctrack match``): the index of the current snapshots opened from its lookup file,
    which reads only what the search needs (origin "lookup": searches only, no entry ids); when there is none yet,
    the index loaded or built as usual, and its lookup file written for the next time."""
    database, marks = database_identity(session), current_marks(session)
    path = lookup_path(index_path(database, marks))
    try:
        index, meta = MatchIndex.open_lookup(path)
    except StaleIndexFile:
        pass
    else:
        if meta.get("database") == database and tuple(tuple(m) for m in meta.get("marks", ())) == marks:
            return LoadedIndex(index, marks, {}, {}, database, "lookup")
    made = bring_up_to_date(session)
    assert made is not None  # built when not saved
    _save_lookup(made, path)
    return made


def bring_up_to_date(session: Session, build: bool = True) -> LoadedIndex | None:
    """The index of the current snapshots as ``session`` sees them: loaded, updated or built, then published.

    Cheap when nothing changed. Only one thread updates at a time; requests meanwhile answer from the index
    published before. Screening calls this (what it records must follow from the publication just applied); the
    API's requests never do. Without ``build``, only a saved index is loaded: when there is none (yet), the index
    published before stays (None if there was none).
    """
    global _current
    with _update_lock:
        marks = current_marks(session)
        database = database_identity(session)
        previous = _current
        if previous is not None and previous.database == database and previous.marks == marks:
            return previous
        made = _obtain(session, database, marks, previous, build)
        if made is None:
            return previous
        warm_up(made.index)
        gc.freeze()
        _current = made
        return made


def warm_up(index: MatchIndex) -> None:
    """Run one search before the index serves: the matcher sets itself up on first use (name taggers, caches), which
    takes seconds, and that is for the loading thread to pay, not for the first request."""
    first = next(iter(index.keys()), None)
    entry = index.get(first) if first is not None else None
    if entry is not None and entry.names:
        index.search(MatchQuery(kind=entry.kind, names=[entry.names[0].full]), limit=1)


def save_current(session: Session, previous_marks: tuple[Mark, ...] = ()) -> Path:
    """Build and save the index of the current snapshots unless it is saved already (one process at a time), from
    the saved index of ``previous_marks`` when there is one; its path."""
    folder = index_folder()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "build.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process building the same index: wait for its file
        database, marks = database_identity(session), current_marks(session)
        path = index_path(database, marks)
        if path.exists():
            return path
        made = _updated(session, database, previous_marks, marks) if previous_marks else None
        made = made or _built(session, database, marks)
        _save(made, path)
        _save_lookup(made, lookup_path(path))  # here, aside: it costs about as much again as the saved index
        builds[made.origin] += 1
        return path


# The share of the time a process that serves takes to load a new index's file beside its requests.
SWAP_LOAD_SHARE = 1 / 3


def build_elsewhere(previous_marks: tuple[Mark, ...]) -> Path | None:
    """Run :func:`save_current` in a process of its own (see the module's docstring): the file it saved, or None."""
    result = subprocess.run(
        [sys.executable, "-m", "app.matching.build", json.dumps(previous_marks)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        log.warning("the index builder failed (%s); building here", result.stderr.strip()[-500:])
        return None
    return Path(lines[-1])


def publish_saved(path: Path, database: str) -> LoadedIndex | None:
    """Load and publish the index saved at ``path``, whatever snapshots it holds (newer ones may have been applied
    meanwhile: the next update catches up); None when the file cannot be used."""
    global _current
    with _update_lock:
        started = time.perf_counter()
        # Beside an index that answers requests, the load takes a third of the time at most: the requests keep
        # the rest (load.sh: the match p99 while an index was swapped in was 3.1 times its p99 at rest).
        serving = _current is not None and _current.database == database
        try:
            index, meta = MatchIndex.load(path, yield_share=SWAP_LOAD_SHARE if serving else 0.0)
        except StaleIndexFile as exc:
            log.warning("not using the saved match index %s: %s", path.name, exc)
            return None
        marks = tuple(tuple(m) for m in meta.get("marks", ()))
        current = _current
        if meta.get("database") != database:
            return None
        if current is not None and current.database == database and current.marks == marks:
            return current
        made = LoadedIndex(index, marks, meta["entry_ids"], meta["fingerprints"], database, "file")  # type: ignore[arg-type]
        builds[made.origin] += 1
        _log_ready(made, started)
        warm_up(made.index)
        gc.freeze()
        _current = made
        return made


def _obtain(
    session: Session, database: str, marks: tuple[Mark, ...], previous: LoadedIndex | None, build: bool
) -> LoadedIndex | None:
    started = time.perf_counter()
    path = index_path(database, marks)
    made = _from_file(path, database, marks)
    if made is None and not build:
        return None
    if made is None:
        if marks and previous is not None and previous.database == database:  # no lists: nothing to update
            made = _updated(session, database, previous.marks, marks)
        if made is None:
            made = _built(session, database, marks)
        _save(made, path)
    builds[made.origin] += 1
    _log_ready(made, started)
    return made


def _log_ready(made: LoadedIndex, started: float) -> None:
    log.info(
        "match index ready: %d entries of %s (%s, %.2fs)",
        len(made.index),
        ", ".join(f"{s}#{i}" for s, i in made.snapshots.items()) or "no lists",
        made.origin,
        time.perf_counter() - started,
        extra={"index_origin": made.origin, "snapshots": made.snapshots},
    )


def _from_file(path: Path, database: str, marks: tuple[Mark, ...]) -> LoadedIndex | None:
    if not path.exists():
        return None
    try:
        index, meta = MatchIndex.load(path)
    except StaleIndexFile as exc:
        log.warning("not using the saved match index %s: %s; rebuilding it", path.name, exc)
        return None
    if meta.get("database") != database or tuple(tuple(m) for m in meta.get("marks", ())) != marks:
        log.warning("the saved match index %s holds other snapshots; rebuilding it", path.name)
        return None
    return LoadedIndex(index, marks, meta["entry_ids"], meta["fingerprints"], database, "file")


def _listed_rows(session: Session, source: str, since: int = 0):  # type: ignore[no-untyped-def]
    query = select(
        ListEntry.id, ListEntry.list_id, ListEntry.is_listed, ListEntry.data, ListEntry.fingerprint
    ).where(ListEntry.source == source)
    if since:
        query = query.where(ListEntry.last_changed_snapshot_id > since)
    else:
        query = query.where(ListEntry.is_listed.is_(True))
    return session.execute(query)


def _built(session: Session, database: str, marks: tuple[Mark, ...]) -> LoadedIndex:
    entry_ids: dict[EntryKey, int] = {}
    fingerprints: dict[EntryKey, str] = {}
    items = []
    for source, _, _, _ in marks:
        for row in _listed_rows(session, source):
            key = (source, row.list_id)
            items.append((key, Entry.from_dict(row.data)))
            entry_ids[key] = row.id
            fingerprints[key] = row.fingerprint
    return LoadedIndex(MatchIndex(items), marks, entry_ids, fingerprints, database, "database")


def _updated(
    session: Session, database: str, previous_marks: tuple[Mark, ...], marks: tuple[Mark, ...]
) -> LoadedIndex | None:
    """The previous index, loaded again from its file (a private copy), with the entries changed since."""
    base = _from_file(index_path(database, previous_marks), database, previous_marks)
    if base is None:
        return None
    index, entry_ids, fingerprints = base.index, dict(base.entry_ids), dict(base.fingerprints)

    def forget(key: EntryKey) -> None:
        if entry_ids.pop(key, None) is not None:
            index.remove(key)
            fingerprints.pop(key, None)

    had = base.snapshots
    now = {source: snapshot_id for source, snapshot_id, _, _ in marks}
    for source in had.keys() - now.keys():  # the source's snapshots were deleted (restores, tests)
        for key in [k for k in entry_ids if k[0] == source]:
            forget(key)
    for source, snapshot_id in now.items():
        since = had.get(source, 0)
        if since == snapshot_id:
            continue
        if since > snapshot_id:  # the database went back in time: read the source again from scratch
            for key in [k for k in entry_ids if k[0] == source]:
                forget(key)
            since = 0
        for row in _listed_rows(session, source, since):
            key = (source, row.list_id)
            if row.is_listed:
                index.add(key, Entry.from_dict(row.data))
                entry_ids[key] = row.id
                fingerprints[key] = row.fingerprint
            else:
                forget(key)
    return LoadedIndex(index, marks, entry_ids, fingerprints, database, "update")


def _save(made: LoadedIndex, path: Path) -> None:
    meta = {
        "database": made.database,
        "marks": made.marks,
        "entry_ids": made.entry_ids,
        "fingerprints": made.fingerprints,
    }
    try:
        made.index.dump(path, meta)
    except OSError as exc:  # the index still serves from memory; the next process rebuilds it
        log.warning("cannot save the match index to %s: %s", path, exc)
        return
    _prune(path.parent, "match-index-*.pickle")


def _save_lookup(made: LoadedIndex, path: Path) -> None:
    try:
        made.index.dump_lookup(path, {"database": made.database, "marks": made.marks})
    except OSError as exc:  # searches load the saved index instead
        log.warning("cannot save the match index's lookup file to %s: %s", path, exc)
        return
    _prune(path.parent, "match-index-*.lookup")


def _prune(folder: Path, pattern: str) -> None:
    saved = sorted(folder.glob(pattern), key=_modified, reverse=True)
    for old in saved[KEEP_FILES:]:
        old.unlink(missing_ok=True)  # a process reading it keeps its open file


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class IndexKeeper:
    """The thread that keeps an API process's index current: a first load, then a look every ``interval`` seconds.

    It only brings the index up to date when the current snapshots differ from those it saw last, so an index a
    screening brought up to date in this process (in its own transaction) is left alone.
    """

    def __init__(
        self,
        session_scope: Callable[[], AbstractContextManager[Session]],
        interval: float,
        build_elsewhere: bool = True,
    ) -> None:
        self._session_scope = session_scope
        self._interval = interval
        self._build_elsewhere = build_elsewhere
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._seen: tuple[str, tuple[Mark, ...]] | None = None
        self._thread = threading.Thread(target=self._run, name="match-index-keeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._session_scope() as session:
                    database, marks = database_identity(session), current_marks(session)
                    if ((database, marks) != self._seen or _current is None) and self._bring_up_to_date(
                        session, database, marks
                    ):
                        self._seen = (database, marks)
                self.ready.set()
            except Exception:  # noqa: BLE001 - the database may be down for a while; try again at the next look
                log.exception("cannot bring the match index up to date; trying again in %ss", self._interval)
            if self._interval <= 0 and self.ready.is_set():
                return
            self._stop.wait(self._interval if self._interval > 0 else 1.0)

    def _bring_up_to_date(self, session: Session, database: str, marks: tuple[Mark, ...]) -> bool:
        """True when the index now holds ``marks``."""
        if self._build_elsewhere and marks:  # no lists, nothing to build: not worth a process
            path = index_path(database, marks)
            if not path.exists():
                current = _current
                previous = current.marks if current is not None and current.database == database else ()
                session.rollback()  # no transaction left open for as long as the builder runs
                built = build_elsewhere(previous)
                path = built if built is not None else path
            # The builder's file holds the snapshots current when it started: when another publication was applied
            # meanwhile, it is still newer than what serves, and the next look builds the rest.
            loaded = publish_saved(path, database) if path.exists() else None
            if loaded is None:  # the builder failed, or its file cannot be read: build here
                loaded = bring_up_to_date(session)
        else:
            loaded = bring_up_to_date(session)
        return loaded is not None and loaded.database == database and loaded.marks == marks
