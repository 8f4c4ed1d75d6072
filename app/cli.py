"""The ``sanctrack`` command line: serve, db, keys, targets, evidence, and the list, matching and alert commands."""

from __future__ import annotations

import typer

from app.auth.cli import keys_app
from app.cli_support import handle_errors
from app.targets.cli import evidence_app, targets_app

app = typer.Typer(
    help="sanctrack: track candidate sanctions targets, follow the official lists, match and alert.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)
db_app = typer.Typer(help="Database set-up and maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(targets_app, name="targets")
app.add_typer(evidence_app, name="evidence")


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
    workers: bool = typer.Option(True, "--workers/--no-workers",
                                 help="Also run the Celery worker and scheduler (the refresh pipeline)"),
) -> None:
    """Upgrade the database and serve the API (and, by default, the background worker and scheduler).

    Example: sanctrack serve --host 0.0.0.0 --port 8000
    """
    import uvicorn

    from app.migrate import upgrade

    upgrade()
    children = []
    if workers:
        from workers.embedded import start_children

        children = start_children()
    typer.echo(f"sanctrack API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    try:
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, log_level="info")
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)


def main() -> None:
    app()
