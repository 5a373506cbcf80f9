"""`GET /embed.js` (the widget loader customers put on their pages) and `GET /widget-bridge.js` (the
`/widget` page's half of the loader's protocol), and `GET /vapi-web.js` (@vapi-ai/web, loaded by /widget
when a visitor starts a voice call), built from embed_widget/ by `make embed`.

The loader's URL is fixed in customers' pages, so it cannot be versioned: an hour fresh, then a week
served from cache while the browser revalidates in the background (ETag → 304), so a fix reaches
every visitor within a visit or two without a blocking request on their pages.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request, Response

from livchat.core.logging import get_logger

log = get_logger("embed")

DIST = Path(__file__).resolve().parents[2] / "embed_widget" / "dist"
SCRIPTS = {"/embed.js": "embed.js", "/widget-bridge.js": "widget-bridge.js", "/vapi-web.js": "vapi-web.js"}
CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=604800"
MEDIA_TYPE = "text/javascript; charset=utf-8"


@dataclass(frozen=True)
class BuiltScript:
    body: bytes
    gzipped: bytes
    etag: str  # of `body`; the gzipped representation's is `etag` with a `-gz` suffix inside the quotes
    stamp: tuple[int, int]  # (mtime_ns, size) of the file it was read from


_loaded: dict[str, BuiltScript] = {}


def built_script(name: str) -> BuiltScript | None:
    """The built file, read again only when `make embed` rewrote it; None when it was never built."""
    path = DIST / name
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(name)
    if cached is None or cached.stamp != stamp:
        body = path.read_bytes()
        cached = BuiltScript(body=body, gzipped=gzip.compress(body, compresslevel=9, mtime=0),
                             etag=f'"{hashlib.sha256(body).hexdigest()[:20]}"', stamp=stamp)
        _loaded[name] = cached
    return cached


def versioned_path(path: str) -> str:
    """`/widget-bridge.js?v=<hash>` for our own pages, so a deploy changes the URL they load."""
    script = built_script(SCRIPTS[path])
    if script is None:
        return path
    version = script.etag.strip('"')
    return f"{path}?v={version}"


def _accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.lower().split(","):
        coding, *params = (piece.strip() for piece in part.split(";"))
        if coding == "gzip":
            quality = next((param[2:] for param in params if param.startswith("q=")), "1")
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison: `*`, or any listed tag equal to ours with or without `W/`."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _serve(name: str, request: Request) -> Response:
    script = built_script(name)
    if script is None:
        log.error("embed script missing", extra={"file": str(DIST / name), "fix": "make embed"})
        return Response(f"/* {name} is not built: run `make embed` */\n", status_code=503, media_type=MEDIA_TYPE,
                        headers={"Cache-Control": "no-store"})
    gzipped = _accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = script.etag[:-1] + '-gz"' if gzipped else script.etag
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": etag,
        "Vary": "Accept-Encoding",
        # Loaded by <script> tags on every customer's site, including ones that send COEP.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(script.gzipped if gzipped else script.body, media_type=MEDIA_TYPE, headers=headers)


def _route(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        return _serve(name, request)

    return serve


def install(app: FastAPI) -> None:
    for path, name in SCRIPTS.items():
        app.add_api_route(path, _route(name), methods=["GET", "HEAD"], include_in_schema=False)
