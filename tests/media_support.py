"""The media a local server serves for sends by URL (the `media_server` fixture of tests/conftest.py).

A module of its own: importing tests/conftest.py from a test would run it a second time (a new
data directory, new settings) under another module name.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

MEDIA_BYTES = b"\x00\x00\x00\x18ftypmp42" + bytes(1000)  # what /clip.mp4 serves


async def media_route(request: Request) -> Response:
    if request.url.path == "/clip.mp4":
        return Response(MEDIA_BYTES, media_type="video/mp4")
    if request.url.path == "/moved":
        return RedirectResponse("/clip.mp4", status_code=302)
    if request.url.path == "/huge":  # 17 MB streamed with no Content-Length: the cap must count
        return StreamingResponse((bytes(1024 * 1024) for _ in range(17)), media_type="video/mp4")
    return Response("gone", status_code=404)
