"""Wallboard benchmark: how late the supervisor's console shows what routing events changed, and what the
metrics engine costs per event next to the routing decisions that made the events.

Two parts, on one synthetic contact center (`--agents` agents with 3 of `--queues` skills, one chat queue
per skill):

- CPU, in this process: one script of routing commands replayed in separate passes, each timed as a whole
  on the thread's CPU clock (medians of `--runs`): the router alone; the metrics engine
  (`gateway.analytics.StatsFeed`) folding the batches; the console's work on the production road
  (`Board.changes`: the board's rows of what the engine recorded as changed, once per `--window` of
  simulated time, the waiting work from the routing server's `WaitingWork`). With the gateway's own
  collector settings (`gateway.collector`), so CPython's full collections do not land inside the spans.
- Browser: a gateway started on the same configuration (`helpline serve --no-sip`), one supervisor's
  console at `/supervisor` in headless Chromium, and REST traffic (new chats, presence changes) at about
  `--events-per-second` routing events for `--seconds`. For every change the console draws, the time from
  the batch's first event (`event_at`, the server's clock) to the frame after the console redrew
  (requestAnimationFrame; same machine, same clock), split into server, push -> page, page -> frame; and
  each process's CPU per second of traffic, Chromium's main-thread counters, long tasks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from argon2 import PasswordHasher
from playwright.async_api import Page, async_playwright

from gateway.acd import Channel, Event, NewInteraction, Presence, Router, WorkBrief
from gateway.acd_server import WaitingWork
from gateway.analytics import StatsFeed, engine_for
from gateway.collector import tune_collector
from gateway.config import Config, agent_specs, parse_config, queue_specs
from gateway.supervisor import Board

__all__ = ["main", "measure_cpu", "write_config"]

CHROMIUM = "/usr/bin/chromium"
IN_FLIGHT = 8  # requests at once at most
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SUPERVISOR, INTEGRATION = ("wbsup", "wbsup-bench"), ("wbcrm", "wbcrm-bench")
T0 = 1_700_000_000.0

# Records, for every change the console drew, the batch's first event time and the frame after the redraw.
_OBSERVER = """() => {
  window.__board = [];
  window.__long = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push([performance.timeOrigin + e.startTime, e.duration]);
  }).observe({ type: "longtask" });
  document.getElementById("console").addEventListener("board-changed", (e) => {
    const at = e.detail.event_at * 1000, sent = e.detail.at * 1000;
    const handled = performance.timeOrigin + performance.now();
    const drawn = () => window.__board.push([at, performance.timeOrigin + performance.now(), sent, handled]);
    requestAnimationFrame(drawn);
  });
}"""


def write_config(agents: int, queues: int, seed: int = 7) -> dict[str, Any]:
    """The synthetic contact center as a configuration mapping (throwaway accounts, cheap hashes)."""
    rng = random.Random(seed)
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    shared = hasher.hash("agents-do-not-log-in")
    users: list[dict[str, Any]] = [
        {
            "id": f"a{n}",
            "name": f"Agent {n}",
            "role": "agent",
            "password_hash": shared,
            "skills": {f"s{k}": rng.randint(1, 10) for k in rng.sample(range(queues), 3)},
        }
        for n in range(agents)
    ]
    for (user, password), role in ((SUPERVISOR, "supervisor"), (INTEGRATION, "integration")):
        users.append({"id": user, "name": user, "role": role, "password_hash": hasher.hash(password)})
    return {
        "users": users,
        "skills": [{"id": f"s{k}"} for k in range(queues)],
        "queues": [
            {
                "id": f"q{k}",
                "name": f"Queue {k}",
                "channel": "chat",
                "skills": [{"skill": f"s{k}"}],
                "wrap_up_seconds": 5,
                "offer_timeout_seconds": 30,
            }
            for k in range(queues)
        ],
    }


# -- CPU: routing decisions vs metrics, in this process ----------------------------------------------------

Script = list[tuple[str, tuple[Any, ...]]]
"""The routing commands of one run, by router method name and arguments: every pass replays the same."""


class _Routing:
    """The board's view of the routing server over a bare router: the interactions and agents from the
    router, the waiting work from the routing server's own read model (`WaitingWork`)."""

    def __init__(self, router: Router, queues: Sequence[str]) -> None:
        self.router = router
        self.work = WaitingWork(queues)

    def follow(self, events: Sequence[Event]) -> None:
        work = self.work
        for e in events:
            work.follow(e, self.router.interaction(e.interaction_id or "") if work.entered(e) else None)

    def agent_work(self, agent_id: str) -> list[WorkBrief]:
        return self.router.agent_work(agent_id)

    def waiting(self, queue_id: str, *, limit: int) -> list[WorkBrief]:
        return self.router.briefs(self.work.oldest(queue_id, limit))


def _clock_cost() -> float:
    """What one read of the thread's CPU clock adds to a span it ends (median of back-to-back reads)."""
    spans = []
    for _ in range(1_001):
        begin = time.thread_time()
        spans.append(time.thread_time() - begin)
    return sorted(spans)[500]


def _script(config: Config, events_wanted: int, seed: int) -> tuple[Script, float]:
    """Commands of the mix (agents sign in, chats arrive, offers are accepted, chats end) at 200 per
    simulated second, chosen by driving a router, until they made `events_wanted` events; and the simulated
    seconds they took."""
    rng = random.Random(seed)
    router = Router(queues=queue_specs(config), agents=agent_specs(config))
    agents, queues = [a.id for a in config.agents], [q.id for q in config.queues]
    offered: list[tuple[str, str]] = []
    assigned: list[str] = []
    script: Script = []
    events = n = 0
    now = T0
    while events < events_wanted:
        now += 1 / 200
        name, args = _command(router, rng, now, agents, queues, offered, assigned, n)
        batch: list[Event] = getattr(router, name)(*args) if name else []
        if name:
            script.append((name, args))
        offered.extend((e.interaction_id or "", e.agent_id or "") for e in batch if e.type == "offered")
        events, n = events + len(batch), n + 1
    return script, now - T0


def _routing_pass(config: Config, script: Script) -> tuple[float, list[list[Event]]]:
    router = Router(queues=queue_specs(config), agents=agent_specs(config))
    calls = [(getattr(router, name), args) for name, args in script]
    batches: list[list[Event]] = []
    keep = batches.append
    started = time.thread_time()
    for call, args in calls:
        keep(call(*args))
    return time.thread_time() - started, batches


def _fold_pass(config: Config, batches: Sequence[Sequence[Event]]) -> float:
    feed = StatsFeed(engine_for(config))
    fold = feed.fold
    started = time.thread_time()
    for batch in batches:
        fold(batch)
    return time.thread_time() - started


def _board_pass(config: Config, script: Script, window: float) -> tuple[float, int]:
    """The routing server's road untimed (router, metrics fold, waiting work), and timed: at most once per
    `window` of simulated time, the board's figures of what the engine says changed (`Console`'s work).
    Returns (CPU seconds, pushes)."""
    now = T0
    router = Router(queues=queue_specs(config), agents=agent_specs(config))
    routing = _Routing(router, [q.id for q in config.queues])
    feed = StatsFeed(engine_for(config))
    board = Board(routing, feed.engine, config, clock=lambda: now)
    clock = _clock_cost()
    pending: list[Sequence[Event]] = []
    spent, pushes, pushed = 0.0, 0, float("-inf")
    for name, args in script:
        now = args[-1]  # every command's last argument is its time
        batch = getattr(routing.router, name)(*args)
        feed.fold(batch)
        routing.follow(batch)
        if batch:
            pending.append(batch)
        if pending and now - pushed >= window:  # a change after a quiet window goes at once
            started = time.thread_time()
            if board.changed():
                board.changes(seq=pending[-1][-1].seq, event_at=pending[0][0].at)
            spent += time.thread_time() - started - clock
            pending.clear()
            pushes, pushed = pushes + 1, now
    return spent, pushes


def measure_cpu(
    config: Config, events_wanted: int, *, window: float = 0.05, seed: int = 11, runs: int = 3
) -> dict[str, Any]:
    """Thread CPU per event, medians of `runs` passes of the same command script: the routing commands
    (one span over the whole script); the metrics engine folding their events (one span over all batches,
    as the routing server folds each batch); the console reading what each batch touched and the board's
    figures of it once per `window` of simulated time."""
    script, simulated = _script(config, events_wanted, seed)
    routing, fold, board = [], [], []
    batches: list[list[Event]] = []
    pushes = 0
    for _ in range(runs):
        spent, batches = _routing_pass(config, script)
        routing.append(spent)
        fold.append(_fold_pass(config, batches))
        spent, pushes = _board_pass(config, script, window)
        board.append(spent)
    events = sum(len(b) for b in batches)
    cpu = {k: statistics.median(v) for k, v in (("routing", routing), ("fold", fold), ("board", board))}
    return {
        "events": events,
        "commands": len(script),
        "simulated_seconds": round(simulated, 2),
        "board_pushes": pushes,
        "window_seconds": window,
        "us_per_event": {k: round(1e6 * v / events, 2) for k, v in cpu.items()},
        "metrics_to_routing": round((cpu["fold"] + cpu["board"]) / cpu["routing"], 3),
        "fold_to_routing": round(cpu["fold"] / cpu["routing"], 3),
        "board_to_routing": round(cpu["board"] / cpu["routing"], 3),
    }


def _command(
    router: Router,
    rng: random.Random,
    now: float,
    agents: Sequence[str],
    queues: Sequence[str],
    offered: list[tuple[str, str]],
    assigned: list[str],
    n: int,
) -> tuple[str, tuple[Any, ...]]:
    """One command of the mix, as (router method, arguments); ("", ()) for none."""
    roll = rng.random()
    if roll < 0.15 or n < len(agents) // 2:
        presence = Presence.available() if rng.random() < 0.8 else Presence.not_ready("break")
        return "set_presence", (rng.choice(agents), presence, now)
    if roll < 0.4:
        new = NewInteraction(id=f"c{n}", queue=rng.choice(queues), channel=Channel.CHAT)
        return "enqueue", (new, now)
    if roll < 0.7 and offered:
        iid, agent = offered.pop(rng.randrange(len(offered)))
        view = router.interaction(iid)
        if view is not None and view.agent_id == agent and str(view.state) == "offered":
            assigned.append(iid)
            return "accept", (iid, agent, now)
        return "", ()
    if assigned:
        return "end", (assigned.pop(rng.randrange(len(assigned))), now)
    return "tick", (now,)


# -- Browser: event -> figure on the console -----------------------------------------------------------------


async def _login(http: aiohttp.ClientSession, base: str, user: str, password: str) -> str:
    async with http.post(f"{base}/api/v1/auth/login", json={"username": user, "password": password}) as r:
        r.raise_for_status()
        return str((await r.json())["token"])


async def _healthy(base: str, process: subprocess.Popen[bytes], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"the gateway exited with {process.returncode}")
            try:
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the gateway did not come up")


def _start_gateway(config: dict[str, Any], folder: Path, port: int) -> subprocess.Popen[bytes]:
    path = folder / "wallboard.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    command = [
        sys.executable,
        "-c",
        "import sys; from gateway.cli import main; sys.exit(main())",
        "serve",
        "--config",
        str(path),
        "--http-port",
        str(port),
        "--data-dir",
        str(folder / "data"),
        "--no-sip",
        "--log-level",
        "WARNING",
    ]
    log = (folder / "gateway.log").open("wb")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})


async def _traffic(
    http: aiohttp.ClientSession, base: str, tokens: tuple[str, str], config: dict[str, Any], rate: float
) -> tuple[int, float]:
    """Requests at `rate` per second until cancelled: chats into random queues, agents' presence flipped
    by the supervisor (audited). Returns (requests, seconds)."""
    supervisor, integration = tokens
    rng = random.Random(3)
    agents = [u["id"] for u in config["users"] if u["role"] == "agent"]
    queues = [q["id"] for q in config["queues"]]
    started, sent = time.monotonic(), 0
    pending: set[asyncio.Task[None]] = set()
    in_flight = asyncio.Semaphore(IN_FLIGHT)

    async def request(method: str, path: str, token: str, body: dict[str, Any]) -> None:
        try:
            async with http.request(
                method, base + path, json=body, headers={"Authorization": f"Bearer {token}"}
            ):
                pass
        finally:
            in_flight.release()

    try:
        while True:
            if rng.random() < 0.5:
                body: dict[str, Any] = {"channel": "chat", "queue": rng.choice(queues)}
                call = request("POST", "/api/v1/interactions", integration, body)
            else:
                state = "available" if rng.random() < 0.7 else "not_ready"
                body = {"state": state, "reason": "bench" if state == "not_ready" else None}
                call = request("PUT", f"/api/v1/agents/{rng.choice(agents)}/presence", supervisor, body)
            await in_flight.acquire()  # a gateway slower than `rate` sets the pace instead of queueing
            task = asyncio.create_task(call)
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
            await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
    except asyncio.CancelledError:
        await asyncio.gather(*pending, return_exceptions=True)
        return sent, time.monotonic() - started


async def _last_seq(page: Page) -> int:
    return int(await page.evaluate("() => Number(document.getElementById('console').dataset.seq || 0)"))


async def measure_browser(config: dict[str, Any], events_per_second: float, seconds: float) -> dict[str, Any]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="helpline-wallboard-") as tmp:
        gateway = _start_gateway(config, Path(tmp), port)
        try:
            await _healthy(base, gateway)
            return await _drive(base, config, events_per_second, seconds)
        finally:
            gateway.terminate()
            gateway.wait(10)


async def _drive(
    base: str, config: dict[str, Any], events_per_second: float, seconds: float
) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, async_playwright() as pw:
        tokens = (await _login(http, base, *SUPERVISOR), await _login(http, base, *INTEGRATION))
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1600, "height": 1000})
        await page.goto(base + "/supervisor")
        await page.get_by_label("User").fill(SUPERVISOR[0])
        await page.get_by_label("Password").fill(SUPERVISOR[1])
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_selector("#queue-rows tr", timeout=60_000)
        await page.evaluate(_OBSERVER)
        # calibrate: events per request, from a short run at a low rate
        seq0 = await _last_seq(page)
        sent, _ = await _run(_traffic(http, base, tokens, config, 20.0), 3.0)
        await asyncio.sleep(2.0)
        per_request = max(1.0, (await _last_seq(page) - seq0) / max(sent, 1))
        await page.evaluate("() => { window.__board = []; window.__long = []; }")
        seq1 = await _last_seq(page)
        rate = events_per_second / per_request
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Performance.enable")
        before, cpu_before = await _renderer(cdp), _cpu_by_process()
        sent, took = await _run(_traffic(http, base, tokens, config, rate), seconds)
        renderer = {k: round((v - before[k]) / took, 3) for k, v in (await _renderer(cdp)).items()}
        cpu = {k: round((v - cpu_before.get(k, 0.0)) / took, 3) for k, v in _cpu_by_process().items()}
        await asyncio.sleep(1.0)
        seq2 = await _last_seq(page)
        drawn = await page.evaluate("() => window.__board")
        long_tasks = await page.evaluate("() => window.__long")
        elements = await page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('*')].reduce((m, e) =>"
            " m.set(e.tagName, (m.get(e.tagName) || 0) + 1), new Map()))"
        )
        samples = [end - start for start, end, _, _ in drawn]
        server = sorted(sent - start for start, _, sent, _ in drawn)
        arrived = sorted(handled - sent for _, _, sent, handled in drawn)  # socket + waiting for the page
        painted = sorted(end - handled for _, end, _, handled in drawn)  # the redraw to the next frame
        await browser.close()
    samples.sort()
    return {
        "events_per_request": round(per_request, 2),
        "requests_per_second": sent / took,
        "events_per_second": (seq2 - seq1) / took,
        "changes_drawn": len(samples),
        "p50_ms": statistics.median(samples) if samples else None,
        "p95_ms": samples[int(0.95 * (len(samples) - 1))] if samples else None,
        "max_ms": samples[-1] if samples else None,
        "server_p50_ms": statistics.median(server) if server else None,  # event -> changes sent
        "server_p95_ms": _p95(server),
        "sent_to_drawn_p50_ms": statistics.median(arrived) if arrived else None,
        "sent_to_drawn_p95_ms": _p95(arrived),
        "drawn_to_frame_p50_ms": statistics.median(painted) if painted else None,
        "drawn_to_frame_p95_ms": _p95(painted),
        "cpu_seconds_per_second": cpu,  # each process's CPU while the traffic ran
        "renderer_per_second": renderer,  # the page's main thread: seconds (counts) per second of traffic
        "elements": elements,
        "long_tasks": len(long_tasks),
        "long_task_ms": round(sum(d for _, d in long_tasks)),
        "long_task_max_ms": round(max((d for _, d in long_tasks), default=0)),
    }


def _cpu_by_process() -> dict[str, float]:
    """CPU seconds so far of this process's descendants, by kind: the gateway, Chromium's renderer, the rest
    of Chromium (browser, GPU, network), Playwright's driver."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    command: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            command[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent[int(entry)] = int(stat[1])
        cpu[int(entry)] = (int(stat[11]) + int(stat[12])) / ticks
    totals: dict[str, float] = {}
    for pid in cpu:
        up = pid
        while up in parent and up != os.getpid():
            up = parent[up]
        if up != os.getpid() or pid == os.getpid():
            continue
        line = command.get(pid, "")
        kind = (
            "gateway"
            if "gateway.cli" in line
            else "chromium_renderer"
            if "--type=renderer" in line
            else "chromium_other"
            if "chromium" in line
            else "playwright_driver"
        )
        totals[kind] = totals.get(kind, 0.0) + cpu[pid]
    return totals


def _p95(ordered: Sequence[float]) -> float | None:
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else None


_RENDERER = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "LayoutCount")


async def _renderer(cdp: Any) -> dict[str, float]:
    """Chromium's counters of the page's main thread (CDP `Performance.getMetrics`)."""
    metrics = (await cdp.send("Performance.getMetrics"))["metrics"]
    return {m["name"]: float(m["value"]) for m in metrics if m["name"] in _RENDERER}


async def _run(traffic: Any, seconds: float) -> tuple[int, float]:
    task = asyncio.ensure_future(traffic)
    await asyncio.sleep(seconds)
    task.cancel()
    result: tuple[int, float] = await task
    return result


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpline bench wallboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--events-per-second", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the browser part drives events")
    parser.add_argument("--cpu-events", type=int, default=100_000, help="events for the CPU part")
    parser.add_argument("--window", type=float, default=0.05, help="the console's push window (CPU part)")
    parser.add_argument("--runs", type=int, default=3, help="passes of the CPU part (medians)")
    parser.add_argument("--cpu-only", action="store_true", help="skip the browser part")
    args = parser.parse_args(argv)
    if args.agents < 1 or args.queues < 1 or args.events_per_second <= 0 or args.seconds <= 0:
        parser.error("--agents, --queues, --events-per-second and --seconds must be > 0")
    tune_collector()  # the gateway's collector: full collections on its timer, not inside the spans timed
    raw = write_config(args.agents, args.queues)
    report: dict[str, Any] = {
        "agents": args.agents,
        "queues": args.queues,
        "load_average": os.getloadavg(),
        "cpu": measure_cpu(parse_config(raw), args.cpu_events, window=args.window, runs=args.runs),
    }
    if not args.cpu_only:
        report["browser"] = asyncio.run(measure_browser(raw, args.events_per_second, args.seconds))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
