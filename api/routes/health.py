"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from domain.db import ping

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, str]:
    ping(session)
    return {"status": "ok"}
