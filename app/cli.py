"""The ``sanctrack`` command line: serve, db, keys, targets, evidence, and the list, matching and alert commands."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from app.auth.cli import keys_app
from app.cli_support import fail, handle_errors
from app.config import get_settings
from app.documents.cli import intake as intake_command
from app.lists.cli import lists_app
from app.matching.cli import match as match_command
from app.matching.cli import screen as screen_command
from app.ops_cli import register as register_db_ops
from app.targets.cli import evidence_app, targets_app
from workers.celery_app import install_background_work

app = typer.Typer(
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
app.add_typer(keys_app, name="keys")
app.add_typer(targets_app, name="targets")
app.add_typer(evidence_app, name="evidence")
app.add_typer(lists_app, name="lists")
app.command("match")(match_command)
app.command("screen")(screen_command)
app.command("intake")(intake_command)
# What a command asks of the workers (screen new candidates now, run a queued refresh) goes to the Celery workers.
install_background_work()


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
            "app.main:create_app", factory=True, host=host, port=port, log_level="info", workers=workers
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
