"""Sends with media given by URL: the sandbox fetches it as WuzAPI does (per-kind caps, any 2xx,
redirects followed, every hop's address checked, one deadline) and refuses with WuzAPI's texts;
the client raises SendRejected and the service maps it to a client error, not a gateway outage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route

from livchat.integrations import wuzapi
from livchat.integrations.wuzapi import WuzapiClient
from livchat.sandbox.app import standalone_app
from livchat.sandbox.engine import Sandbox
from livchat.sandbox.testing import serve_in_thread
from livchat.services import errors
from livchat.services.whatsapp.gateway import service_error

TO = "5511912345678"


def linked(sandbox: Sandbox, token: str = "tok") -> None:
    user = sandbox.connect(sandbox.create_user({"name": "shop", "token": token}), [])
    sandbox.link(qr=sandbox.view(user).qr)


@pytest.fixture
def gateway(make_sandbox):  # type: ignore[no-untyped-def]
    """`for client, sandbox in gateway(**config):` a client on a served, linked sandbox."""

    def serve(**config: object) -> Iterator[tuple[WuzapiClient, Sandbox]]:
        sandbox = make_sandbox(**config)
        linked(sandbox)
        with serve_in_thread(standalone_app(sandbox)) as base:
            yield WuzapiClient(base, sandbox.config.admin_token), sandbox

    return serve


async def rejected(call) -> wuzapi.SendRejected:  # type: ignore[no-untyped-def]
    with pytest.raises(wuzapi.SendRejected) as raised:
        await call
    assert raised.value.status == 400
    return raised.value


async def test_fetch_failures_use_wuzapis_texts_per_kind(gateway, media_server: str) -> None:  # type: ignore[no-untyped-def]
    for client, sandbox in gateway():
        async with client:
            missing = media_server + "/nope"
            texts = [
                (await rejected(client.send_image("tok", TO, missing))).message,
                (await rejected(client.send_audio("tok", TO, missing))).message,
                (await rejected(client.send_video("tok", TO, missing))).message,
                (await rejected(client.send_document("tok", TO, missing, "a.pdf"))).message,
            ]
            assert texts == ["failed to fetch image from url: unexpected status code 404",
                             "failed to fetch audio: unexpected status code 404",
                             "failed to fetch video from url: unexpected status code 404",
                             "failed to fetch document from url: unexpected status code 404"]
            # 17 MB streamed without Content-Length: over an image's 16 MB cap, under a video's 100 MB.
            huge = await rejected(client.send_image("tok", TO, media_server + "/huge"))
            assert huge.message == "failed to fetch image from url: response exceeds allowed size (16777216 bytes)"
            video = await client.send_video("tok", TO, media_server + "/huge")
            assert sandbox.store.message(video.message_id, "out").content["size"] == 17 * 1024 * 1024
            moved = await client.send_video("tok", TO, media_server + "/moved")  # redirect followed
            assert sandbox.store.message(moved.message_id, "out").content["mimeType"] == "video/mp4"
            assert [m.kind for m in sandbox.outbox(sandbox.find_session(token="tok"))] == ["video", "video"]

            mapped = service_error(huge)
            assert isinstance(mapped, errors.MediaUnreachable) and mapped.status == 422
            assert (mapped.code, mapped.detail) == ("media_unreachable", huge.message)


async def test_private_addresses_are_refused_at_every_hop(gateway, media_server: str) -> None:  # type: ignore[no-untyped-def]
    for client, sandbox in gateway(allow_private_media=False):
        async with client:
            direct = await rejected(client.send_image("tok", TO, media_server + "/clip.mp4"))
            assert direct.message.startswith('failed to fetch image from url: Get "')
            assert "non-public address (127.0.0.1)" in direct.message
            # /moved answers 302 to another private URL: refused too (the server is on 127.0.0.1,
            # so the first hop already is; the pinned transport checks each connection it opens).
            redirected = await rejected(client.send_document("tok", TO, media_server + "/moved", "a.mp4"))
            assert "non-public address" in redirected.message
            unresolvable = await rejected(client.send_audio("tok", TO, "http://no-such-host.invalid/a.ogg"))
            assert unresolvable.message.startswith("failed to fetch audio: ")
            assert sandbox.outbox(sandbox.find_session(token="tok")) == []  # nothing was "sent"


@pytest.fixture
def slow_media() -> Iterator[str]:
    """A server that dribbles a byte every 0.1 s: each read is quick, the whole body is not."""

    async def dribble(request) -> StreamingResponse:  # type: ignore[no-untyped-def]
        async def body() -> AsyncIterator[bytes]:
            for _ in range(50):
                await asyncio.sleep(0.1)  # the server's pace, not a test synchronisation
                yield b"x"

        return StreamingResponse(body(), media_type="video/mp4")

    with serve_in_thread(Starlette(routes=[Route("/slow.mp4", dribble)])) as base:
        yield base + "/slow.mp4"


async def test_one_deadline_bounds_the_whole_fetch(gateway, slow_media: str) -> None:  # type: ignore[no-untyped-def]
    for client, _ in gateway(media_timeout_s=0.5):
        async with client:
            late = await rejected(client.send_video("tok", TO, slow_media))
            assert late.message == "failed to fetch video from url: context deadline exceeded"


async def test_other_send_refusals_are_client_errors(gateway) -> None:  # type: ignore[no-untyped-def]
    for client, _ in gateway():
        async with client:
            refused = await rejected(client.send_image("tok", TO, "AAAA"))
            mapped = service_error(refused)
            assert isinstance(mapped, errors.MessageRejected) and not isinstance(mapped, errors.MediaUnreachable)
            assert mapped.status == 422 and mapped.code == "message_rejected"
            assert 'Image data should start with "data:image/png;base64,"' in mapped.detail
            with pytest.raises(wuzapi.BadPhone):  # still its own, clearer error
                await client.send_text("tok", "@s.whatsapp.net", "x")
