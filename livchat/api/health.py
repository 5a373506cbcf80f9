from __future__ import annotations

from fastapi.responses import JSONResponse
from sqlalchemy import text

from livchat import __version__
from livchat.api.json_body import api_router
from livchat.core.db import db
from livchat.core.logging import get_logger

router = api_router(tags=["health"])
log = get_logger("health")


@router.head("/api/health", include_in_schema=False)  # load balancers probe with HEAD
@router.get("/api/health", summary="Liveness and database reachability")
async def health() -> JSONResponse:
    try:
        async with db.session() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        db_ok = True
    except Exception as exc:  # the point is to report it, not to raise
        log.error("health: database unreachable", exc_info=exc)
        db_ok = False
    body = {"status": "ok" if db_ok else "degraded", "db": db_ok, "version": __version__}
    return JSONResponse(body, status_code=200 if db_ok else 503)
