"""Run Alembic migrations programmatically (the `pricing-graph migrate` command and tests)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

REPO_ROOT = Path(__file__).resolve().parents[3]
VERSION_TABLE = "alembic_version"


def alembic_config(database_url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "-1") -> None:
    command.downgrade(alembic_config(database_url), revision)


@cache
def head_revision() -> str:
    """The revision the migration scripts end at (one head: migrations are linear)."""
    heads = ScriptDirectory.from_config(alembic_config("")).get_heads()
    return ",".join(sorted(heads))


def previous_revision(revision: str) -> str | None:
    """The revision `revision` comes after (None for the first one)."""
    script = ScriptDirectory.from_config(alembic_config("")).get_revision(revision)
    down = script.down_revision if script is not None else None
    return down if isinstance(down, str) or down is None else ",".join(sorted(down))


def _current(connection: Connection) -> str | None:
    # Alembic's own table, read directly (MigrationContext logs a line per call: readiness
    # probes would fill the log).
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    heads = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    return ",".join(sorted(heads)) or None


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None when no migration was ever applied. Raises
    what the driver raises when the database cannot be reached."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)
