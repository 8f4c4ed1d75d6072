from __future__ import annotations

import datetime as dt

import typer

from app.auth import service
from app.cli_support import emit_json, handle_errors, unit_of_work
from app.context import CLI

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)


@keys_app.command("create")
@handle_errors
def create(
    name: str = typer.Option(..., "--name", help="Who or what uses the key"),
    scope: str = typer.Option("read", "--scope", help="read, write or admin"),
    expires_in_days: int = typer.Option(0, "--expires-in-days", help="0: never expires"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Create an API key and print it once (only its hash is stored).

    Example: sanctrack keys create --name analyst-laptop --scope write
    """
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days) if expires_in_days > 0 else None
    with unit_of_work() as session:
        key, raw = service.create_key(session, name=name, scope=scope, expires_at=expires)
        service.audit(session, CLI, "create", "api_key", key.id, None, {"name": key.name, "scope": key.scope})
        key_id = key.id
    if as_json:
        emit_json({"id": key_id, "name": name, "scope": scope, "expires_at": expires, "key": raw})
        return
    typer.echo(f"Created key {key_id} '{name}' with scope {scope}. It is shown only now; store it safely.")
    typer.echo(f"key: {raw}")


@keys_app.command("list")
@handle_errors
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    """List API keys (never their secrets).

    Example: sanctrack keys list --json
    """
    with unit_of_work() as session:
        rows = [
            {
                "id": k.id,
                "name": k.name,
                "prefix": k.prefix,
                "scope": k.scope,
                "created_at": k.created_at,
                "expires_at": k.expires_at,
                "revoked_at": k.revoked_at,
                "last_used_at": k.last_used_at,
            }
            for k in service.list_keys(session)
        ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else "active"
        typer.echo(f"{r['id']:>4}  {r['prefix']}…  {r['scope']:<6} {state:<8} {r['name']}")


@keys_app.command("revoke")
@handle_errors
def revoke(key_id: int = typer.Argument(..., help="The key's id from 'sanctrack keys list'")) -> None:
    """Revoke an API key at once.

    Example: sanctrack keys revoke 3
    """
    with unit_of_work() as session:
        service.revoke_key(session, key_id, CLI)
    typer.echo(f"Key {key_id} revoked.")
