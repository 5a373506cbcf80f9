"""Concurrent widget visitors over Reflex's real websocket protocol (issue 12, "Measure").

Against the production build on 127.0.0.1, N visitors each:
1. create a contact session with `POST /api/widget/sessions` (each from its own X-Forwarded-For:
   the limits are per IP, and the app trusts one proxy hop here),
2. open /widget's websocket as the browser does — socket.io over websocket only, namespace
   `/_event`, `hydrate_and_load` in the namespace CONNECT packet with the compiled state hashes and
   `state_schema` of `.web/utils/context.jsx` —, answer the page's `on_load` script with the
   browser's facts and the token (what the loader's bridge hands over), and then, as the page
   does, `refresh` whenever the conversation feed moves and `unread(false)` (the chat is open),
3. once all N are connected, send one message through WidgetState's `send` handler (at a random
   moment of a SEND_WINDOW_S window) and wait for its echo: the delta where the message row is in
   the visitor's list *and* the conversation's feed (`ConversationFeed`, the one the operators'
   inbox watches) has moved to it.

Round trip = the `send` event written → that echo read. Connections open at CONNECT_RATE a second;
a level takes about N / 50 + 45 s. The AI agent is off (LIVCHAT_AGENT=off: the default responder
answers "an operator will answer soon", one more message per conversation); what is measured is
the widget and its live feeds, not the agent. Server CPU (% of one core, the whole process tree,
during the send window) and RSS (the tree's sum, at its peak) come from /proc.

Modes: the memory state manager (the default: one worker), and Redis (REDIS_URL, db 13 of
127.0.0.1:6379 unless WIDGET_LOAD_REDIS_URL says otherwise; Reflex then runs 2 × cores + 1 workers).
`python -m bench widget_load` runs both at 100, 500 and 1,000 visitors;
`python -m bench.widget_load 1000 --mode redis [--database postgres]` runs one level.

Measured 2026-12-07 (2 cores shared with three other sessions: load average 8–11; 50 warm-up
visitors first; p50 / p99 of send → echo, ms; CPU in % of one core; RSS of the whole tree, MB):

| state manager, database | N | connected when sends began | echoed | p50 / p99 (max) | errors | CPU | RSS |
|---|---|---|---|---|---|---|---|
| memory, SQLite (1 worker) | 100 | 100 | 100 | 40 / 94 (325) | 0 | 24 % | ~460 (worker) |
| memory, SQLite | 200 | 200 | 200 | 41 / 138 (516) | 0 | 48 % | 667 → 713 |
| memory, SQLite | 300 | 300 | 300 | 53 / 515 (829) | 0 | 71 % | 713 → 759 |
| memory, SQLite | 500 | 206 | 500 | 2,854 / 8,501 | 0 | 85 % | → 582 (worker) |
| memory, SQLite | 1,000 | 187 | 295 | 22,749 / 36,665 | 952 no echo in 15 s | 83 % | → 758 (worker) |
| Redis, SQLite (5 workers) | 100 | 100 | 100 | 45 / 117 (120) | 0 | 25 % | 2,399 → 2,423 |
| Redis, SQLite | 500 | 464 | 500 | 5,663 / 12,870 (shown: 310 / 4,127) | 1 | 128 % | → 2,534 |
| Redis, SQLite | 1,000 | 782 | 702 | 9,818 / 25,308 | 478 no echo, 7 HTTP 500 | 144 % | → 2,723 |
| Redis, PostgreSQL (5 workers) | 100 | 100 | 100 | 49 / 97 (110) | 0 | 25 % | 2,388 → 2,401 |
| Redis, PostgreSQL | 500 | 210 | 319 | 110 / 2,881 (3,657) | 63 HTTP 500 (sessions), 118 timeouts | 87 % | → 2,509 |

The 1,000-visitor target (p99 ≤ 100 ms) is missed by far; one worker meets it at 100 visitors.
What limits it:
- **CPU per visitor, one core per worker.** A bare Reflex event costs ~1 ms (reflex-capacity.md);
  a widget visitor costs ~10 events to reach the chat (hydrate, load, boot, refresh, unread, each
  with database work: settings, session resolve, conversation link, message list) and ~8 per
  message (send; the default responder's reply; each feed move makes the page `refresh` — reload
  the whole list — and `unread` — `mark_seen`, a write that moves the inbox feed again): ~80 ms of
  server CPU per message cycle at 200 visitors (48 % of a core for 200 messages in 33 s). At 50
  new visitors a second the connect work alone exceeds one core: at 500, only 206 had reached the
  chat when the sends began, and everything queues behind the event loop.
- **Redis spreads it over the 2 cores** (5 workers: 2.4 GB in all once warm), but pays Redis locks
  per event, and the organization's one `InboxFeed` token (every message, open and read of every
  visitor of the organization locks it, across workers) delays the conversation feed's push, which
  `support_feeds.push` makes after it: at 500 visitors the message is shown at p50 310 ms but the
  feed moves at p50 5.7 s. Pushing the conversation's feed first made both arrive together
  (p50 1.8 s at 500, CPU-bound; not kept: one noisy run).
- **PostgreSQL with 5 workers**: each worker's pool is 10 + 20 connections, 150 in all, over the
  server's default `max_connections` of 100: at 500 visitors PostgreSQL refused clients ("sorry,
  too many clients already") and session creation answered 500.
- **Warm-up**: each worker imports (LanceDB, …) and fills caches on its first requests; without
  the warm-up level the first 100 visitors on 5 fresh workers waited seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.landing import ROOT, served
from bench.widget import _organization

LEVELS = (100, 500, 1000)
CONNECT_RATE = 50  # new visitors a second
SEND_WINDOW_S = 30.0  # the messages are spread over this window, once everyone is connected
ECHO_TIMEOUT_S = 15.0
WARM_UP_VISITORS = 50
TARGET_VISITORS, TARGET_P99_MS = 1000, 100.0
REDIS_URL = os.environ.get("WIDGET_LOAD_REDIS_URL", "redis://127.0.0.1:6379/13")
# A throwaway database is made (and dropped) on this server for the PostgreSQL runs.
POSTGRES_ADMIN_URL = os.environ.get("WIDGET_LOAD_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NAMESPACE = "/_event"
ROOT_STATE = "reflex___state____state"
WIDGET_STATE = f"{ROOT_STATE}.livchat___state___widget____widget_state"
HZ = os.sysconf("SC_CLK_TCK")


def compiled_frontend() -> tuple[str, list[str]]:
    """The state schema and initial state hashes the built page sends when it connects."""
    context = (ROOT / ".web" / "utils" / "context.jsx").read_text()
    schema = re.search(r'export const stateSchema = "([0-9a-f]+)"', context)
    hashes = re.search(r"export const initialStateHashes = (\[[^\]]*\])", context)
    if not schema or not hashes:
        raise RuntimeError(".web/utils/context.jsx: no stateSchema / initialStateHashes (Reflex changed?)")
    return schema.group(1), json.loads(hashes.group(1))


@dataclass
class Visitor:
    """One visitor's tab, as far as the load client needs to follow it."""

    index: int
    ip: str
    text: str
    connected: bool = False
    phase: str = ""
    shown: bool = False  # our message is in the page's list
    feed_version: int = 0
    feed_message: str = ""
    chat_error: str = ""
    sent_at: float = 0.0
    round_trip_ms: float | None = None
    shown_ms: float | None = None
    error: str = ""
    chat_ready: asyncio.Event = field(default_factory=asyncio.Event)
    echoed: asyncio.Event = field(default_factory=asyncio.Event)


class Tab:
    """A socket.io client on Reflex's `/_event` namespace, playing the /widget page."""

    def __init__(self, base: str, organization_id: str, schema: str | None, hashes: list[str], visitor: Visitor) -> None:
        """`schema` and `hashes` are the built page's (compiled_frontend()); None and [] act as a page
        that sends neither (the server then hydrates in full and checks no schema)."""
        self.base, self.visitor, self.schema, self.hashes = base, visitor, schema, hashes
        self.texts: list[str] = []  # the texts of the messages the page shows now
        query = {"organizationId": organization_id, "locale": "en"}
        self.router_data = {"pathname": "/widget", "asPath": f"/widget?organizationId={organization_id}&locale=en",
                            "query": query}
        self.ws: Any = None

    def event(self, handler: str, payload: dict[str, Any]) -> dict[str, Any]:
        name = handler if handler.startswith(ROOT_STATE) else f"{WIDGET_STATE}.{handler}"
        return {"name": name, "payload": payload, "router_data": self.router_data}

    async def emit(self, handler: str, payload: dict[str, Any]) -> None:
        await self.ws.send(f"42{NAMESPACE}," + json.dumps(["event", self.event(handler, payload)]))

    async def open(self, token: str) -> None:
        import websockets

        url = self.base.replace("http://", "ws://") + f"/_event/?token={uuid.uuid4()}&EIO=4&transport=websocket"
        origin = self.base.replace("127.0.0.1", "localhost")  # PUBLIC_URL's origin: the socket checks it
        self.ws = await websockets.connect(url, additional_headers={"Origin": origin, "X-Forwarded-For": self.visitor.ip},
                                           max_size=None, open_timeout=30, ping_interval=None)
        opened = await self.ws.recv()
        if not opened.startswith("0"):
            raise RuntimeError(f"engine.io open expected, got {opened[:80]!r}")
        hydrate = self.event(f"{ROOT_STATE}.hydrate_and_load", {"hashes": self.hashes} if self.hashes else {})
        auth: dict[str, Any] = {"event": hydrate}
        if self.schema:
            auth["state_schema"] = self.schema
        await self.ws.send(f"40{NAMESPACE}," + json.dumps(auth))
        self.token = token

    async def listen(self) -> None:
        """Read until closed: answer engine.io pings, apply deltas, run the page's follow-up events."""
        v = self.visitor
        async for frame in self.ws:
            if frame == "2":
                await self.ws.send("3")
            elif frame.startswith(f"40{NAMESPACE}"):
                v.connected = True
            elif frame.startswith(f"44{NAMESPACE}"):
                v.error = "connect refused: " + frame[:120]
                return
            elif frame.startswith(f"42{NAMESPACE},"):
                kind, update = json.loads(frame[len(NAMESPACE) + 3:])
                if kind == "event":
                    await self.update(update)

    async def update(self, update: dict[str, Any]) -> None:
        v = self.visitor
        feed_moved = False
        for name, changes in (update.get("delta") or {}).items():
            if name == WIDGET_STATE:
                if "phase_rx_state_" in changes:
                    before, v.phase = v.phase, changes["phase_rx_state_"]
                    if v.phase == "chat" and before != "chat":
                        v.chat_ready.set()
                        await self.emit("refresh", {})  # the chat's feed watcher mounts
                if "messages_rx_state_" in changes:
                    self.texts = [m.get("text", "") for m in changes["messages_rx_state_"]]
                    v.shown = v.text in self.texts
                if changes.get("chat_error_rx_state_"):
                    v.chat_error = changes["chat_error_rx_state_"]
            elif name.endswith("conversation_feed"):
                version = changes.get("version_rx_state_", v.feed_version)
                feed_moved = version != v.feed_version
                v.feed_version = version
                v.feed_message = changes.get("last_message_rx_state_", v.feed_message) or v.feed_message
        now = time.perf_counter()
        if v.sent_at and v.shown and v.shown_ms is None:
            v.shown_ms = (now - v.sent_at) * 1000
        if v.sent_at and v.shown and v.feed_message and not v.echoed.is_set():
            v.round_trip_ms = (now - v.sent_at) * 1000
            v.echoed.set()
        for event in update.get("events") or []:
            if event.get("name") != "_call_script":
                continue
            callback = str((event.get("payload") or {}).get("callback") or "")
            if ".boot" in callback:  # the bridge's answer: the browser's facts and the visitor's token
                await self.emit("boot", {"facts": {"token": self.token, "embedded": True, "languages": "en-US,en",
                                                   "language": "en-US", "timeZone": "America/Sao_Paulo",
                                                   "referrer": "https://shop.example/", "screen": "390x844"}})
            elif ".unread" in callback:
                await self.emit("unread", {"hidden": False})  # the chat is open: mark seen
        if feed_moved and v.phase == "chat":
            await self.emit("refresh", {})  # the feed watcher remounts on every version


@dataclass
class ProcessTree:
    """CPU and RSS of the served app: the `reflex run` process on `port` and all its descendants."""

    port: int
    root: int = 0

    def pids(self) -> list[int]:
        parents: dict[int, int] = {}
        matching = []  # the supervisor and its forked workers share its command line: the lowest pid is the root
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                if not self.root and f"--backend-port\x00{self.port}" in (entry / "cmdline").read_text():
                    matching.append(int(entry.name))
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        self.root = self.root or min(matching, default=0)
        tree, changed = {self.root}, True
        while changed:
            grown = tree | {pid for pid, parent in parents.items() if parent in tree}
            changed, tree = grown != tree, grown
        return sorted(tree - {0})

    def sample(self) -> tuple[float, int]:
        """(CPU seconds so far, RSS bytes now), summed over the tree."""
        cpu, rss = 0.0, 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu += (int(fields[11]) + int(fields[12])) / HZ
                rss += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError):
                continue
        return cpu, rss


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def visit(base: str, organization_id: str, schema: str, hashes: list[str], v: Visitor,
                http: httpx.AsyncClient, send_at: float, done: asyncio.Event) -> None:
    tab = Tab(base, organization_id, schema, hashes, v)
    listener: asyncio.Task[None] | None = None
    try:
        answer = await http.post("/api/widget/sessions", headers={"X-Forwarded-For": v.ip}, json={
            "organizationId": organization_id, "name": f"Visitor {v.index}", "email": f"v{v.index}@example.com"})
        if answer.status_code != 201:
            v.error = f"session {answer.status_code}: {answer.text[:100]}"
            return
        await tab.open(answer.json()["contactToken"])
        listener = asyncio.create_task(tab.listen())
        await asyncio.wait_for(v.chat_ready.wait(), timeout=30)
        await asyncio.sleep(max(0.0, send_at - time.perf_counter()))
        v.sent_at = time.perf_counter()
        await tab.emit("send", {"form_data": {"text": v.text}})
        try:
            await asyncio.wait_for(v.echoed.wait(), timeout=ECHO_TIMEOUT_S)
        except TimeoutError:
            v.error = f"no echo in {ECHO_TIMEOUT_S:.0f} s" + (f" ({v.chat_error})" if v.chat_error else "")
        await done.wait()  # stay connected until the level ends: "connected at once"
    except Exception as error:  # every failure is counted, none stops the others
        v.error = v.error or f"{type(error).__name__}: {error}"[:160]
    finally:
        if listener is not None:
            listener.cancel()
        if tab.ws is not None:
            await tab.ws.close()


async def level(base: str, organization_id: str, n: int, port: int, window: float = SEND_WINDOW_S) -> dict[str, Any]:
    schema, hashes = compiled_frontend()
    net = random.randrange(1, 250)  # fresh client addresses on every level: the per-IP limits start empty
    visitors = [Visitor(i, f"10.{net}.{i // 250}.{i % 250 + 1}", f"Load {uuid.uuid4().hex[:12]}: where is my order?")
                for i in range(n)]
    tree = ProcessTree(port)
    idle_rss = tree.sample()[1]
    done = asyncio.Event()
    started = time.perf_counter()
    send_start = started + n / CONNECT_RATE + 5  # everyone is connected (and booted) by then
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        tasks = []
        for v in visitors:
            send_at = send_start + random.uniform(0, window)
            tasks.append(asyncio.create_task(visit(base, organization_id, schema, hashes, v, http, send_at, done)))
            await asyncio.sleep(1 / CONNECT_RATE)
        await asyncio.sleep(max(0.0, send_start - time.perf_counter()))
        connected_at_send = sum(1 for v in visitors if v.connected and v.phase == "chat" and not v.error)
        cpu_before, peak_rss = tree.sample()
        client_before = time.process_time()
        window_started = time.perf_counter()
        while time.perf_counter() < send_start + window + 3:
            await asyncio.sleep(1)
            peak_rss = max(peak_rss, tree.sample()[1])
        waited = time.perf_counter() + ECHO_TIMEOUT_S
        while time.perf_counter() < waited and any(v.sent_at and not v.echoed.is_set() and not v.error for v in visitors):
            await asyncio.sleep(0.5)
        cpu_after, rss = tree.sample()
        elapsed = time.perf_counter() - window_started
        client_cpu = time.process_time() - client_before
        connected_at_end = sum(1 for v in visitors if v.connected and not v.error)
        done.set()
        await asyncio.gather(*tasks)
    trips = [v.round_trip_ms for v in visitors if v.round_trip_ms is not None]
    shown = [v.shown_ms for v in visitors if v.shown_ms is not None]
    errors: dict[str, int] = {}
    for v in visitors:
        if v.error:
            kind = re.sub(r"\d+", "#", v.error)[:100]
            errors[kind] = errors.get(kind, 0) + 1
    return {"visitors": n, "connected_at_send": connected_at_send, "connected_at_end": connected_at_end,
            "echoed": len(trips), "p50_ms": percentile(trips, 0.5), "p99_ms": percentile(trips, 0.99),
            "max_ms": max(trips, default=float("nan")), "shown_p50_ms": percentile(shown, 0.5),
            "shown_p99_ms": percentile(shown, 0.99), "errors": sum(errors.values()), "error_kinds": errors,
            "server_cpu_pct": 100 * (cpu_after - cpu_before) / elapsed, "server_rss_mb": peak_rss / 2**20,
            "server_rss_idle_mb": idle_rss / 2**20, "server_rss_end_mb": rss / 2**20, "server_processes": len(tree.pids()),
            "client_cpu_pct": 100 * client_cpu / elapsed, "seconds": time.perf_counter() - started,
            "mean_ms": statistics.fmean(trips) if trips else float("nan")}


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one run; dropped afterwards."""
    import psycopg

    name = f"livchat_widget_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(mode: str, levels: tuple[int, ...], window: float = SEND_WINDOW_S,
            database: str = "sqlite") -> list[dict[str, Any]]:
    env = {"LIVCHAT_AGENT": "off"}
    if mode == "redis":
        env["REDIS_URL"] = REDIS_URL
    results = []
    with contextlib.ExitStack() as stack:
        if database == "postgres":
            env["DATABASE_URL"] = stack.enter_context(postgres_database())
        url, data = stack.enter_context(served(env))
        port = int(url.rsplit(":", 1)[1])
        organization_id = _organization(data, env)
        base = f"http://127.0.0.1:{port}"
        # Each worker imports and warms its caches on its first requests (Redis: 5 of them, ~+180 MB
        # each): a small unrecorded level first, so the first measured level is not the warm-up.
        asyncio.run(level(base, organization_id, WARM_UP_VISITORS, port, 5.0))
        for n in levels:
            result = asyncio.run(level(base, organization_id, n, port, window))
            result.update(mode=mode, database=database)
            results.append(result)
            print(json.dumps(result), flush=True)
    return results


def _row(r: dict[str, Any]) -> dict[str, object]:
    workers = r["server_processes"] - 1  # the tree is `reflex run` and its Granian workers
    return {"state manager": f"{'Redis' if r['mode'] == 'redis' else 'memory'}, {workers} worker{'s' * (workers > 1)}",
            "database": r.get("database", "sqlite"),
            "visitors": r["visitors"], "connected at once": r["connected_at_send"], "echoed": r["echoed"],
            "p50 / p99 (max) ms": f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ({r['max_ms']:.0f})",
            "errors": r["errors"], "server CPU %": round(r["server_cpu_pct"]),
            "server RSS MB (idle → peak)": f"{r['server_rss_idle_mb']:.0f} → {r['server_rss_mb']:.0f}",
            "client CPU %": round(r["client_cpu_pct"])}


def report(results: list[dict[str, Any]]) -> dict[str, object]:
    misses = [{"target": f"{TARGET_VISITORS} visitors, p99 ≤ {TARGET_P99_MS:.0f} ms ({_row(r)['state manager']})",
               "measured": f"{r['echoed']} echoed, p99 {r['p99_ms']:.0f} ms, {r['errors']} errors"}
              for r in results if r["visitors"] == TARGET_VISITORS
              and (r["errors"] or r["echoed"] < TARGET_VISITORS or not r["p99_ms"] <= TARGET_P99_MS)]
    return {"title": "Concurrent widget visitors (websocket; send → message shown and the conversation feed moved)",
            "rows": [_row(r) for r in results], "misses": misses, "levels": results,
            "load": os.getloadavg()[0], "cores": os.cpu_count()}


def run() -> dict[str, object]:
    """`make bench`: the embedded default (memory, SQLite), then Redis with PostgreSQL (both on
    127.0.0.1, as `make test` has them): several workers need a database they can share."""
    return report(measure("memory", LEVELS) + measure("redis", LEVELS, database="postgres"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("levels", nargs="*", type=int, default=list(LEVELS))
    parser.add_argument("--mode", choices=("memory", "redis"), default="memory")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--window", type=float, default=SEND_WINDOW_S, help="seconds the messages are spread over")
    args = parser.parse_args()
    from bench.__main__ import print_table

    result = report(measure(args.mode, tuple(args.levels), args.window, args.database))
    print_table(str(result["title"]), result["rows"])  # type: ignore[arg-type]
    print_table("Misses", result["misses"])  # type: ignore[arg-type]
