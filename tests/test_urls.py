"""PostgreSQL URLs naming several servers (libpq's multi-host form), as the settings take them
and as asyncpg, SQLAlchemy and the messages each need them."""

from __future__ import annotations

import pytest

from connect_api.kit import urls
from connect_api.kit.config import Settings

CLUSTER = (
    "postgresql://connect:s3cret@db1:5432,db2:5433,db3:5434/connect?target_session_attrs=read-write"
)


def test_a_multi_host_url_keeps_every_host_for_the_driver() -> None:
    url = urls.normalize(CLUSTER)
    assert url.startswith("postgresql+asyncpg://")
    assert urls.hosts(url) == ["db1:5432", "db2:5433", "db3:5434"]
    assert urls.driver_dsn(url) == CLUSTER


def test_the_engine_gets_the_hosts_as_sqlalchemys_asyncpg_dialect_reads_them() -> None:
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    engine_url = urls.engine_url(urls.normalize(CLUSTER))
    _, options = dialect().create_connect_args(engine_url)
    assert options["host"] == ["db1", "db2", "db3"]
    assert options["port"] == [5432, 5433, 5434]
    assert options["target_session_attrs"] == "read-write"
    assert options["database"] == "connect" and options["user"] == "connect"
    assert options["password"] == "s3cret"


def test_a_single_server_url_is_unchanged() -> None:
    one = urls.normalize("postgres://u@h:6543/d?sslmode=require")
    assert urls.engine_url(one).render_as_string(hide_password=False) == one
    assert urls.driver_dsn(one) == "postgresql://u@h:6543/d?sslmode=require"
    socket = urls.normalize("postgresql://postgres@/postgres?host=/run/pg&port=5")
    assert urls.engine_url(socket).query == {"host": "/run/pg", "port": "5"}


def test_a_password_is_never_shown() -> None:
    shown = urls.redacted(urls.normalize(CLUSTER))
    assert "s3cret" not in shown and "db1:5432,db2:5433,db3:5434" in shown
    assert urls.redacted("postgresql://u@h/d") == "postgresql://u@h/d"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgresql://a/d", ["postgresql://a/d"]),
        ("postgresql://a/d,postgresql://b/d", ["postgresql://a/d", "postgresql://b/d"]),
        ("postgresql://a/d postgres://b/d", ["postgresql://a/d", "postgres://b/d"]),
        (
            "postgresql://a:1,b:2/d?target_session_attrs=standby, postgresql://c/d",
            ["postgresql://a:1,b:2/d?target_session_attrs=standby", "postgresql://c/d"],
        ),
    ],
)
def test_several_urls_in_one_setting_split_between_urls_not_hosts(
    value: str, expected: list[str]
) -> None:
    assert urls.split(value) == expected


def test_the_settings_take_a_cluster() -> None:
    settings = Settings(
        database_url=CLUSTER,
        read_database_url="postgresql://u@db1/c?target_session_attrs=standby,"
        "postgresql://u@db2/c?target_session_attrs=standby",
        jwt_secret="c" * 64,
    )
    assert settings.database_url is not None
    assert urls.hosts(settings.database_url) == ["db1:5432", "db2:5433", "db3:5434"]
    assert [urls.hosts(u) for u in settings.read_database_url] == [["db1"], ["db2"]]
    assert all(urls.is_postgres(u) for u in [settings.database_url, *settings.read_database_url])
    assert not urls.is_postgres(urls.normalize("mysql://h/d"))
