"""The data export (GET /v1/me/export): JSON, CSV per kind, a zip of them; streamed."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import httpx

from connect_api.exports.schemas import CSV_COLUMNS, ExportDocument, ExportKind, ExportPart
from tests.helpers import Api, export_scope, problem

KINDS = [k.value for k in ExportKind]


async def get(
    api: Api, member: int, headers: dict[str, str] | None = None, **kw: Any
) -> httpx.Response:
    auth = api.as_(member).headers
    return await api.http.get("/v1/me/export", headers={**auth, **(headers or {})}, **kw)


async def export(api: Api, member: int, **kw: Any) -> httpx.Response:
    r = await get(api, member, **kw)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.headers["cache-control"] == "no-store"
    return r


def rows(data: bytes | str) -> list[dict[str, str]]:
    text = data.decode() if isinstance(data, bytes) else data
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def scene(api: Api) -> dict[str, int]:
    """``me`` with a bit of everything, and others with things of their own about ``me``."""
    me = await api.member("Me Myself", headline="Exporter")
    (b, c, fan, blocked, blocker, invitee, inviter, stale) = await api.members(8)
    api.clock.advance(minutes=1)
    await api.connect(me, b)
    api.clock.advance(minutes=1)
    await api.connect(c, me)
    await api.as_(me).delete(f"/v1/follows/{c}")  # connected, but no longer following c
    assert (await api.as_(fan).put(f"/v1/follows/{me}")).status_code in (200, 201)
    assert (await api.as_(me).put(f"/v1/blocks/{blocked}")).status_code == 201
    assert (await api.as_(blocker).put(f"/v1/blocks/{me}")).status_code == 201
    r = await api.as_(me).put(
        f"/v1/notes/{b}", json={"body": "=cmd|' /C calc'!A0", "how_we_met": "At the fair"}
    )
    assert r.status_code == 201
    await api.as_(me).put(f"/v1/tags/{b}", json={"tags": ["London", "engines", "a, b; c"]})
    # What others keep about me is theirs: none of it may appear in my export.
    await api.as_(b).put(f"/v1/notes/{me}", json={"body": "b-private-note"})
    await api.as_(b).put(f"/v1/tags/{me}", json={"tags": ["b-private-tag"]})
    await api.as_(c).put(f"/v1/blocks/{fan}")
    await api.invite(me, invitee, "Hello there")
    await api.invited(inviter, me)
    await api.invited(stale, me)
    await api.sql(
        "UPDATE invitations SET expires_at = now() - interval '1 day' WHERE inviter_id = :s",
        s=stale,
    )
    return {
        "me": me,
        "b": b,
        "c": c,
        "fan": fan,
        "blocked": blocked,
        "blocker": blocker,
        "invitee": invitee,
        "inviter": inviter,
        "stale": stale,
    }


async def test_json_export_holds_everything_i_own_and_nothing_else(api: Api) -> None:
    s = await scene(api)
    r = await export(api, s["me"])
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"].endswith('.json"')
    doc = r.json()
    ExportDocument.model_validate(doc)  # the documented shape, exactly
    assert list(doc) == [
        "exported_at",
        "member",
        "connections",
        "following",
        "followers",
        "invitations_sent",
        "invitations_received",
        "blocks",
    ]
    member = doc["member"]
    assert member["id"] == s["me"] and member["display_name"] == "Me Myself"
    assert member["headline"] == "Exporter"
    assert (member["connection_count"], member["follower_count"], member["following_count"]) == (
        2,
        3,
        1,
    )
    conns = doc["connections"]
    assert [c["member"]["id"] for c in conns] == [s["c"], s["b"]]  # newest first
    # Written as the API writes them: the same members, the same times to the character.
    listed = (await api.as_(s["me"]).get(f"/v1/members/{s['me']}/connections")).json()["items"]
    assert [{"member": i["member"], "connected_at": i["connected_at"]} for i in listed] == [
        {"member": c["member"], "connected_at": c["connected_at"]} for c in conns
    ]
    assert "." in conns[0]["connected_at"]  # with microseconds; now a time without any:
    await api.sql("UPDATE connections SET created_at = date_trunc('second', created_at)")
    again = (await export(api, s["me"])).json()["connections"]
    listed = (await api.as_(s["me"]).get(f"/v1/members/{s['me']}/connections")).json()["items"]
    assert [c["connected_at"] for c in again] == [i["connected_at"] for i in listed]
    assert "." not in again[0]["connected_at"] and again[0]["connected_at"].endswith("Z")
    with_b = conns[1]
    assert with_b["note"] == "=cmd|' /C calc'!A0"  # JSON is data: stored as given
    assert with_b["how_we_met"] == "At the fair"
    assert with_b["tags"] == ["a, b; c", "engines", "London"]
    assert conns[0]["note"] is None and conns[0]["tags"] == [] and conns[0]["how_we_met"] is None
    assert [f["member"]["id"] for f in doc["following"]] == [s["b"]]
    assert sorted(f["member"]["id"] for f in doc["followers"]) == sorted([s["b"], s["c"], s["fan"]])
    [sent] = doc["invitations_sent"]
    assert sent["member"]["id"] == s["invitee"] and sent["message"] == "Hello there"
    assert [i["member"]["id"] for i in doc["invitations_received"]] == [s["inviter"]]
    assert [b["member"]["id"] for b in doc["blocks"]] == [s["blocked"]]
    text = r.text
    assert "b-private" not in text  # others' notes and tags about me
    assert f'"id":{s["blocker"]},' not in text  # who blocked me
    # The others' exports: their own things only.
    other = (await export(api, s["b"])).json()
    assert [c["note"] for c in other["connections"]] == ["b-private-note"]
    assert "engines" not in json.dumps(other) and "At the fair" not in json.dumps(other)
    assert (await export(api, s["c"])).json()["blocks"][0]["member"]["id"] == s["fan"]
    assert (await export(api, s["fan"])).json()["blocks"] == []
    await api.assert_consistent()


async def test_csv_per_kind(api: Api) -> None:
    s = await scene(api)
    files = {}
    for kind in KINDS:
        r = await export(api, s["me"], params={"kind": kind})
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.headers["content-disposition"].endswith(f'-{kind}.csv"')
        assert r.text.splitlines()[0].split(",") == list(CSV_COLUMNS[ExportKind(kind)])
        files[kind] = rows(r.content)
    conns = files["connections"]
    assert [int(c["member_id"]) for c in conns] == [s["c"], s["b"]]
    assert conns[1]["note"] == "'=cmd|' /C calc'!A0"  # a formula is defused
    assert json.loads(conns[1]["tags"]) == ["a, b; c", "engines", "London"]
    assert conns[0]["note"] == "" and json.loads(conns[0]["tags"]) == []
    assert [int(f["member_id"]) for f in files["following"]] == [s["b"]]
    assert len(files["followers"]) == 3
    invitations = {(i["direction"], int(i["member_id"])) for i in files["invitations"]}
    assert invitations == {("sent", s["invitee"]), ("received", s["inviter"])}
    assert [int(b["member_id"]) for b in files["blocks"]] == [s["blocked"]]
    # `format=json` gives one list as JSON: the document with only that list's keys.
    full = (await export(api, s["me"])).json()
    for kind, keys in (
        ("blocks", ["blocks"]),
        ("invitations", ["invitations_sent", "invitations_received"]),
    ):
        r = await export(api, s["me"], params={"kind": kind, "format": "json"})
        assert r.headers["content-type"] == "application/json"
        assert r.headers["content-disposition"].endswith(f'-{kind}.json"')
        part = r.json()
        ExportPart.model_validate(part)
        assert list(part) == ["exported_at", "member", *keys]
        assert part["blocks" if kind == "blocks" else "invitations_sent"] == full[keys[0]]
    r = await api.as_(s["me"]).get("/v1/me/export", params={"kind": "everything"})
    problem(r, 422, "validation_error")
    r = await export(
        api, s["me"], params={"kind": "blocks"}, headers={"Accept": "application/json"}
    )
    assert r.headers["content-type"].startswith("text/csv")


async def test_zip_has_one_csv_per_kind(api: Api) -> None:
    s = await scene(api)
    for how in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        r = await export(api, s["me"], **how)  # type: ignore[arg-type]
        assert r.headers["content-type"] == "application/zip"
        assert r.headers["content-disposition"].endswith('.zip"')
        with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
            assert archive.testzip() is None
            assert archive.namelist() == [f"{k}.csv" for k in KINDS]
            for kind in KINDS:
                single = await export(api, s["me"], params={"kind": kind})
                assert archive.read(f"{kind}.csv") == single.content


async def test_negotiation(api: Api) -> None:
    (me,) = await api.members(1)
    cases = {
        None: "application/json",
        "*/*": "application/json",
        "application/json": "application/json",
        "text/html,application/xhtml+xml,*/*;q=0.8": "application/json",
        "text/csv, application/json": "application/json",  # a tie: JSON
        "application/json;q=0.5, text/csv": "application/zip",
        "application/zip": "application/zip",
        "text/*": "application/zip",
        "image/png": "application/json",  # nothing we make: the default
        "text/csv;q=oops, application/json;q=0.1": "application/json",
    }
    for accept, expected in cases.items():
        headers = {"Accept": accept} if accept else {}
        r = await export(api, me, headers=headers)
        assert r.headers["content-type"] == expected, (accept, r.headers["content-type"])
    r = await export(api, me, params={"format": "json"}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"] == "application/json"
    assert r.json()["connections"] == []


async def test_refusals_are_problems_before_any_byte(api: Api) -> None:
    (me,) = await api.members(1)
    r = await api.http.get("/v1/me/export")
    problem(r, 401, "unauthorized")
    r = await api.http.get("/v1/me/export", headers={"Authorization": "Bearer nonsense"})
    problem(r, 401, "invalid_token")
    gone = api.as_(me)
    assert (await api.admin.delete(f"/v1/members/{me}")).status_code == 204
    problem(await gone.get("/v1/me/export"), 401, "invalid_token")
    problem(await gone.get("/v1/me/export", params={"kind": "connections"}), 401, "invalid_token")
    problem(await api.as_(me).get("/v1/me/export?format=xml"), 422, "validation_error")


async def _bulk(api: Api, hub: int, count: int) -> list[int]:
    """``count`` connections for ``hub`` (both directions, follows too), newest last."""
    now = api.clock.now()
    ids = await api.sql(
        """WITH new AS (
               INSERT INTO members (handle, display_name, created_at, connection_count,
                                    follower_count, following_count)
               SELECT 'bulk' || g, 'Bulk ' || g, :now, 1, 1, 1
               FROM generate_series(1, :n) g RETURNING id),
           c AS (INSERT INTO connections (member_id, other_id, created_at)
                 SELECT :hub, id, CAST(:now AS timestamptz) + id * interval '1 second' FROM new
                 UNION ALL SELECT id, :hub, :now FROM new),
           f AS (INSERT INTO follows (follower_id, followee_id, created_at)
                 SELECT :hub, id, :now FROM new UNION ALL SELECT id, :hub, :now FROM new)
           SELECT id FROM new ORDER BY id""",
        now=now,
        n=count,
        hub=hub,
    )
    await api.sql(
        """UPDATE members SET connection_count = connection_count + :n,
                  follower_count = follower_count + :n, following_count = following_count + :n
           WHERE id = :hub""",
        n=count,
        hub=hub,
    )
    return [i for (i,) in ids]


async def test_a_member_with_thousands_of_connections_exports_completely(api: Api) -> None:
    hub = await api.member("Hub")
    ids = await _bulk(api, hub, 3500)
    noted = ids[::7]
    await api.sql(
        """INSERT INTO notes (author_id, member_id, body, created_at, updated_at)
           SELECT :hub, m, 'note on ' || m, now(), now() FROM unnest(CAST(:ids AS bigint[])) m""",
        hub=hub,
        ids=noted,
    )
    await api.sql(
        """INSERT INTO connection_tags (author_id, member_id, key, name, created_at)
           SELECT :hub, m, k, initcap(k), now()
           FROM unnest(CAST(:ids AS bigint[])) m, unnest(ARRAY['alpha', 'beta']) k""",
        hub=hub,
        ids=ids[::5],
    )
    expected = list(reversed(ids))  # the newest connection first
    doc = (await export(api, hub)).json()
    assert [c["member"]["id"] for c in doc["connections"]] == expected
    assert len(doc["followers"]) == len(doc["following"]) == 3500
    by_id = {c["member"]["id"]: c for c in doc["connections"]}
    assert {m for m, c in by_id.items() if c["note"]} == set(noted)
    assert by_id[noted[3]]["note"] == f"note on {noted[3]}"
    assert {m for m, c in by_id.items() if c["tags"]} == set(ids[::5])
    assert by_id[ids[5]]["tags"] == ["Alpha", "Beta"]
    lines = rows((await export(api, hub, params={"kind": "connections"})).content)
    assert [int(r["member_id"]) for r in lines] == expected
    with zipfile.ZipFile(
        io.BytesIO((await export(api, hub, params={"format": "csv"})).content)
    ) as z:
        assert len(rows(z.read("followers.csv"))) == 3500
        assert [int(r["member_id"]) for r in rows(z.read("connections.csv"))] == expected
    await api.assert_consistent()


async def drive(
    api: Api, member: int, query: bytes, on_chunk: Any
) -> tuple[list[bytes], BaseException | None]:
    """Run one export through the ASGI app by hand, calling ``on_chunk(n)`` after each
    body chunk is sent (it may raise, as a server does when the client has gone)."""
    app = api.http._transport.app  # type: ignore[attr-defined]
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message["body"]:
            chunks.append(message["body"])
            await on_chunk(len(chunks))

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = export_scope(api.token(member), query)
    try:
        await app(scope, receive, send)
    except Exception as exc:
        return chunks, exc
    return chunks, None


async def test_the_export_is_one_snapshot(api: Api) -> None:
    """A removal committed while the export streams is not in it: not in the list being
    read, nor in the lists read after it."""
    hub = await api.member("Hub")
    ids = await _bulk(api, hub, 2500)

    async def remove_the_oldest(n: int) -> None:
        if n == 1:
            r = await api.as_(hub).delete(f"/v1/connections/{ids[0]}")
            assert r.status_code == 204

    chunks, error = await drive(api, hub, b"", remove_the_oldest)
    assert error is None and len(chunks) > 3
    doc = json.loads(b"".join(chunks))
    assert doc["connections"][-1]["member"]["id"] == ids[0]
    assert ids[0] in {f["member"]["id"] for f in doc["followers"]}  # read after the removal
    assert doc["member"]["connection_count"] == len(doc["connections"]) == 2500
    assert (await export(api, hub)).json()["member"]["connection_count"] == 2499
    await api.assert_consistent()


async def test_the_snapshot_connection_goes_back_to_the_pool(api: Api) -> None:
    """Also when the client leaves half-way, and over many exports in a row."""
    hub = await api.member("Hub")
    await _bulk(api, hub, 2500)
    pool = api.ctx.db.engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]

    async def leave(n: int) -> None:
        if n == 2:
            raise OSError("client gone")

    for query in (b"", b"kind=connections", b"format=csv"):
        chunks, error = await drive(api, hub, query, leave)
        assert len(chunks) == 2 and error is not None
        assert pool.checkedout() == before  # type: ignore[attr-defined]
    for _ in range(45):  # more than the pool holds
        await export(api, hub, params={"kind": "blocks"})
    assert pool.checkedout() == before  # type: ignore[attr-defined]


async def test_snapshot_is_repeatable_read_and_read_only(api: Api) -> None:
    from sqlalchemy import text

    from connect_api.exports.repository import snapshot

    async with snapshot(api.ctx.db.engine) as conn:
        assert await conn.scalar(text("SHOW transaction_isolation")) == "repeatable read"
        assert await conn.scalar(text("SHOW transaction_read_only")) == "on"
    async with api.ctx.db.engine.connect() as conn:  # the pool's next user gets the defaults
        assert await conn.scalar(text("SHOW transaction_read_only")) == "off"
