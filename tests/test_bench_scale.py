"""The load harness's own references: the floor's answers (the CSR the service is checked
against) and the HTTP client that drives the service. No database."""

from __future__ import annotations

import asyncio
import random
from collections import deque

import numpy as np
from bench.scale.client import Client, open_loop
from bench.scale.network import Graph


def _bfs(adjacency: dict[int, set[int]], start: int, depth: int = 3) -> dict[int, int]:
    seen = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if seen[node] == depth:
            continue
        for other in adjacency[node]:
            if other not in seen:
                seen[other] = seen[node] + 1
                queue.append(other)
    return seen


def test_floor_answers_equal_a_breadth_first_search() -> None:
    rng = random.Random(7)
    n = 300
    edges = set()
    while len(edges) < 700:
        a, b = rng.randrange(1, n), rng.randrange(1, n)
        if a != b:
            edges.add((min(a, b), max(a, b)))
    # A hub and an island, so every degree and "none" occur.
    edges |= {(1, b) for b in range(2, 120)}
    edges = {e for e in edges if n - 3 not in e and n - 2 not in e} | {(n - 3, n - 2)}
    adjacency: dict[int, set[int]] = {m: set() for m in range(n)}
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    both = [*edges, *((b, a) for a, b in edges)]
    graph = Graph.from_pairs(
        np.array([a for a, _ in both], dtype=np.int64),
        np.array([b for _, b in both], dtype=np.int64),
        max_id=n,
    )
    seen_degrees = set()
    for v in range(1, n, 7):
        bfs = _bfs(adjacency, v)
        dist = graph.distances(v)
        for t in range(1, n + 1):
            if t == v:
                continue
            expected = bfs.get(t) if t in adjacency else None
            mutual = len(adjacency[v] & adjacency.get(t, set()))
            assert graph.answer(v, t) == (expected, mutual), (v, t)
            assert int(dist[t]) == (expected if expected is not None else -1)
            seen_degrees.add(expected)
    assert seen_degrees == {1, 2, 3, None}


async def _server(responses: list[bytes]) -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for body in responses:
            try:
                await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            writer.write(body)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_client_reads_length_and_chunked_bodies_on_one_connection() -> None:
    server, port = await _server(
        [
            b'HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{"ok":true}',
            b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n"
            b"4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ]
    )
    async with server:
        client = Client("127.0.0.1", port)
        first = await client.request("GET", "/a", token="t")
        second = await client.request("POST", "/b", body={"x": 1})
        third = await client.request("GET", "/c")
        await client.close()
    assert (first.status, first.json()) == (200, {"ok": True})
    assert (second.status, second.body) == (404, b"abcdefg")
    assert (third.status, third.body) == (204, b"")


async def test_open_loop_counts_a_request_nobody_answers_as_a_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers; the client gives up

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        client = Client("127.0.0.1", port)
        result = await open_loop(client, [client.raw("GET", "/")], 20, 0.1, give_up=0.2)
        await client.close()
        server.close()
    assert result.statuses == {"timeout": 2}
    assert result.ok == 0
    assert result.latencies == [0.2, 0.2]


def test_floor_second_degree_ranks_like_a_count() -> None:
    from bench.scale.harness import floor_second_degree

    rng = random.Random(3)
    n = 200
    edges = {(1, b) for b in range(2, 60)}
    while len(edges) < 600:
        a, b = rng.randrange(1, n), rng.randrange(1, n)
        if a != b:
            edges.add((min(a, b), max(a, b)))
    adjacency: dict[int, set[int]] = {m: set() for m in range(n)}
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    both = [*edges, *((b, a) for a, b in edges)]
    graph = Graph.from_pairs(
        np.array([a for a, _ in both], dtype=np.int64),
        np.array([b for _, b in both], dtype=np.int64),
        max_id=n,
    )
    for v in range(1, n, 9):
        counts = {
            t: len(adjacency[v] & adjacency[t])
            for t in range(n)
            if t != v and t not in adjacency[v] and adjacency[v] & adjacency[t]
        }
        ranked = sorted(counts.items(), key=lambda p: (-p[1], p[0]))
        assert floor_second_degree(graph, v, 20) == (ranked[:20], len(counts)), v


def test_floor_mutual_pages_are_the_intersection_in_name_order() -> None:
    from bench.scale.harness import floor_mutual_page

    rng = random.Random(11)
    n = 300
    adjacency: dict[int, set[int]] = {v: set() for v in range(1, n + 1)}
    for _ in range(4_000):
        a, b = rng.randrange(1, n + 1), rng.randrange(1, n + 1)
        if a != b:
            adjacency[a].add(b)
            adjacency[b].add(a)
    pairs = [(a, b) for a, others in adjacency.items() for b in others]
    graph = Graph.from_pairs(
        np.array([a for a, _ in pairs], dtype=np.int64),
        np.array([b for _, b in pairs], dtype=np.int64),
    )
    names = {v: rng.choice("abc") for v in adjacency}  # many ties: id decides
    order = sorted(adjacency, key=lambda v: (names[v], v))
    place = np.full(graph.size, np.iinfo(np.int64).max, dtype=np.int64)
    place[np.array(order)] = np.arange(len(order))
    for v in range(1, 40):
        for t in range(40, 80):
            both = sorted(adjacency[v] & adjacency[t], key=lambda m: (names[m], m))
            assert floor_mutual_page(graph, place, v, t, 5) == (len(both), both[:5])


def test_the_graph_model_answers_like_the_floor() -> None:
    """The harness's in-process answer from connect_api.graph.model (degree and mutual count)
    equals the floor's on every pair, every degree and none included."""
    from bench.scale.readmodel import model_answer

    from connect_api.graph.model import Graph as ModelGraph

    rng = random.Random(5)
    n = 250
    edges = {(1, b) for b in range(2, 80)}
    while len(edges) < 500:
        a, b = rng.randrange(1, n - 5), rng.randrange(1, n - 5)
        if a != b:
            edges.add((min(a, b), max(a, b)))
    edges.add((n - 2, n - 1))  # an island
    both = [*edges, *((b, a) for a, b in edges)]
    floor = Graph.from_pairs(
        np.array([a for a, _ in both], dtype=np.int64),
        np.array([b for _, b in both], dtype=np.int64),
        max_id=n,
    )
    none = np.zeros(0, dtype=np.int64)
    model = ModelGraph(np.array(sorted(edges), dtype=np.int64).ravel(), none, none)
    seen = set()
    for v in range(1, n, 11):
        for t in range(1, n + 1):
            if t != v:
                expected = floor.answer(v, t)
                assert model_answer(model, v, t) == expected, (v, t)
                seen.add(expected[0])
    assert seen == {1, 2, 3, None}


def test_the_server_side_of_a_connection_is_found_in_the_tcp_table() -> None:
    from bench.scale.readmodel import socket_inode

    table = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
        "        0 1111 1 0000000000000000 100 0 0 10 0\n"
        "   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0"
        "        0 2222 1 0000000000000000 20 4 30 10 -1\n"
        "   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0"
        "        0 3333 1 0000000000000000 20 4 30 10 -1\n"
    )
    assert socket_inode(table, 8080, 0xD431) == "3333"  # not the client's own side (2222)
    assert socket_inode(table, 8080, 0xD432) is None


def test_graph_answers_are_read_from_the_metrics_and_counted_per_worker() -> None:
    from bench.scale.readmodel import answered, graph_answers

    text = (
        "# HELP connect_api_graph_answers_total Graph answers\n"
        "# TYPE connect_api_graph_answers_total counter\n"
        'connect_api_graph_answers_total{source="memory"} 120.0\n'
        'connect_api_graph_answers_total{source="sql"} 3.0\n'
        'connect_api_graph_answers_created{source="memory"} 1.7e9\n'
    )
    assert graph_answers(text) == {"memory": 120.0, "sql": 3.0}
    before = {1: {"memory": 100.0, "sql": 3.0}, 2: {"memory": 5.0, "sql": 0.0}}
    after = {
        1: {"memory": 120.0, "sql": 3.0},
        2: {"memory": 9.0, "sql": 2.0},
        3: {"memory": 1.0, "sql": 0.0},
    }
    assert answered(before, after) == (24.0, 2.0, 2)  # a worker not seen before is left out
