"""The schema: Alembic's migrations (shipped in the wheel), upgrading to head, and the check
that refuses to serve a schema that is not at head."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection as SyncConnection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def migrations_dir() -> Path:
    packaged = resources.files("connect_api") / "_migrations"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade_to_head(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)

    def _run(conn: SyncConnection) -> None:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        # A migration may rewrite a large table: the request statement timeout is not for it.
        await conn.execute(text("SET LOCAL statement_timeout = 0"))
        await conn.run_sync(_run)


def _head_revisions(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


async def schema_revisions(engine: AsyncEngine) -> tuple[set[str], set[str]]:
    """(revisions in the database, revisions at head)."""

    def _current(conn: SyncConnection) -> set[str]:
        return set(MigrationContext.configure(conn).get_current_heads())

    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    return current, _head_revisions(engine.url.render_as_string(hide_password=False))


class SchemaNotAtHead(RuntimeError):
    pass


async def ensure_at_head(engine: AsyncEngine) -> None:
    current, head = await schema_revisions(engine)
    if current != head:
        raise SchemaNotAtHead(
            f"The database schema is at {sorted(current) or 'nothing'}, not at head {sorted(head)}."
            " Run `connect-api migrate` (with the same DATABASE_URL) first."
        )
