"""The loader ↔ widget postMessage protocol (embed_widget/README.md), against a stand-in widget page
that runs the real widget-bridge.js. One small server plays both sites: the host page on
http://127.0.0.1:P and the widget (embed.js, /widget) on http://localhost:P — two different sites,
so the widget is a cross-site iframe with partitioned storage, as on a customer's page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from livchat.sandbox.testing import serve_in_thread
from tests.browser.chromium import close_context

pytestmark = pytest.mark.browser

ORG = "org_protocol"
KEY = f"livchat:token:{ORG}"


def _pages(dist: Path) -> Starlette:
    def script(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("embed.js", "widget-bridge.js"):
            return Response(status_code=404)
        return FileResponse(dist / name, media_type="text/javascript")

    def host(request: Request) -> HTMLResponse:
        widget = f"http://localhost:{request.url.port}"
        return HTMLResponse(f"""<!doctype html><html lang="en"><head><title>host</title>
<script src="{widget}/embed.js" data-organization-id="{ORG}"></script></head><body>
<iframe id="other" src="{widget}/other" title="not the widget"></iframe>
<script>
  // After the loader's own listener: once a message shows up here, the loader has handled it.
  window.heard = []; addEventListener('message', (e) => heard.push(e.data && e.data.type));
  window.unreadSeen = []; LivChat.onUnread((n) => unreadSeen.push(n));
</script></body></html>""")

    def bare(request: Request) -> HTMLResponse:  # the widget framed without the loader
        widget = f"http://localhost:{request.url.port}"
        return HTMLResponse(f"""<!doctype html><title>bare</title>
<iframe id="other" src="{widget}/other?forge=1"></iframe>
<iframe id="w" src="{widget}/widget?organizationId={ORG}"></iframe>""")

    def widget(request: Request) -> HTMLResponse:  # the stand-in for the Reflex /widget page
        return HTMLResponse("""<!doctype html><title>stand-in widget</title>
<script src="/widget-bridge.js"></script>
<script>
  window.heard = []; addEventListener('message', (e) => heard.push(e.data && e.data.type));
  window.seen = []; LivChatWidget.onVisibility((visible) => seen.push(visible));
  // What the app gets, and which messages had arrived by then.
  window.settled = LivChatWidget.token().then((token) => ({token, heardBefore: heard.slice()}));
  postMessage({type: 'livchat:token', token: 'forged-by-itself'}, '*');  // not from the parent
</script><p>stand-in widget</p><input aria-label="message">""")

    def other(request: Request) -> HTMLResponse:
        forge = """<script>  // offers a token to the widget frame next to it while the widget waits for a loader
  let n = 0; const t = setInterval(() => {
    if (parent.frames[1]) parent.frames[1].postMessage({type: 'livchat:token', token: 'forged-by-other'}, '*');
    if (++n === 10) clearInterval(t);
  }, 50);</script>""" if request.query_params.get("forge") else ""
        return HTMLResponse(f"<!doctype html><title>other</title><p>another frame of the widget's site</p>{forge}")

    def elsewhere(request: Request) -> HTMLResponse:  # a page of another origin, in the loader's iframe
        return HTMLResponse("""<!doctype html><title>elsewhere</title><script>
  parent.postMessage({type: 'livchat:unread', count: 9}, '*');
  parent.postMessage({type: 'livchat:session', token: 'forged-by-another-origin'}, '*');
  parent.postMessage({type: 'livchat:close'}, '*');
</script>""")

    return Starlette(routes=[
        Route("/host", host), Route("/bare", bare), Route("/widget", widget), Route("/other", other),
        Route("/elsewhere", elsewhere),
        Route("/{name}", script),
    ])


@pytest.fixture(scope="module")
def sites(embed_build: Path) -> Iterator[tuple[str, str]]:
    """(host origin, widget origin) of one server."""
    with serve_in_thread(_pages(embed_build)) as base:
        yield base, base.replace("127.0.0.1", "localhost")


def _new_page(browser: Browser) -> tuple[Page, list[str]]:
    """A page in a fresh context, and the uncaught errors of its frames."""
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def _widget_frame(page: Page) -> Frame:
    handle = page.locator("iframe[title=Chat]").element_handle()
    frame = handle.content_frame() if handle else None
    assert frame is not None
    frame.wait_for_function("window.LivChatWidget && window.seen")
    return frame


def _host_storage(page: Page) -> str | None:
    return page.evaluate("(key) => localStorage.getItem(key)", KEY)


def test_token_handover_both_ways_unread_close_and_origin_checks(shipping_browser: Browser,
                                                                 sites: tuple[str, str]) -> None:
    host, widget_origin = sites
    page, errors = _new_page(shipping_browser)
    page.goto(f"{host}/host")
    page.evaluate("(key) => localStorage.setItem(key, 'tok-from-host')", KEY)  # a returning visitor
    launcher = page.get_by_role("button", name="Open chat")

    launcher.click()
    frame = _widget_frame(page)
    assert frame.url == f"{widget_origin}/widget?organizationId={ORG}&locale=en"  # the host page is lang="en"
    # Ready → the loader hands over the host's token; the widget mirrors it into its own storage.
    assert frame.evaluate("LivChatWidget.token()") == "tok-from-host"  # not the one it posted itself
    assert frame.evaluate("LivChatWidget.embedded") is True
    assert frame.evaluate("(key) => localStorage.getItem(key)", KEY) == "tok-from-host"
    iframe = page.locator("iframe[title=Chat]")
    expect(iframe).to_be_visible()
    expect(page.get_by_role("button", name="Close chat")).to_have_attribute("aria-expanded", "true")
    frame.wait_for_function("seen.length === 1 && seen[0] === true")  # told it is visible

    # The widget's storage is partitioned by the top-level site: the widget's own site, at top
    # level, does not see the copy kept inside the host's page.
    top_level = page.context.new_page()
    top_level.goto(f"{widget_origin}/other")
    assert top_level.evaluate("(key) => localStorage.getItem(key)", KEY) is None
    top_level.close()

    # A new contact session in the widget → the loader keeps its token in the host's storage.
    frame.evaluate("LivChatWidget.session('tok-created-in-widget')")
    page.wait_for_function("(key) => localStorage.getItem(key) === 'tok-created-in-widget'", arg=KEY)

    frame.evaluate("LivChatWidget.unread(3)")
    expect(page.get_by_role("button", name="Close chat (3 unread)")).to_be_visible()
    page.wait_for_function("unreadSeen.join() === '3'")

    # Forgeries the loader must ignore: the host page's own window (wrong origin) and another
    # frame of the widget's site that is not the loader's iframe (wrong source).
    page.evaluate("""() => {
        postMessage({type: 'livchat:unread', count: 7}, '*');
        postMessage({type: 'livchat:session', token: 'forged-by-host'}, '*');
    }""")
    other = page.frame_locator("#other").locator("p").element_handle().owner_frame()
    assert other is not None
    other.evaluate("""() => {
        parent.postMessage({type: 'livchat:unread', count: 8}, '*');
        parent.postMessage({type: 'livchat:session', token: 'forged-by-other'}, '*');
        parent.postMessage({type: 'livchat:close'}, '*');
    }""")
    # The widget ignores any window but its parent (the loader's iframe sits in a shadow root, out
    # of `window.frames`, so another frame cannot even reach it; the widget's own window can).
    frame.evaluate("() => postMessage({type: 'livchat:visibility', visible: false}, '*')")
    page.wait_for_function("heard.filter((t) => t === 'livchat:unread').length >= 3 && heard.includes('livchat:close')")
    frame.wait_for_function("heard.includes('livchat:visibility') && heard.filter((t) => t === 'livchat:visibility').length >= 2")
    assert page.get_by_role("button", name="Close chat (3 unread)").is_visible()
    assert page.evaluate("unreadSeen.join()") == "3"
    assert _host_storage(page) == "tok-created-in-widget"
    assert frame.evaluate("seen") == [True]
    expect(iframe).to_be_visible()

    # Close from the host's API, reopen from the keyboard, close from the widget (Escape).
    page.evaluate("LivChat.close()")
    expect(iframe).to_be_hidden()
    frame.wait_for_function("seen.join() === 'true,false'")
    launcher = page.get_by_role("button", name="Open chat (3 unread)")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(iframe).to_be_visible()
    frame.wait_for_function("seen.join() === 'true,false,true'")
    frame.evaluate("LivChatWidget.unread(0)")
    frame.get_by_label("message").press("Escape")
    expect(iframe).to_be_hidden()
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()  # focus back on the launcher
    assert page.locator("iframe[title=Chat]").count() == 1  # kept, so reopening is instant

    # The loader's own iframe, navigated to another origin: its messages no longer count.
    page.get_by_role("button", name="Open chat").click()
    heard = page.evaluate("heard.length")
    frame.evaluate("(url) => { location.href = url; }", f"{host}/elsewhere")
    page.wait_for_function("(n) => heard.length >= n + 3", arg=heard)
    assert page.evaluate("unreadSeen.join()") == "3,0"
    assert _host_storage(page) == "tok-created-in-widget"
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()
    assert errors == []
    close_context(page.context)


def test_without_the_loader_the_widget_uses_its_own_storage_and_ignores_other_frames(
        shipping_browser: Browser, sites: tuple[str, str]) -> None:
    host, _ = sites
    page, errors = _new_page(shipping_browser)
    page.goto(f"{host}/bare")
    widget = page.frame_locator("#w").locator("p").element_handle().owner_frame()
    assert widget is not None
    widget.evaluate("(key) => localStorage.setItem(key, 'tok-partitioned')", KEY)
    page.reload()  # a returning visitor; meanwhile another frame and the widget itself offer tokens
    widget = page.frame_locator("#w").locator("p").element_handle().owner_frame()
    assert widget is not None
    settled = widget.evaluate("settled")
    assert settled["token"] == "tok-partitioned"  # its own, after waiting for a loader that never came
    assert settled["heardBefore"].count("livchat:token") >= 2  # the offers came while it waited
    assert widget.evaluate("LivChatWidget.embedded") is False
    assert errors == []
    close_context(page.context)


def test_a_widget_without_storage_makes_the_launcher_open_a_new_tab(browser: Browser,
                                                                   sites: tuple[str, str]) -> None:
    """Playwright's default Chromium blocks storage in cross-site iframes outright, as "block all
    cookies" and some policies do: the bridge says `blocked`, and the chat opens at top level."""
    host, widget_origin = sites
    page, errors = _new_page(browser)
    page.goto(f"{host}/host")
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Open chat").click()
    popup = popup_info.value
    assert popup.url == f"{widget_origin}/widget?organizationId={ORG}&locale=en"
    expect(page.locator("iframe[title=Chat]")).to_have_count(0)  # nothing left over the page
    expect(page.get_by_role("button", name="Open chat")).to_have_attribute("aria-expanded", "false")
    # At top level the widget's storage is first-party, and there is no loader to wait for.
    popup.wait_for_function("window.LivChatWidget")
    popup.evaluate("LivChatWidget.session('tok-top-level')")
    assert popup.evaluate("LivChatWidget.token()") is None  # settled on load, before the session
    assert popup.evaluate("(key) => localStorage.getItem(key)", KEY) == "tok-top-level"
    # From now on the launcher opens the tab directly.
    with page.expect_popup() as again:
        page.get_by_role("button", name="Open chat").click()
    assert again.value.url == popup.url
    assert errors == []
    close_context(page.context)
