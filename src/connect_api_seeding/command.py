"""`connect-api seed`: generate (or read) a network and load it, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from tqdm import tqdm

from connect_api.kit.config import Settings
from connect_api_seeding import generator, loader


class _Bar(loader.Progress):
    def __init__(self, total: int) -> None:
        super().__init__()
        self.bar = tqdm(total=total, unit="row", unit_scale=True, file=sys.stderr, desc="seed")

    def rows(self, table: str, count: int) -> None:
        self.bar.update(count)

    def phase(self, name: str) -> None:
        super().phase(name)
        self.bar.set_postfix_str(name)

    def close(self) -> None:
        self.bar.close()


def build(args: argparse.Namespace, settings: Settings) -> generator.Network:
    rules = settings.policy
    if args.edges is not None:
        return generator.from_edges(
            generator.read_edge_list(args.edges), seed=args.seed, cap=rules.connection_cap
        )
    return generator.generate(
        generator.Params(
            members=args.members,
            avg_degree=args.avg_degree,
            hubs=args.hubs,
            groups=args.groups,
            seed=args.seed,
            rules=generator.Rules(
                connection_cap=rules.connection_cap,
                pending_outgoing_max=rules.pending_outgoing_max,
                invitations_per_hour=rules.invitations_per_hour,
                invitations_per_week=rules.invitations_per_week,
                invitation_expiry_days=rules.invitation_expiry_days,
            ),
        )
    )


def refusal(existing: int) -> str:
    return (
        f"connect-api: the database already has {existing:,} members; "
        "pass --replace to empty it and seed anew"
    )


async def run(url: str, args: argparse.Namespace, settings: Settings) -> int:
    start = time.perf_counter()
    conn = await loader.connect(url)
    try:
        # Refuse before spending any time on generation; load() checks again under a lock.
        existing = await loader.member_count(conn)
        if existing and not args.replace:
            print(refusal(existing), file=sys.stderr)
            return 2
        progress_start = time.perf_counter()
        try:
            net = build(args, settings)
        except (ValueError, OSError) as exc:
            print(f"connect-api: {exc}", file=sys.stderr)
            return 2
        bar = _Bar(loader.total_rows(net))
        bar.timings["generate"] = time.perf_counter() - progress_start
        try:
            await loader.load(
                conn,
                net,
                replace=args.replace,
                expiry_days=settings.policy.invitation_expiry_days,
                progress=bar,
            )
        except loader.AlreadySeeded as exc:
            bar.close()
            print(refusal(int(exc.args[0])), file=sys.stderr)
            return 2
        bar.close()
        print(f"phases: {bar.report()}", file=sys.stderr)
        done = await loader.summary(conn)
    finally:
        await conn.close()
    print(done.line(time.perf_counter() - start))
    return 0


def main(args: argparse.Namespace, settings: Settings, url: str) -> int:
    return asyncio.run(run(url, args, settings))
