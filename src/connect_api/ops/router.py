"""Liveness and readiness, and `/` (to the interactive docs)."""

from __future__ import annotations

import dataclasses
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from connect_api.graph import feed as graph_feed
from connect_api.kit.database import Database
from connect_api.kit.deps import Ctx
from connect_api.kit.readings import SharedReading
from connect_api.kit.replicas import State
from connect_api.kit.schema import schema_revisions
from connect_api.kit.supervisor import Supervisor

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


class ReplicaHealth(BaseModel):
    """What the last check of one read replica found."""

    replica: int = Field(description="Its place in `CONNECT_API_READ_DATABASE_URL`, from 1.")
    state: State = Field(
        description="`ok`: reads go to it; `lagging`: further behind the primary than "
        "`CONNECT_API_REPLICA_MAX_LAG_SECONDS`; `down`: it did not answer; `not_a_replica`: "
        "it is not in recovery. Reads skip it unless `ok`."
    )
    lag_seconds: float | None = Field(
        description="Since when the primary has held a change the replica has not replayed "
        "(0: it had replayed everything at the last check)."
    )
    replay_lsn: str | None = Field(description="The last WAL position it had replayed.")
    detail: str | None = None


class GraphHealth(BaseModel):
    """The process's graph read model (`CONNECT_API_GRAPH_READ_MODEL=memory`)."""

    state: Literal["loading", "ok", "behind"] = Field(
        description="`loading`: not loaded yet; `ok`: graph answers come from it; `behind`: it "
        "could not catch up for `CONNECT_API_GRAPH_MAX_LAG_SECONDS`. Until `ok`, graph answers "
        "come from SQL: it never makes the instance unready."
    )
    position: str | None = Field(
        description="A WAL position: every commit whose `Connect-Read-After` is before it is in "
        "the model."
    )
    lag_seconds: float | None = Field(description="Since it last caught up with the outbox.")
    connections: int = Field(description="Connections it holds (each once).")
    bytes: int = Field(description="Memory its arrays take.")
    loads: int = Field(description="Whole loads since start (the first, and each rebuild).")
    load_seconds: float | None = Field(description="How long the last whole load took.")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None
    replicas: list[ReplicaHealth] | None = Field(
        None,
        description="With read replicas: each one's state and lag. A replica that is down or "
        "lagging is skipped (its reads go to the primary) and does not make the instance "
        "unready.",
    )
    graph: GraphHealth | None = Field(
        None, description="With the graph read model on: its state, position, lag and size."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"status": "ok", "detail": None},
                {
                    "status": "ok",
                    "detail": None,
                    "replicas": [
                        {
                            "replica": 1,
                            "state": "ok",
                            "lag_seconds": 0.0,
                            "replay_lsn": "0/5A1C2B8",
                            "detail": None,
                        }
                    ],
                },
            ]
        }
    }


def _answer(health: Health, status: int = 200) -> JSONResponse:
    """The body as documented; `replicas` only when the service has read replicas, `graph`
    only with the graph read model."""
    left_out = {name for name in ("replicas", "graph") if getattr(health, name) is None}
    body = health.model_dump(mode="json", exclude=left_out or None)
    return JSONResponse(body, status)


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    """A browser opening the service's address lands on the interactive docs."""
    return RedirectResponse("/docs", status_code=307)


def _supervisor(request: Request) -> Supervisor | None:
    ctx = getattr(request.app.state, "ctx", None)
    supervisor: Supervisor | None = getattr(ctx, "supervisor", None)
    return supervisor


@router.get(
    "/healthz",
    summary="Liveness: the process answers (and its embedded database could be kept running)",
    description="For a process supervisor or an orchestrator's liveness probe: `200` while the "
    "process can serve, even with its database briefly away (requests answer `503` then, and "
    "`/readyz` says so). `503` only when the embedded PostgreSQL could not be restarted: "
    "restart the process. No token.",
    response_model=Health,
    responses={503: {"model": Health, "description": "The embedded database is gone for good."}},
)
async def healthz(request: Request) -> JSONResponse:
    supervisor = _supervisor(request)
    if supervisor is not None and supervisor.state == "failed":
        return _answer(
            Health(status="unavailable", detail="embedded database could not be restarted"), 503
        )
    return _answer(Health(status="ok"))


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is at head",
    description="For a load balancer: `200` when requests can be served; `503` with a `detail` "
    "(`shutting down`, `database restarting`, `database unreachable`, `schema not at head`) "
    "while they cannot: take the instance out of rotation until it answers `200` again. The "
    "database is asked at most once a second, however many probes come. With "
    "read replicas, `replicas` gives each one's state and lag (one that is down or lagging is "
    "skipped, and does not make the instance unready). No token.",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready to serve."}},
)
async def readyz(ctx: Ctx, request: Request) -> JSONResponse:
    replicas = ctx.db.replicas
    shown = [ReplicaHealth.model_validate(r) for r in replicas.report()] if replicas else None

    feed = graph_feed.of(ctx)
    graph = GraphHealth(**dataclasses.asdict(feed.status())) if feed is not None else None

    def unready(detail: str) -> JSONResponse:
        return _answer(
            Health(status="unavailable", detail=detail, replicas=shown, graph=graph), 503
        )

    if getattr(request.app.state, "draining", False):
        return unready("shutting down")
    supervisor = _supervisor(request)
    if supervisor is not None and supervisor.state != "up":
        return unready(
            "database restarting" if supervisor.state == "restarting" else "database gone"
        )
    problem = await _schema_check(request, ctx.db).get()
    if problem is not None:
        return unready(problem)
    return _answer(Health(status="ok", replicas=shown, graph=graph))


def _schema_check(request: Request, db: Database) -> SharedReading[str | None]:
    """Whether the database answers with its schema at head (``None``) or what is wrong: read
    at most once a second for all the probes of this process, so that a flood of them costs
    the database nothing more."""
    shared: SharedReading[str | None] | None = getattr(request.app.state, "schema_check", None)
    if shared is None or shared.source is not db:

        async def read() -> str | None:
            # Twice: after the database restarted, the first try may take a pooled connection
            # the server dropped; its failure empties the pool, and the second connects anew.
            for attempt in (1, 2):
                try:
                    current, head = await schema_revisions(db.engine)
                except Exception:  # any failure to reach the database means "not ready"
                    log.debug("readiness: the database did not answer (try %d)", attempt)
                    continue
                return None if current == head else "schema not at head"
            return "database unreachable"

        shared = SharedReading(db, read)
        request.app.state.schema_check = shared
    return shared
