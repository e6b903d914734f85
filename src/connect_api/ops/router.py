"""Liveness and readiness, and `/` (to the interactive docs)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

from connect_api.database import schema_revisions
from connect_api.deps import Ctx
from connect_api.supervisor import Supervisor

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None


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
async def healthz(request: Request) -> Health | JSONResponse:
    supervisor = _supervisor(request)
    if supervisor is not None and supervisor.state == "failed":
        return JSONResponse(
            Health(
                status="unavailable", detail="embedded database could not be restarted"
            ).model_dump(),
            503,
        )
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is at head",
    description="For a load balancer: `200` when requests can be served; `503` with a `detail` "
    "(`shutting down`, `database restarting`, `database unreachable`, `schema not at head`) "
    "while they cannot: take the instance out of rotation until it answers `200` again. No "
    "token.",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready to serve."}},
)
async def readyz(ctx: Ctx, request: Request) -> Health | JSONResponse:
    if getattr(request.app.state, "draining", False):
        return JSONResponse(Health(status="unavailable", detail="shutting down").model_dump(), 503)
    supervisor = _supervisor(request)
    if supervisor is not None and supervisor.state != "up":
        detail = "database restarting" if supervisor.state == "restarting" else "database gone"
        return JSONResponse(Health(status="unavailable", detail=detail).model_dump(), 503)
    try:
        current, head = await schema_revisions(ctx.db.engine)
    except Exception:  # any failure to reach the database means "not ready"
        return JSONResponse(
            Health(status="unavailable", detail="database unreachable").model_dump(), 503
        )
    if current != head:
        return JSONResponse(
            Health(status="unavailable", detail="schema not at head").model_dump(), 503
        )
    return Health(status="ok")
