"""Migrations and models agree, and every migration can be undone and redone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from connect_api.database import alembic_config
from connect_api.models import Base


async def test_migrated_schema_matches_the_models(empty_database: str) -> None:
    engine = create_async_engine(empty_database)

    def upgrade_and_diff(conn: Connection) -> list[object]:
        cfg = alembic_config(empty_database)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with engine.begin() as conn:
        diff = await conn.run_sync(upgrade_and_diff)
    await engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


async def test_downgrade_to_base_and_up_again(empty_database: str) -> None:
    engine = create_async_engine(empty_database)

    def cycle(conn: Connection) -> set[str]:
        cfg = alembic_config(empty_database)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        command.upgrade(cfg, "head")
        return set(MigrationContext.configure(conn).get_current_heads())

    async with engine.begin() as conn:
        heads = await conn.run_sync(cycle)
    await engine.dispose()
    assert heads == set(ScriptDirectory.from_config(alembic_config(empty_database)).get_heads())
    assert len(heads) == 1
