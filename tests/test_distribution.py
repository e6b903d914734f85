"""The migrated schema can be distributed by member id (Citus-style, co-located).

Every member-owned table must carry its owner's member id as the leading column of its
primary key and of every unique constraint and unique index: then every row of one member,
and every uniqueness rule about it, lives on that member's shard. The test reads pg_catalog,
not the models, so it sees what the migrations made. How the exceptions hold across shards is
in docs/scale-out.md.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Member-owned tables and the column that names their owner (the distribution column).
OWNERS: dict[str, str] = {
    "members": "id",  # the member itself: distributed by its own id
    "connections": "member_id",  # one row per side: each lives on its member's shard
    "follows": "follower_id",
    "blocks": "blocker_id",
    "notes": "author_id",
    "connection_tags": "author_id",
    "idempotency_keys": "member_id",
    "network_snapshots": "member_id",
    "network_candidates": "member_id",
    "suggestion_dismissals": "member_id",
    "invitations": "inviter_id",
    "group_members": "member_id",
}

# Tables that belong to no one member: reference tables (copied to every node) or tables
# of the control plane, each with its reason.
NOT_MEMBER_OWNED: dict[str, str] = {
    "alembic_version": "one row naming the schema's revision; kept on every node",
    "groups": "a group belongs to no member; small, a reference table on every node",
    "webhooks": "registered by admins for the whole service; a reference table",
    "stream_tickets": "a minute-long credential found by its digest before its member is "
    "known: routed by the digest, never joined with a member's rows",
    "webhook_deliveries": "follows webhooks/events: delivery state of the control plane",
    "events": "the outbox: one per shard when distributed, merged by the delivery side",
    "graph_changes": "the graph's outbox: one per shard when distributed, each shard's read "
    "by the graph read model partitions (docs/scale-out.md)",
}

# Unique indexes (primary keys included) of member-owned tables whose leading column is not
# the owner's id: (table, index) -> the reason and how the rule holds across shards.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # Deliberate: a rule about two members at once.
    ("invitations", "uq_invitations_pending_pair"): (
        "one pending invitation per unordered pair: the pair's row lives on the shard of"
        " least(inviter, invitee), which is this index's leading key, so the rule stays local"
    ),
    # Deliberate: a rule over every member.
    ("members", "uq_members_handle_lower"): (
        "handles are unique across the network: a global handle table (reference or its own"
        " small cluster) claimed before the member's row is written"
    ),
    # Not deliberate: what the schema would become when distributed.
    ("invitations", "pk_invitations"): (
        "would move to (least(inviter, invitee), id) when distributed: the pair's shard holds"
        " the invitation, each side a reference row"
    ),
    ("group_members", "pk_group_members"): (
        "would move to (member_id, group_id) when distributed (ix_group_members_member_id"
        " already has that order); a group's member list becomes a per-group read model"
    ),
}

TABLES = text(
    """
    SELECT c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
    """
)

# Every unique index and every primary key, unique or exclusion constraint, with the name
# of its leading column (NULL when the leading key is an expression).
UNIQUE_KEYS = text(
    """
    SELECT t.relname, i.relname, a.attname
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] AND a.attnum > 0
    WHERE n.nspname = current_schema() AND (x.indisunique OR x.indisprimary)
    UNION
    SELECT t.relname, k.conname, a.attname
    FROM pg_constraint k
    JOIN pg_class t ON t.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.conkey[1]
    WHERE n.nspname = current_schema() AND k.contype IN ('p', 'u', 'x')
    """
)


async def unclassified_tables(
    conn: AsyncConnection, owners: dict[str, str], others: dict[str, str]
) -> set[str]:
    """Tables the catalog has that are neither member-owned nor a listed exception."""
    tables = {row[0] for row in await conn.execute(TABLES)}
    return tables - owners.keys() - others.keys()


async def keys_not_led_by_owner(
    conn: AsyncConnection, owners: dict[str, str]
) -> dict[tuple[str, str], str | None]:
    """Unique keys of member-owned tables that do not start with the owner's id."""
    found: dict[tuple[str, str], str | None] = {}
    for table, index, leading in await conn.execute(UNIQUE_KEYS):
        if table in owners and leading != owners[table]:
            found[(table, index)] = leading
    return found


async def test_every_table_is_classified(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        missing = await unclassified_tables(conn, OWNERS, NOT_MEMBER_OWNED)
    assert missing == set(), (
        f"new tables {sorted(missing)}: add each to OWNERS (with its owner's id column) or to"
        " NOT_MEMBER_OWNED (with why it belongs to no member)"
    )
    assert OWNERS.keys().isdisjoint(NOT_MEMBER_OWNED)


async def test_unique_keys_lead_with_the_owner_id(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        found = await keys_not_led_by_owner(conn, OWNERS)
    unexpected = {k: v for k, v in found.items() if k not in EXCEPTIONS}
    assert unexpected == {}, (
        "unique keys of member-owned tables must lead with the owner's id (or be listed, with"
        f" a reason, in EXCEPTIONS): {unexpected}"
    )
    # An exception that no longer matches the catalog is stale: remove it.
    assert set(EXCEPTIONS) <= set(found), f"stale exceptions: {set(EXCEPTIONS) - set(found)}"


async def test_the_checks_catch_a_new_table_and_a_new_unique_index(engine: AsyncEngine) -> None:
    """A throwaway table and index in a transaction that is rolled back: the same catalog
    queries must report them."""
    async with engine.connect() as conn, conn.begin() as tx:
        await conn.execute(
            text(
                "CREATE TABLE scratch_saved_searches ("
                " id bigint PRIMARY KEY,"
                " member_id bigint NOT NULL REFERENCES members (id),"
                " name text NOT NULL)"
            )
        )
        await conn.execute(
            text("CREATE UNIQUE INDEX scratch_saved_searches_name ON scratch_saved_searches (name)")
        )
        await conn.execute(
            text(
                "CREATE UNIQUE INDEX scratch_saved_searches_member_name"
                " ON scratch_saved_searches (member_id, name)"
            )
        )
        await conn.execute(
            text(
                "CREATE UNIQUE INDEX scratch_saved_searches_lower"
                " ON scratch_saved_searches (lower(name), member_id)"
            )
        )
        await conn.execute(
            text(
                "CREATE UNIQUE INDEX scratch_follows_reverse ON follows (followee_id, follower_id)"
            )
        )
        await conn.execute(
            text(
                "CREATE TABLE scratch_pairs (a bigint, b bigint,"
                " CONSTRAINT scratch_pairs_uq UNIQUE (b, a))"
            )
        )

        assert await unclassified_tables(conn, OWNERS, NOT_MEMBER_OWNED) == {
            "scratch_saved_searches",
            "scratch_pairs",
        }
        owners = {**OWNERS, "scratch_saved_searches": "member_id", "scratch_pairs": "a"}
        found = await keys_not_led_by_owner(conn, owners)
        new = {k: v for k, v in found.items() if k not in EXCEPTIONS}
        assert new == {
            ("scratch_saved_searches", "scratch_saved_searches_pkey"): "id",
            ("scratch_saved_searches", "scratch_saved_searches_name"): "name",
            ("scratch_saved_searches", "scratch_saved_searches_lower"): None,
            ("follows", "scratch_follows_reverse"): "followee_id",
            ("scratch_pairs", "scratch_pairs_uq"): "b",
        }
        await tx.rollback()
    async with engine.connect() as conn:
        assert await unclassified_tables(conn, OWNERS, NOT_MEMBER_OWNED) == set()
