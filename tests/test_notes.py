"""Notes and tags (spec 2.11): private annotations on one's own connections."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest

from connect_api.core.tags import TagEmpty, TagTooLong, TooManyTags, normalise, normalise_all
from tests.helpers import Api, problem


async def tags_of(api: Api, author: int, member: int) -> list[str]:
    r = await api.as_(author).get(f"/v1/tags/{member}")
    assert r.status_code == 200, r.text
    assert r.json()["member_id"] == member
    return list(r.json()["tags"])


async def put_tags(api: Api, author: int, member: int, tags: list[Any]) -> list[str]:
    r = await api.as_(author).put(f"/v1/tags/{member}", json={"tags": tags})
    assert r.status_code == 200, r.text
    return list(r.json()["tags"])


async def listed(api: Api, viewer: int, member: int, **params: Any) -> list[int]:
    out: list[int] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        r = await api.as_(viewer).get(f"/v1/members/{member}/connections", params=query)
        assert r.status_code == 200, r.text
        out += [item["member"]["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out


# --- normalisation, without the database ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name", "key"),
    [
        ("Go", "Go", "go"),
        ("  rust  ", "rust", "rust"),
        ("machine \t\n  learning", "machine learning", "machine learning"),
        ("STRASSE", "STRASSE", "strasse"),
        ("Straße", "Straße", "strasse"),
        ("Cafe\u0301", "Café", "café"),  # decomposed accent composes
        ("x" * 40, "x" * 40, "x" * 40),
        ("\uff2c\uff2f\uff2e\uff24\uff2f\uff2e", "\uff2c\uff2f\uff2e\uff24\uff2f\uff2e", "london"),
        ("Lon\u200bdon", "London", "london"),
        ("\u202eLon\u2066don\u2069\ufeff", "London", "london"),
        ("a\u200d \u200c b", "a b", "a b"),  # what was between two spaces is gone
        ("\u2167", "\u2167", "viii"),  # ROMAN NUMERAL EIGHT, in compatibility form
    ],
)
def test_normalise(raw: str, name: str, key: str) -> None:
    tag = normalise(raw)
    assert (tag.name, tag.key) == (name, key)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", TagEmpty),
        ("   \t ", TagEmpty),
        ("\u200b", TagEmpty),
        ("\u200b \u200e\u2060\ufeff\u061c\u202a\u2069", TagEmpty),
        ("x" * 41, TagTooLong),
        ("ß" * 21, TagTooLong),
    ],
)
def test_normalise_refuses(raw: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        normalise(raw)


def test_normalise_all_dedupes_first_spelling_and_counts_what_is_given() -> None:
    tags = normalise_all(["Go", " go ", "GO", "Rust", "rust"])
    assert [t.name for t in tags] == ["Go", "Rust"]
    assert len(normalise_all([f"t{n % 25}" for n in range(50)])) == 25
    for given in ([f"t{n}" for n in range(51)], [f"t{n % 25}" for n in range(51)]):
        with pytest.raises(TooManyTags):
            normalise_all(given)


# --- notes over HTTP ------------------------------------------------------------------------


async def test_note_put_get_replace_delete(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    created_at = api.clock.now()
    r = await api.as_(a).put(
        f"/v1/notes/{b}", json={"body": "Met at the fair", "how_we_met": "Fair"}
    )
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["member_id"] == b and note["body"] == "Met at the fair"
    assert note["how_we_met"] == "Fair"
    assert note["created_at"] == note["updated_at"]
    r = await api.as_(a).get(f"/v1/notes/{b}")
    assert r.status_code == 200 and r.json() == note
    api.clock.advance(minutes=5)
    r = await api.as_(a).put(f"/v1/notes/{b}", json={"body": "  Knows Babbage  "})
    assert r.status_code == 200, r.text
    assert r.json()["body"] == "  Knows Babbage  "  # stored as given
    assert r.json()["how_we_met"] is None  # PUT replaces the whole note
    assert r.json()["created_at"] == note["created_at"] != r.json()["updated_at"]
    assert created_at < api.clock.now()
    assert (await api.as_(a).delete(f"/v1/notes/{b}")).status_code == 204
    problem(await api.as_(a).get(f"/v1/notes/{b}"), 404, "not_found")
    assert (await api.as_(a).delete(f"/v1/notes/{b}")).status_code == 204  # idempotent
    await api.assert_consistent()


async def test_note_limits_and_bad_input(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    me = api.as_(a)
    assert (await me.put(f"/v1/notes/{b}", json={"body": "x" * 2000})).status_code == 201
    for body in (
        {"body": "x" * 2001},
        {"body": ""},
        {"body": "   "},
        {"body": "a\x00b"},
        {"body": "ok", "how_we_met": "y" * 201},
        {"body": "ok", "extra": 1},
        {},
    ):
        problem(await me.put(f"/v1/notes/{b}", json=body), 422, "validation_error")
    r = await me.put(f"/v1/notes/{b}", json={"body": "ok", "how_we_met": "y" * 200})
    assert r.status_code == 200
    assert (await me.get(f"/v1/notes/{b}")).json()["body"] == "ok"


async def test_notes_need_a_connection(api: Api) -> None:
    a, b, c, d = await api.members(4)
    await api.connect(a, b)
    await api.invited(a, c)  # pending is not connected
    for other in (c, d, a, d + 100):
        r = await api.as_(a).put(f"/v1/notes/{other}", json={"body": "hi"})
        body = problem(r, 404, "not_found")
        assert body["detail"] == "You are not connected to this member."
        problem(await api.as_(a).delete(f"/v1/notes/{other}"), 404, "not_found")
        problem(await api.as_(a).get(f"/v1/notes/{other}"), 404, "not_found")
        problem(await api.as_(a).put(f"/v1/tags/{other}", json={"tags": ["x"]}), 404, "not_found")
        problem(await api.as_(a).get(f"/v1/tags/{other}"), 404, "not_found")
    assert (await api.http.put(f"/v1/notes/{b}", json={"body": "hi"})).status_code == 401
    assert (await api.http.get("/v1/tags")).status_code == 401
    assert (await api.sql("SELECT count(*) FROM notes"))[0][0] == 0
    await api.assert_consistent()


# --- tags over HTTP -------------------------------------------------------------------------


async def test_tags_replace_normalise_and_clear(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    assert await tags_of(api, a, b) == []
    names = await put_tags(api, a, b, ["  rust ", "Go", "go", "machine   learning", "apple"])
    assert names == ["apple", "Go", "machine learning", "rust"]
    assert await tags_of(api, a, b) == names
    assert await put_tags(api, a, b, ["RUST", "zig"]) == ["RUST", "zig"]  # respelled here only
    assert await put_tags(api, a, b, []) == []
    assert (await api.sql("SELECT count(*) FROM connection_tags"))[0][0] == 0
    await api.assert_consistent()


async def test_tag_limits(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    me = api.as_(a)
    assert len(await put_tags(api, a, b, [f"t{n}" for n in range(50)])) == 50
    assert len(await put_tags(api, a, b, ["x" * 40])) == 1
    body = problem(await me.put(f"/v1/tags/{b}", json={"tags": ["x" * 41]}), 422, "tag_too_long")
    assert body["max_length"] == 40
    problem(await me.put(f"/v1/tags/{b}", json={"tags": ["ok", " "]}), 422, "tag_empty")
    problem(
        await me.put(f"/v1/tags/{b}", json={"tags": [f"t{n}" for n in range(51)]}),
        422,
        "too_many_tags",
    )
    for bad in ({"tags": "x"}, {"tags": [1]}, {"tags": ["a\x00"]}, {}):
        problem(await me.put(f"/v1/tags/{b}", json=bad), 422, "validation_error")
    # At most 50 given, as the document declares, even when some are the same tag.
    problem(await me.put(f"/v1/tags/{b}", json={"tags": ["a"] * 51}), 422, "too_many_tags")
    body = problem(
        await me.put(f"/v1/tags/{b}", json={"tags": [" " + "x" * 40]}), 422, "tag_too_long"
    )
    assert await tags_of(api, a, b) == ["x" * 40]  # refusals changed nothing


async def test_one_tag_one_name_across_connections_and_counts(api: Api) -> None:
    a, b, c, d = await api.members(4)
    for other in (b, c, d):
        await api.connect(a, other)
    await put_tags(api, a, b, ["Machine Learning", "London"])
    # The same tag on another connection keeps the spelling already in use.
    assert await put_tags(api, a, c, ["machine  learning", "paris"]) == [
        "Machine Learning",
        "paris",
    ]
    await put_tags(api, a, d, ["LONDON", "Paris", "MACHINE learning"])
    assert await tags_of(api, a, d) == ["London", "Machine Learning", "paris"]
    r = await api.as_(a).get("/v1/tags")
    assert r.status_code == 200
    assert r.json()["items"] == [
        {"tag": "Machine Learning", "count": 3},
        {"tag": "London", "count": 2},
        {"tag": "paris", "count": 2},
    ]
    await put_tags(api, a, b, [])
    await put_tags(api, a, c, [])
    assert (await api.as_(a).get("/v1/tags")).json()["items"] == [
        {"tag": "London", "count": 1},
        {"tag": "Machine Learning", "count": 1},
        {"tag": "paris", "count": 1},
    ]
    await api.assert_consistent()


# --- ?tag= on connection lists ------------------------------------------------------------


async def test_tag_filter_on_own_list_with_both_sorts_and_pages(api: Api) -> None:
    (a,) = await api.members(1)
    others = [await api.member(f"Name {n:02d}") for n in range(12)]
    for o in others:
        api.clock.advance(minutes=1)
        await api.connect(a, o)
    tagged = others[1::2]  # six of them
    for o in tagged:
        await put_tags(api, a, o, ["Engines", "Other"])
    await put_tags(api, a, others[0], ["other"])
    newest_first = list(reversed(tagged))
    for limit in (1, 2, 5, 20):
        assert await listed(api, a, a, tag="engines", limit=limit) == newest_first
        assert await listed(api, a, a, tag=" ENGINES ", sort="name", limit=limit) == tagged
    assert await listed(api, a, a, tag="other", sort="name") == [others[0], *tagged]
    assert await listed(api, a, a, tag="nothing") == []
    assert await listed(api, a, a, tag="engines", q="Name 03") == [others[3]]
    assert await listed(api, a, a, tag="engines", q="Name 03", sort="name") == [others[3]]
    problem(await api.as_(a).get(f"/v1/members/{a}/connections?tag=%20"), 422, "tag_empty")
    r = await api.as_(a).get(f"/v1/members/{a}/connections", params={"tag": "x" * 41})
    problem(r, 422, "tag_too_long")
    # A cursor belongs to its list: not reusable with another tag, or without one.
    r = await api.as_(a).get(f"/v1/members/{a}/connections", params={"tag": "engines", "limit": 1})
    cursor = r.json()["next_cursor"]
    for params in ({"tag": "other"}, {}, {"tag": "engines", "sort": "name"}):
        r = await api.as_(a).get(
            f"/v1/members/{a}/connections", params={**params, "cursor": cursor}
        )
        problem(r, 422, "invalid_cursor")
    r = await api.as_(a).get(
        f"/v1/members/{a}/connections", params={"tag": "Engines", "cursor": cursor}
    )
    assert r.status_code == 200  # the same tag, however written


async def test_tag_filter_on_another_members_list_uses_my_tags(api: Api) -> None:
    a, b, c, d, e = await api.members(5)
    for x in (b, c, d):
        await api.connect(a, x)
    await api.connect(b, c)
    await api.connect(b, d)
    await api.connect(b, e)  # e: b's connection, not a's
    await put_tags(api, a, c, ["friend"])
    await put_tags(api, a, b, ["friend"])
    await put_tags(api, b, e, ["friend"])  # b's tag means nothing on a's view
    await put_tags(api, b, d, ["friend"])
    for sort in ("recent", "name"):
        assert await listed(api, a, b, tag="friend", sort=sort) == [c]
        assert sorted(await listed(api, b, b, tag="friend", sort=sort)) == sorted([d, e])
        assert await listed(api, c, b, tag="friend", sort=sort) == []


# --- privacy --------------------------------------------------------------------------------


async def test_nobody_else_sees_notes_or_tags(api: Api) -> None:
    a, b, c = await api.members(3)
    await api.connect(a, b)
    await api.connect(a, c)
    await api.connect(b, c)
    assert (
        await api.as_(a).put(f"/v1/notes/{b}", json={"body": "secret-note", "how_we_met": "x"})
    ).status_code == 201
    await put_tags(api, a, b, ["secret-tag"])
    # b and c, each connected to both, see nothing of a's note and tags.
    for viewer in (b, c):
        mine = problem(
            await api.as_(viewer).get(f"/v1/notes/{b if viewer == c else a}"), 404, "not_found"
        )
        assert mine["detail"] == "You have no note on this member."
        assert (await api.as_(viewer).get("/v1/tags")).json() == {"items": []}
        assert await tags_of(api, viewer, a) == []
        assert await listed(api, viewer, a, tag="secret-tag") == []
        text = json.dumps(
            [
                (await api.as_(viewer).get(url)).json()
                for url in (
                    f"/v1/members/{a}/connections",
                    f"/v1/members/{a}",
                    "/v1/me",
                    "/v1/events",
                )
            ]
        )
        assert "secret" not in text
    # Nothing of it in anybody's event feed, a's included.
    rows = await api.sql("SELECT type, data::text FROM events")
    assert all("secret" not in data and "note" not in t and "tag" not in t for t, data in rows)
    everything = (await api.admin.get("/v1/events", params={"all": "true", "limit": 100})).json()
    assert "secret" not in json.dumps(everything)


# --- the connection's end takes notes and tags with it --------------------------------------


async def test_removing_the_connection_removes_notes_and_tags_both_ways(api: Api) -> None:
    a, b, c = await api.members(3)
    await api.connect(a, b)
    await api.connect(a, c)
    for author, member in ((a, b), (b, a), (a, c)):
        r = await api.as_(author).put(f"/v1/notes/{member}", json={"body": "n"})
        assert r.status_code == 201
        await put_tags(api, author, member, ["t"])
    assert (await api.as_(b).delete(f"/v1/connections/{a}")).status_code == 204
    rows = await api.sql("SELECT author_id, member_id FROM notes")
    assert rows == [(a, c)]
    rows = await api.sql("SELECT author_id, member_id FROM connection_tags")
    assert rows == [(a, c)]
    problem(await api.as_(a).get(f"/v1/notes/{b}"), 404, "not_found")
    problem(await api.as_(a).get(f"/v1/tags/{b}"), 404, "not_found")
    assert (await api.as_(a).get("/v1/tags")).json()["items"] == [{"tag": "t", "count": 1}]
    # Connected again: a fresh start, nothing of the old note.
    await api.connect(b, a)
    problem(await api.as_(a).get(f"/v1/notes/{b}"), 404, "not_found")
    assert await tags_of(api, a, b) == []
    await api.assert_consistent()


async def test_note_and_tag_writes_racing_removal_never_fail_or_orphan(api: Api) -> None:
    """Writers against the removal of their connection, again and again: each write either
    lands before the removal (and goes with it) or finds no connection (404)."""
    a, b = await api.members(2)
    seen: Counter[int] = Counter()
    for round_ in range(15):
        await api.connect(a, b)
        writes = []
        for n in range(6):
            writes.append(api.as_(a).put(f"/v1/notes/{b}", json={"body": f"r{round_} {n}"}))
            writes.append(api.as_(b).put(f"/v1/tags/{a}", json={"tags": [f"r{round_}", str(n)]}))
            writes.append(api.as_(b).delete(f"/v1/notes/{a}"))
        remover = api.as_(a if round_ % 2 else b).delete(
            f"/v1/connections/{b if round_ % 2 else a}"
        )
        results = await asyncio.gather(remover, *writes)
        assert results[0].status_code == 204, results[0].text
        for r in results[1:]:
            seen[r.status_code] += 1
            assert r.status_code in (200, 201, 204, 404), r.text
            if r.status_code == 404:
                problem(r, 404, "not_found")
        orphans = await api.sql(
            """SELECT 'note', author_id, member_id FROM notes
               UNION ALL SELECT 'tag', author_id, member_id FROM connection_tags"""
        )
        assert orphans == []
    assert seen[404] > 0  # the race was real: some writes came after the removal
    await api.assert_consistent()


async def test_note_writes_racing_block_and_erasure(api: Api) -> None:
    a, b, c = await api.members(3)
    await api.connect(a, b)
    await api.connect(a, c)
    writes = [api.as_(a).put(f"/v1/notes/{b}", json={"body": str(n)}) for n in range(10)]
    writes += [api.as_(a).put(f"/v1/tags/{c}", json={"tags": [str(n)]}) for n in range(10)]
    results = await asyncio.gather(
        api.as_(b).put(f"/v1/blocks/{a}"), api.admin.delete(f"/v1/members/{c}"), *writes
    )
    assert results[0].status_code == 201, results[0].text
    assert results[1].status_code == 204, results[1].text
    assert {r.status_code for r in results[2:]} <= {200, 201, 404}
    assert (
        await api.sql("SELECT author_id FROM notes UNION ALL SELECT author_id FROM connection_tags")
        == []
    )
    await api.assert_consistent()


async def test_tags_that_look_the_same_are_one_tag(api: Api) -> None:
    """`London`, full-width `LONDON` and `Lon<ZWSP>don` are one tag, in a `PUT`, across
    connections and in `?tag=`; a tag of nothing visible is `tag_empty`."""
    me, a, b = await api.members(3)
    await api.connect(me, a)
    await api.connect(me, b)
    full_width = "\uff2c\uff2f\uff2e\uff24\uff2f\uff2e"
    assert await put_tags(api, me, a, ["London", full_width, "Lon\u200bdon"]) == ["London"]
    assert await put_tags(api, me, b, ["lon\u200bdon"]) == ["London"]  # the spelling in use
    r = await api.as_(me).get("/v1/tags")
    assert r.json()["items"] == [{"tag": "London", "count": 2}]
    for spelling in (full_width, "Lon\u200bdon", "\u202elondon", "LONDON"):
        assert sorted(await listed(api, me, me, tag=spelling)) == sorted([a, b]), spelling
    for blank in ("\u200b", "\u200b\u200b\u200b", " \u200e\u2066 "):
        r = await api.as_(me).put(f"/v1/tags/{a}", json={"tags": [blank]})
        problem(r, 422, "tag_empty")
        r = await api.as_(me).get(f"/v1/members/{me}/connections", params={"tag": blank})
        problem(r, 422, "tag_empty")
    assert await tags_of(api, me, a) == ["London"]


@pytest.mark.parametrize(
    "body", ["\u200b\u200b\u200b", "\u200e\u200f", " \ufeff\n\u2060 ", "\u202a\u202e\u2066"]
)
async def test_a_note_of_nothing_visible_is_blank(api: Api, body: str) -> None:
    me, other = await api.members(2)
    await api.connect(me, other)
    r = await api.as_(me).put(f"/v1/notes/{other}", json={"body": body})
    problem(r, 422, "validation_error")
    r = await api.as_(me).put(f"/v1/notes/{other}", json={"body": "\u200bhi"})
    assert r.status_code == 201, r.text
    assert r.json()["body"] == "\u200bhi"  # stored as given
