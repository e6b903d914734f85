"""Liveness and readiness."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from connect_api.database import schema_revisions
from connect_api.deps import Ctx

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None


@router.get("/healthz", summary="Liveness: the process answers", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is at head",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready to serve."}},
)
async def readyz(ctx: Ctx, request: Request) -> Health | JSONResponse:
    if getattr(request.app.state, "draining", False):
        return JSONResponse(Health(status="unavailable", detail="shutting down").model_dump(), 503)
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
