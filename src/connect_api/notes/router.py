"""HTTP for notes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["notes"])
