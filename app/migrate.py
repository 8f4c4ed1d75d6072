"""Database set-up: Alembic upgrades, and the reference data that ships with the code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.config import get_settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    from app.db import make_engine, session_scope
    from app.targets.service import sync_programs

    url = database_url or get_settings().database_url
    command.upgrade(alembic_config(url), revision)
    if database_url is None:
        with session_scope() as session:
            sync_programs(session)
    else:
        from sqlalchemy.orm import Session

        engine = make_engine(url)
        with Session(engine) as session:
            sync_programs(session)
            session.commit()
        engine.dispose()
