"""The ``sanctrack`` command line: serve, db, keys, targets, evidence, and the list, matching and alert commands."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperGroup

from app.cli_support import fail, handle_errors
from app.config import get_settings
from app.ops_cli import register as register_db_ops
from workers.background import install_on_first_request

# Commands whose modules are imported only when they run (or show their own --help): 'sanctrack --help' and each
# command import what they use, not the whole service. name: (module, attribute, the line 'sanctrack --help' shows).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "keys": ("app.auth.cli", "keys_app", "API keys: create, list, revoke."),
    "targets": (
        "app.targets.cli",
        "targets_app",
        "Candidate targets: add, list, show, import and export (CSV or JSON), dossier (HTML or PDF).",
    ),
    "evidence": ("app.targets.cli", "evidence_app", "Evidence records attached to candidates."),
    "lists": (
        "app.lists.cli",
        "lists_app",
        "Official lists: ingest publications, review held ones, see changes.",
    ),
    "match": (
        "app.matching.cli",
        "match",
        "Match one name against every current list entry, best first, and...",
    ),
    "screen": (
        "app.matching.screening_cli",
        "screen",
        "Screen candidates against every current list entry and record links...",
    ),
    "intake": (
        "app.documents.cli",
        "intake",
        "Read a document, list the people and organizations it names (and...",
    ),
}


def load_command(name: str) -> click.Command:
    module, attribute, _ = LAZY_COMMANDS[name]
    found: Any = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        group = typer.main.get_group(found)
        group.name = name
        plain_help(group)
        return group
    single = typer.Typer(pretty_exceptions_enable=False, rich_markup_mode=None)
    single.command(name)(found)
    return typer.main.get_command(single)


def plain_help(command: click.Command) -> None:
    """The plain help of the top-level app (see rich_markup_mode below) for a group loaded on its own."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)


class LazyCommands(TyperGroup):
    """The top-level group: the commands above are listed from the table and imported when they are run."""

    listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *LAZY_COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self.listing:
            return click.Command(cmd_name, help=LAZY_COMMANDS[cmd_name][2])
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    cls=LazyCommands,
    help="sanctrack: track candidate sanctions targets, follow the official lists, match and alert.",
    epilog="\b\nExamples (from the folder that holds sanctrack.db, with .venv/bin/sanctrack or the venv active):\n"
    "  sanctrack db upgrade\n"
    '  sanctrack targets add "Faleh al-Fayyad" --program GLOMAG --nationality IQ\n'
    "  sanctrack targets import candidates.csv --dry-run\n"
    "Each command's --help has its own example.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help: flags show as flags ("--dry-run"), not as options taking a value ("--dry-run <bool>").
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database set-up and maintenance.", no_args_is_help=True)
register_db_ops(db_app)  # db backup, restore, prune
app.add_typer(db_app, name="db")


@app.callback()
def run_command() -> None:
    # What a command asks of the workers (screen new candidates now, run a queued refresh) goes to the Celery workers;
    # Celery itself is imported only when a command asks for work.
    install_on_first_request()


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest version (safe to run again).

    Example: SANCTRACK_DATABASE_URL=postgresql://localhost/sanctrack sanctrack db upgrade
    """
    from app.migrate import upgrade

    upgrade()
    typer.echo("Database is at the latest schema version.")


@app.command("serve")
@handle_errors
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="Port to listen on"),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="API processes; each keeps its own match index current. Rate limits and key revocations are shared "
        "through Redis (SANCTRACK_REDIS_URL)",
    ),
    background: bool = typer.Option(
        True,
        "--background/--no-background",
        help="Also run the Celery worker and scheduler (the refresh pipeline)",
    ),
    no_workers: bool = typer.Option(
        False, "--no-workers", hidden=True, help="The old name of --no-background"
    ),
    worker_log: Path | None = typer.Option(
        None, "--worker-log", help="Append the background worker's log to this file instead of the terminal"
    ),
) -> None:
    """Upgrade the database and serve the API (and, by default, the background worker and scheduler).

    Example: sanctrack serve --host 0.0.0.0 --port 8000 --workers 2 --no-background
    """
    import uvicorn

    from app.migrate import upgrade

    upgrade()
    children = []
    if background and not no_workers:
        from workers.embedded import start_children

        children = start_children(log_file=worker_log)
    typer.echo(f"sanctrack API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    if workers > 1 and not get_settings().redis_url:
        typer.echo(
            f"note: without SANCTRACK_REDIS_URL each of the {workers} processes counts rate limits on its own, and "
            "a revoked key is refused by the others within SANCTRACK_KEY_CACHE_SECONDS",
            err=True,
        )
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            log_level="info",
            workers=workers,
            # A worker loading its index, or setting the matcher up on first use, holds the interpreter lock for a
            # few seconds: past uvicorn's default of 5 s without an answer to its ping, the supervisor would kill it.
            timeout_worker_healthcheck=60,
        )
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)


def main() -> None:
    app()


@app.command("demo")
@handle_errors
def demo(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    live: bool = typer.Option(
        False, "--live", help="Load the current official lists instead of the sample files"
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="Load the demo data and stop (no server)"),
) -> None:
    """Set up a demo in the current folder (SQLite), load the seed brief's candidates, two real SDN publications
    and the UN and UK lists, then serve the API, the staff console and the workers.

    Example: sanctrack demo --port 8000
    """
    from rich.console import Console

    from app.auth.service import create_key
    from app.cli_support import unit_of_work
    from app.demo import (
        load_live,
        load_publications,
        missing_sample_files,
        outcome,
        seed_candidates,
        subscribe_demo_receiver,
    )
    from app.demo_terminal import WORKER_LOG_FILE, closing_lines, save_admin_key
    from app.lists.records import SOURCES
    from app.migrate import upgrade

    # The demo delivers its alerts to a receiver inside the service itself, on the loopback address.
    os.environ.setdefault("SANCTRACK_DEMO_RECEIVER", "true")
    os.environ.setdefault("SANCTRACK_WEBHOOK_ALLOW_PRIVATE", "true")
    if not live:
        # The demo's lists are fixed publications: no scheduled refresh replaces them with today's lists (or, with
        # no internet access, records a failed run every hour).
        os.environ.setdefault("SANCTRACK_REFRESH_INTERVAL_SECONDS", "0")
    get_settings.cache_clear()
    settings = get_settings()
    console = Console(stderr=True)
    if not live and (missing := missing_sample_files(settings.sample_data)):
        raise fail(
            f"the demo's list files are not there ({', '.join(str(p) for p in missing[:2])}); set "
            "SANCTRACK_SAMPLE_DATA to the shared/data folder, or run 'sanctrack demo --live' on a machine with "
            "internet access"
        )
    upgrade()
    brief = settings.sample_data.parent / "seed" / "article.md"
    with console.status("setting up") as status, unit_of_work() as session:

        def say(message: str) -> None:
            status.update(message)
            console.log(message)

        targets = seed_candidates(session, brief)
        say(f"{len(targets)} candidates from the brief")
        receiver = None
        if settings.demo_receiver and settings.webhook_allow_private:
            address = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            receiver = subscribe_demo_receiver(session, f"http://{address}:{port}")
        results = load_live(session, say) if live else load_publications(session, settings.sample_data, say)
        _, key = create_key(session, name="demo-admin", scope="admin")
        shown = outcome(session)
    for r in results:
        typer.echo(
            f"  {r['source']}: {r['status']} {r.get('entries', 0):,} entries, +{r.get('added', 0):,} "
            f"-{r.get('removed', 0):,} ~{r.get('amended', 0):,}"
        )
    typer.echo("\nDesignated:" + ("".join(f"\n  {line}" for line in shown["designated"]) or " none"))
    typer.echo(
        f"Waiting for review ({len(shown['waiting_for_review'])}):"
        + "".join(f"\n  {line}" for line in shown["waiting_for_review"])
    )
    if receiver:
        typer.echo(f"Alerts are delivered, signed, to the demo's own receiver: GET {receiver} shows them")
    if not any(settings.refresh_interval(source) for source in SOURCES):
        typer.echo(
            "Scheduled refreshes are off: the lists are the sample publications ('sanctrack demo --live' follows "
            "the official lists)"
        )
    # The key last, and in a file: the server's start-up lines follow it, the worker's go to their own file.
    worker_log = None if no_serve else Path(WORKER_LOG_FILE)
    for line in closing_lines(f"http://{host}:{port}", key, save_admin_key(key, Path.cwd()), worker_log):
        typer.echo(line)
    if not no_serve:
        serve(host=host, port=port, workers=1, background=True, no_workers=False, worker_log=worker_log)
