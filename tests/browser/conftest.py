"""Serve the production build on a free port and drive it with Debian's Chromium."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    expect,
    sync_playwright,
)

from tests.browser.browser_support import LinkedAccount, livchat_cli
from tests.browser.chromium import CHROMIUM, Chromiums, close_context
from tests.fakes.vapi_server import FakeVapi, _fake_vapi_session  # noqa: F401  (fixture)
from tests.polling import eventually_sync

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Chromium as it ships: storage partitioned per top-level site, third-party cookies blocked.
# Playwright disables ThirdPartyStoragePartitioning, and with third-party cookies blocked an iframe
# of another site then cannot touch storage at all (support-desk.md §0.1). The last
# --disable-features wins, so this is Playwright 1.65's own list without that feature (§3.4).
SHIPPING_CHROMIUM_ARGS = [
    *CHROMIUM_ARGS,
    "--disable-features=" + ",".join([
        "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
        "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
        "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin", "OptimizationHints",
        "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch",
    ]),
    "--test-third-party-cookie-phaseout",  # third-party cookies blocked whatever the profile says
]
START_TIMEOUT_S = 300
PANEL_LIMITS = '{"pairphone": "2/hour", "message_day": "3/day", "message_second": "100/second", "code_seconds": 30}'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_env(tmp_path_factory: pytest.TempPathFactory, _fake_vapi_session: FakeVapi) -> dict[str, str]:  # noqa: F811
    """The environment the served app runs with; run `livchat` commands with it to share its data."""
    port = _free_port()
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "LIVCHAT_DATA_DIR": str(tmp_path_factory.mktemp("live-data")),
        "PUBLIC_URL": f"http://localhost:{port}",
        "LIVCHAT_PORT": str(port),
        "LIVCHAT_WEBHOOK_ALLOW_PRIVATE": "1",  # tests' webhook receivers listen on 127.0.0.1
        # Browser contexts may name their own address (X-Forwarded-For, as a proxy would): per-IP
        # limits then keep tests apart. Without the header a request is its peer's, as before.
        "TRUSTED_PROXY_HOPS": "1",
        # The landing page's panel, with limits a test can reach (tests/browser/test_landing_panel.py).
        "LIVCHAT_PANEL_LIMITS": PANEL_LIMITS,
        # The tests' deterministic hashed embedder: ingestion and search in milliseconds, no model to warm.
        "LIVCHAT_EMBEDDER": "hashed",
        # Vapi's API (Dashboard → Voice, the widget's web call): the local fake (tests/fakes/vapi_server.py).
        "VAPI_API_URL": _fake_vapi_session.base_url,
    }
    env.pop("DATABASE_URL", None)
    return env


@pytest.fixture(scope="session")
def live_app(live_env: dict[str, str], embed_build: Path) -> Iterator[str]:
    # One production build at a time per checkout: Reflex compiles into ./.web.
    lock = open(ROOT / ".web-build.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    env, port = live_env, int(live_env["LIVCHAT_PORT"])
    data_dir = Path(env["LIVCHAT_DATA_DIR"])
    venv_bin = Path(sys.executable).parent
    subprocess.run([str(venv_bin / "livchat"), "migrate"], env=env, cwd=ROOT, check=True, timeout=120)
    log_path = data_dir / "reflex.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(venv_bin / "reflex"), "run", "--env", "prod",
             "--frontend-port", str(port), "--backend-port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://localhost:{port}"

    def serving() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"reflex exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        return (httpx.get(f"{url}/api/health", timeout=2).status_code == 200
                and httpx.get(url, timeout=5).status_code == 200)

    try:
        try:
            eventually_sync(serving, timeout=START_TIMEOUT_S, every=0.5, ignoring=(httpx.HTTPError,))
        except AssertionError:
            pytest.fail(f"app not up after {START_TIMEOUT_S}s:\n{log_path.read_text()[-4000:]}")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


# Every Playwright call is bounded: actions and navigations by the contexts' defaults (a stuck
# one fails its test), `expect` by its own, and closing a context or a browser by chromium.CLOSE_S
# (a stuck close kills that Chromium, warns, and the next test gets a new one). Nothing stalls the run.
ACTION_TIMEOUT_MS = 20_000
EXPECT_TIMEOUT_MS = 10_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def chromiums() -> Iterator[Chromiums]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        chromiums = Chromiums(playwright, {"default": CHROMIUM_ARGS, "shipping": SHIPPING_CHROMIUM_ARGS})
        yield chromiums
        chromiums.close()


@pytest.fixture
def browser(chromiums: Chromiums) -> Browser:
    """Playwright's default Chromium: storage in a cross-site iframe throws (partitioning off)."""
    return chromiums.get("default")


@pytest.fixture
def shipping_browser(chromiums: Chromiums) -> Browser:
    """Chromium as visitors run it, for anything inside another site's page (the widget)."""
    return chromiums.get("shipping")


@pytest.fixture
def open_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """`open_context(**options)`: a new browser context (a fresh visitor) with bounded calls,
    closed after the test whatever happens in it."""
    opened: list[BrowserContext] = []

    def open_(**options: Any) -> BrowserContext:
        context = browser.new_context(**{"locale": "en-US", "viewport": {"width": 1280, "height": 800}, **options})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        opened.append(context)
        return context

    yield open_
    for context in opened:
        close_context(context)


@pytest.fixture
def page(open_context: Callable[..., BrowserContext]) -> Page:
    return open_context().new_page()


@pytest.fixture(scope="session")
def linked_account(live_app: str, live_env: dict[str, str]) -> LinkedAccount:
    """Made the way an integrator would: the CLI makes the user and a key, the REST API the
    instance and its pairing code, the sandbox's control API plays the phone (links, replies)."""
    email, password, org = f"linked-{uuid.uuid4().hex[:8]}@example.com", "long-password", "Linked Co"
    livchat_cli(live_env, "create-user", email, "--password", password, "--org", org)
    key = livchat_cli(live_env, "create-api-key", "--org", org).strip()
    admin = {"Authorization": (Path(live_env["LIVCHAT_DATA_DIR"]) / "sandbox-admin.token").read_text().strip()}
    phone, contact = "5511955550000", "5511912345678"
    with httpx.Client(base_url=live_app, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api:
        instance = api.post("/api/v1/instances", json={"name": "Shop"}).raise_for_status().json()["id"]
        code = api.post(f"/api/v1/instances/{instance}/pairphone", json={"phone": phone}).raise_for_status().json()
        httpx.post(live_app + "/sandbox/control/link", json={"pairingCode": code["pairingCode"], "phone": phone},
                   headers=admin, timeout=30).raise_for_status()
        eventually_sync(lambda: api.get(f"/api/v1/instances/{instance}").json()["status"] == "connected",
                        timeout=30, what="the linked instance connected")
        api.post(f"/api/v1/instances/{instance}/messages",
                 json={"to": contact, "type": "text", "text": "Your order shipped"}).raise_for_status()
    httpx.post(live_app + "/sandbox/control/inbound", json={"phone": phone, "from": contact, "text": "Thanks!"},
               headers=admin, timeout=30).raise_for_status()
    return LinkedAccount(email=email, password=password, instance_id=instance, api_key=key)
