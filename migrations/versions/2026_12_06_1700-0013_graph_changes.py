"""The graph's outbox: every change to connections, blocks and group memberships, noted in the
transaction that makes it, for the in-memory graph of each process to follow.

A statement-level trigger on each of the three tables writes one row per changed pair (for a
connection, the pair once, smaller id first) with the writing transaction's id (``xid8``);
readers take what committed between two snapshots of theirs (``pg_visible_in_snapshot``), so
nothing rolled back is ever read, and nothing committed is stepped over whatever the order of
commits. ``NOTIFY connect_api_graph`` goes out on commit, for the readers to look at once.
A ``TRUNCATE`` of any of the three tables (the seeding, a reset) notes ``r``: read it all
again. A session that writes in bulk and notes the reload itself may turn the notes off with
``SET LOCAL connect_api.graph_changes = 'off'``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, kind, first column, second column, only when)
_TABLES = (
    ("connections", "c", "member_id", "other_id", "member_id < other_id"),
    ("blocks", "b", "blocker_id", "blocked_id", "true"),
    ("group_members", "g", "group_id", "member_id", "true"),
)


def upgrade() -> None:
    op.execute("""
        CREATE TABLE graph_changes (
            id bigserial PRIMARY KEY,
            xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
            noted_at timestamptz NOT NULL DEFAULT now(),
            kind char(1) NOT NULL,
            a bigint NOT NULL DEFAULT 0,
            b bigint NOT NULL DEFAULT 0
        )
    """)
    op.execute("CREATE INDEX ix_graph_changes_xid ON graph_changes (xid)")
    op.execute("CREATE INDEX ix_graph_changes_noted_at ON graph_changes (noted_at)")
    op.execute("""
        CREATE FUNCTION graph_note_reload() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO graph_changes (kind) VALUES ('r');
            PERFORM pg_notify('connect_api_graph', '');
            RETURN NULL;
        END $$
    """)
    for table, kind, first, second, when in _TABLES:
        for op_name, rows in (("INSERT", "NEW"), ("DELETE", "OLD")):
            name = f"graph_note_{table}_{op_name.lower()}"
            op.execute(f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF coalesce(current_setting('connect_api.graph_changes', true), '') = 'off'
                    THEN
                        RETURN NULL;
                    END IF;
                    INSERT INTO graph_changes (kind, a, b)
                    SELECT '{kind}', {first}, {second} FROM changed WHERE {when};
                    PERFORM pg_notify('connect_api_graph', '');
                    RETURN NULL;
                END $$
            """)  # noqa: S608 - the names are this module's constants
            op.execute(f"""
                CREATE TRIGGER {name} AFTER {op_name} ON {table}
                REFERENCING {rows} TABLE AS changed
                FOR EACH STATEMENT EXECUTE FUNCTION {name}()
            """)
        op.execute(f"""
            CREATE TRIGGER graph_note_{table}_truncate AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION graph_note_reload()
        """)


def downgrade() -> None:
    for table, _, _, _, _ in _TABLES:
        op.execute(f"DROP TRIGGER graph_note_{table}_truncate ON {table}")
        for op_name in ("insert", "delete"):
            op.execute(f"DROP TRIGGER graph_note_{table}_{op_name} ON {table}")
            op.execute(f"DROP FUNCTION graph_note_{table}_{op_name}()")
    op.execute("DROP FUNCTION graph_note_reload()")
    op.execute("DROP TABLE graph_changes")
