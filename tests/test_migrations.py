"""Migrations and models agree, and every migration can be undone and redone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from connect_api.core.models import Base
from connect_api.kit.schema import alembic_config


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


async def test_tag_keys_are_computed_again_and_collisions_merged(empty_database: str) -> None:
    """0012: tags stored under the old keys (the name case-folded) get the keys of today's
    rule; those of one connection that now collide are merged (the earliest stays), an
    author's spellings of one tag become one, and a tag of nothing visible goes."""
    from sqlalchemy import text

    engine = create_async_engine(empty_database)
    full_width = "\uff2c\uff2f\uff2e\uff24\uff2f\uff2e"
    old = [  # (member, key as the old rule made it, name, minutes after the first)
        (2, "london", "London", 0),
        (2, full_width.casefold(), full_width, 1),
        (2, "lon\u200bdon", "Lon\u200bdon", 2),
        (2, "rust", "Rust", 3),
        (3, full_width.casefold(), full_width, 4),
        (3, "\u200b", "\u200b", 5),
        (3, "go", "Go", 6),
    ]

    def migrate(conn: Connection) -> list[tuple[int, str, str]]:
        cfg = alembic_config(empty_database)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011")
        conn.execute(
            text(
                "INSERT INTO members (id, handle, display_name, created_at)"
                " SELECT n, 'm' || n, 'M' || n, now() FROM generate_series(1, 3) n"
            )
        )
        conn.execute(
            text(
                "INSERT INTO connections (member_id, other_id, created_at)"
                " VALUES (1, 2, now()), (2, 1, now()), (1, 3, now()), (3, 1, now())"
            )
        )
        for member, key, name, minutes in old:
            conn.execute(
                text(
                    "INSERT INTO connection_tags (author_id, member_id, key, name, created_at)"
                    " VALUES (1, :member, :key, :name,"
                    " timestamptz '2026-01-01 00:00Z' + make_interval(mins => :minutes))"
                ),
                {"member": member, "key": key, "name": name, "minutes": minutes},
            )
        command.upgrade(cfg, "0012")
        rows = conn.execute(
            text("SELECT member_id, key, name FROM connection_tags ORDER BY member_id, key")
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async with engine.begin() as conn:
        tags = await conn.run_sync(migrate)
    await engine.dispose()
    assert tags == [
        (2, "london", "London"),
        (2, "rust", "Rust"),
        (3, "go", "Go"),
        (3, "london", "London"),  # the spelling the author used first
    ]
