"""`/embed.js` from the production build, on a page of another site (a second server on
127.0.0.1; the app is http://localhost:PORT), in Chromium as it ships (storage partitioned,
third-party cookies blocked). The message protocol itself: test_embed_protocol.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Route as InterceptedRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from livchat.sandbox.testing import serve_in_thread
from tests.browser.chromium import close_context
from tests.polling import eventually_sync

pytestmark = pytest.mark.browser

ORG = "org_embedtest"
# Runs first in every frame: collects CSP violations, and the window's own properties before any
# script of the page, to find the globals the loader adds.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => __violations.push(e.violatedDirective + ' ' + e.blockedURI));
window.__globals = Object.getOwnPropertyNames(window);
"""
HOST_CSS = """
#under { position: fixed; left: 150px; top: 300px; }
#box { width: 100vw; height: 100vh; border: 0; }
body { margin: 0; }
"""


def _host_site(app: str) -> Starlette:
    snippet = f'src="{app}/embed.js" data-organization-id="{ORG}"'

    def strict(request: Request) -> HTMLResponse:
        # The loader twice (in <head>, then async in <body>), on a page of a strict CSP.
        return HTMLResponse(f"""<!doctype html><html lang="pt-BR"><head><title>host</title>
<link rel="stylesheet" href="/host.css">
<script {snippet} data-position="bottom-left" data-color="#fde047"></script></head>
<body><button id="under">Ação do site</button><p id="clicks">0</p><script src="/counter.js"></script>
<script {snippet} data-position="bottom-left" data-color="#fde047" async></script>
</body></html>""", headers={"Content-Security-Policy": f"default-src 'self'; script-src 'self' {app}; "
                                                       f"frame-src {app}; style-src 'self'; img-src 'self'; "
                                                       "require-trusted-types-for 'script'"})

    def counter(request: Request) -> Response:  # the host's own click handler, as a CSP-allowed script
        return Response("document.getElementById('under').addEventListener('click', () => {"
                        " const p = document.getElementById('clicks'); p.textContent = +p.textContent + 1; });",
                        media_type="text/javascript")

    def sandboxed(request: Request) -> HTMLResponse:
        return HTMLResponse("""<!doctype html><title>sandboxed host</title><link rel="stylesheet" href="/host.css">
<iframe id="box" src="/inner" sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"></iframe>""")

    def inner(request: Request) -> HTMLResponse:
        return HTMLResponse(f"""<!doctype html><html lang="en"><title>inner</title>
<body><p>a page in a sandboxed frame</p><script {snippet} async></script></body></html>""")

    return Starlette(routes=[
        Route("/strict", strict), Route("/counter.js", counter), Route("/sandboxed", sandboxed),
        Route("/inner", inner), Route("/host.css", lambda request: Response(HOST_CSS, media_type="text/css")),
    ])


@pytest.fixture(scope="module")
def host_site(live_app: str) -> Iterator[str]:
    with serve_in_thread(_host_site(live_app)) as base:
        yield base


@pytest.fixture
def shipping_page(shipping_browser: Browser) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A page in Chromium as shipped; the uncaught errors and the CSP console messages of its frames."""
    context = shipping_browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    csp: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: csp.append(message.text) if "Content Security Policy" in message.text else None)
    yield page, errors, csp
    close_context(context)


def _contrast(foreground: str, background: str) -> float:
    def luminance(css_color: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", css_color)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_launcher_on_a_strict_csp_page_of_another_site(live_app: str, host_site: str,
                                                           shipping_page: tuple[Page, list[str], list[str]]) -> None:
    page, errors, csp = shipping_page
    page.goto(f"{host_site}/strict")
    launcher = page.get_by_role("button", name="Abrir chat")  # the page's language (lang="pt-BR")
    expect(launcher).to_have_count(1)  # two script tags, one launcher
    assert page.evaluate("""() => Object.getOwnPropertyNames(window)
        .filter((name) => !__globals.includes(name) && !name.startsWith('__'))""") == ["LivChat"]
    assert page.evaluate("Object.keys(LivChat).sort()") == ["close", "onUnread", "open", "toggle"]

    # Styled through the CSSOM, which the page's style-src (no 'unsafe-inline') allows.
    style = launcher.evaluate("""(b) => { const s = getComputedStyle(b);
        return {position: s.position, left: s.left, bottom: s.bottom, color: s.color, background: s.backgroundColor}; }""")
    assert (style["position"], style["left"], style["bottom"]) == ("fixed", "20px", "20px")
    assert style["background"] == "rgb(253, 224, 71)"
    assert _contrast(style["color"], style["background"]) >= 4.5  # a light colour gets a dark icon

    # Keyboard: reachable with Tab after the page's own button, a visible focus ring, Enter opens.
    page.locator("#under").focus()
    page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    assert launcher.evaluate("(b) => getComputedStyle(b).outlineStyle") != "none"
    # The widget's page is held back (answered only after the click below), so the widget cannot
    # say it is ready first: a fast machine made that race fail 1 run in many.
    held: list[InterceptedRequest] = []
    page.route(re.compile(r"/widget\?"), lambda route: route.continue_() if held else held.append(route))
    page.keyboard.press("Enter")
    widget = page.locator("iframe[title=Chat]")
    expect(widget).to_have_count(1)
    assert widget.get_attribute("src") == f"{live_app}/widget?organizationId={ORG}&locale=pt-BR&position=bottom-left"
    expect(page.get_by_role("button", name="Fechar chat")).to_have_attribute("aria-expanded", "true")

    # Until the widget says it is ready, its frame takes no clicks: the page's button beneath it
    # still works (a stuck, invisible widget must not block the page).
    box = page.locator("#under").bounding_box()
    frame_box = widget.bounding_box()
    assert box and frame_box and frame_box["x"] <= box["x"] and frame_box["y"] <= box["y"] <= frame_box["y"] + frame_box["height"]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#clicks")).to_have_text("1")
    # Each page.evaluate is a round trip, in which Playwright hands over the held request.
    eventually_sync(lambda: page.evaluate("0") == 0 and held, what="the widget's page requested")
    held[0].continue_()
    expect(widget).to_have_css("visibility", "visible")  # ready now: it shows, and takes the clicks

    assert page.evaluate("__violations") == []
    assert csp == [] and errors == []
    # The watch sees a violation when there is one: an inline style attribute is refused here.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    # Polled through page.evaluate (the DevTools protocol, outside the page's CSP): wait_for_function
    # builds its predicate inside the page, which this page's trusted-types CSP may refuse.
    eventually_sync(lambda: page.evaluate("__violations.some((v) => v.startsWith('style-src'))"),
                    what="a style-src violation reported")


def test_a_widget_that_never_says_ready_opens_in_a_new_tab(live_app: str, host_site: str,
                                                           shipping_page: tuple[Page, list[str], list[str]]) -> None:
    """A page in a sandboxed frame (no storage; the widget frame inherits the sandbox and its
    opaque origin): the widget never becomes ready, so the chat opens at top level instead."""
    page, errors, _ = shipping_page
    page.goto(f"{host_site}/sandboxed")
    inner = page.frame_locator("#box")
    launcher = inner.get_by_role("button", name="Open chat")
    launcher.click()
    widget = inner.locator("iframe[title=Chat]")
    expect(widget).to_have_count(1)
    assert widget.evaluate("(f) => getComputedStyle(f).visibility") == "hidden"
    expect(widget).to_have_count(0, timeout=12_000)  # given up on: removed, nothing left over the page
    expect(inner.get_by_role("button", name="Open chat")).to_have_attribute("aria-expanded", "false")
    with page.context.expect_page() as new_tab:
        launcher.click()
    # /widget answers with a redirect to /widget/ (the prod build's page is a folder): either is the chat.
    assert new_tab.value.url in {f"{live_app}/widget?organizationId={ORG}&locale=en",
                                 f"{live_app}/widget/?organizationId={ORG}&locale=en"}
    assert errors == []  # storage that throws in the sandboxed page is handled
