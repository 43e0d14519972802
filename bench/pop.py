"""Screen-pop benchmark: from the REST call that creates an interaction to its offer card in the browser.

Starts nothing: it drives a running gateway that serves the panel (`--url`). It logs N agents into N
browser contexts of one headless Chromium, creates chats for them over REST (one at a time, then, with
several agents, one for every agent at once) and times each from just before the request to the
offer card entering the agent's page (a MutationObserver) and to the next frame (requestAnimationFrame).
The page's clock is tied to this process's by a round-trip calibration per page.

`--write-config PATH --agents N` writes a gateway configuration with agents pop1..popN, an integration
account and one chat queue without wrap-up, for `helpline serve --config PATH`; the defaults match it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, async_playwright

from bench._pop_config import bench_config

__all__ = ["main"]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Records, in page time (ms since the epoch), when each offer card enters #offers and the frame after.
_OBSERVER = """() => {
  const clock = () => performance.timeOrigin + performance.now();
  window.__pop = { dom: {}, frame: {} };
  new MutationObserver((records) => {
    const at = clock();
    for (const record of records) for (const node of record.addedNodes) {
      const id = node instanceof Element && node.classList.contains("offer") && node.dataset.interactionId;
      if (!id) continue;
      window.__pop.dom[id] = at;
      requestAnimationFrame(() => { window.__pop.frame[id] = clock(); });
    }
  }).observe(document.getElementById("offers"), { childList: true });
}"""


_SETTLE_SECONDS = 0.15


@dataclass(frozen=True, slots=True)
class _Agent:
    user: str
    password: str
    token: str
    page: Page
    offset_ms: float  # page clock minus this process's clock


@dataclass(slots=True)
class _Samples:
    dom: list[float]
    frame: list[float]


class _Gateway:
    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url.rstrip("/")

    async def call(self, token: str, method: str, path: str, body: object = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.url + "/api/v1" + path, json=body, headers=headers) as r:
            answer = await r.json()
            if r.status >= 300:
                raise RuntimeError(f"{method} {path}: {r.status} {answer.get('message', answer)}")
            return answer

    async def login(self, user: str, password: str) -> str:
        answer = await self.call("", "POST", "/auth/login", {"username": user, "password": password})
        return str(answer["token"])


async def _clock_offset(page: Page) -> float:
    """The page clock minus ours, from the tightest of a few round trips."""
    best: tuple[float, float] | None = None
    for _ in range(7):
        before = time.time() * 1000
        seen = float(await page.evaluate("() => performance.timeOrigin + performance.now()"))
        after = time.time() * 1000
        if best is None or after - before < best[0]:
            best = (after - before, seen - (before + after) / 2)
    assert best is not None
    return best[1]


async def _log_in(browser: Browser, gateway: _Gateway, user: str, password: str) -> _Agent:
    page = await (await browser.new_context()).new_page()
    await page.goto(gateway.url + "/agent")
    await page.fill("#login-form input[name=username]", user)
    await page.fill("#login-form input[name=password]", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#panel:not([hidden])")
    await page.select_option("#presence-select", "available")
    await page.wait_for_selector('#presence-state[data-state="available"]')
    await page.evaluate(_OBSERVER)
    token = await gateway.login(user, password)
    return _Agent(user, password, token, page, await _clock_offset(page))


async def _offer(gateway: _Gateway, integration: str, queue: str, agent: _Agent) -> tuple[str, float]:
    body = {"channel": "chat", "queue": queue, "preferred_agent": agent.user, "attributes": {"name": "Bench"}}
    started = time.time() * 1000
    created = await gateway.call(integration, "POST", "/interactions", body)
    return str(created["id"]), started


async def _seen(agent: _Agent, interaction_id: str, started: float) -> tuple[float, float]:
    handle = await agent.page.wait_for_function(
        "id => window.__pop.frame[id] && [window.__pop.dom[id], window.__pop.frame[id]]", arg=interaction_id
    )
    dom, frame = await handle.json_value()
    return dom - agent.offset_ms - started, frame - agent.offset_ms - started


async def _clear(gateway: _Gateway, integration: str, agent: _Agent, interaction_id: str) -> None:
    """Accept in the page, end over REST, and be available again (ends any wrap-up early)."""
    await agent.page.click(f'.offer[data-interaction-id="{interaction_id}"] button.accept')
    await agent.page.wait_for_selector(f'.work-item[data-interaction-id="{interaction_id}"]')
    await gateway.call(integration, "POST", f"/interactions/{interaction_id}/end", {})
    await gateway.call(agent.token, "PUT", f"/agents/{agent.user}/presence", {"state": "available"})


async def _round(
    gateway: _Gateway, integration: str, queue: str, agents: Sequence[_Agent], out: _Samples
) -> None:
    created = await asyncio.gather(*(_offer(gateway, integration, queue, a) for a in agents))
    seen = await asyncio.gather(*(_seen(a, iid, t0) for a, (iid, t0) in zip(agents, created, strict=True)))
    for dom, frame in seen:
        out.dom.append(dom)
        out.frame.append(frame)
    await asyncio.gather(
        *(_clear(gateway, integration, a, iid) for a, (iid, _) in zip(agents, created, strict=True))
    )


def _summary(name: str, samples: _Samples) -> dict[str, object]:
    def pct(values: list[float]) -> dict[str, float]:
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "max": round(max(values), 1)}

    return {
        "mode": name,
        "offers": len(samples.dom),
        "dom_ms": pct(samples.dom),
        "frame_ms": pct(samples.frame),
    }


async def _run(args: argparse.Namespace) -> list[dict[str, object]]:
    users = _users(args)
    async with aiohttp.ClientSession() as http, async_playwright() as pw:
        gateway = _Gateway(http, args.url)
        integration = await gateway.login(*args.integration.split(":", 1))
        browser = await pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            agents: list[_Agent] = []
            for user, password in users:  # one by one: 50 logins at once only measure argon2
                agents.append(await _log_in(browser, gateway, user, password))
            for agent in agents[
                : min(3, len(agents))
            ]:  # warm-up: first-render costs are not the steady state
                await _round(gateway, integration, args.queue, [agent], _Samples([], []))
            results = [await _sequential(gateway, integration, args, agents)]
            if len(agents) > 1:
                results.append(await _burst(gateway, integration, args, agents))
            return results
        finally:
            await browser.close()


async def _sequential(
    gateway: _Gateway, integration: str, args: argparse.Namespace, agents: list[_Agent]
) -> dict[str, object]:
    samples = _Samples([], [])
    for k in range(args.offers):
        await _round(gateway, integration, args.queue, [agents[k % len(agents)]], samples)
    return _summary("one at a time", samples)


async def _burst(
    gateway: _Gateway, integration: str, args: argparse.Namespace, agents: list[_Agent]
) -> dict[str, object]:
    samples = _Samples([], [])
    for _ in range(max(1, args.offers // len(agents))):
        await _round(gateway, integration, args.queue, agents, samples)
    return _summary(f"{len(agents)} at once", samples)


def _users(args: argparse.Namespace) -> list[tuple[str, str]]:
    if args.users:
        pairs = [tuple(u.split(":", 1)) for u in args.users.split(",")]
        if any(len(p) != 2 for p in pairs):
            raise SystemExit("--users: give user:password,user:password...")
        return [(p[0], p[1]) for p in pairs][: args.agents]
    return [(f"pop{n}", f"pop{n}-bench") for n in range(1, args.agents + 1)]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpline bench pop", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the gateway, e.g. http://127.0.0.1:8080")
    parser.add_argument("--agents", type=int, default=1, help="agents logged in, one browser context each")
    parser.add_argument("--offers", type=int, default=100, help="offers measured per mode")
    parser.add_argument(
        "--users", help="user:password,... (default pop1..popN as --write-config writes them)"
    )
    parser.add_argument(
        "--integration", default="popbench:popbench-bench", help="user:password that creates chats"
    )
    parser.add_argument("--queue", default="pop", help="a chat queue every agent can take")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--write-config", type=Path, metavar="PATH", help="write a gateway config for N agents and exit"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _print(results: list[dict[str, object]], agents: int, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"agents": agents, "results": results}))
        return
    print(f"offer -> card, {agents} agent(s) logged in (ms)")
    print(f"{'mode':<16}{'offers':>7}{'DOM p50':>9}{'p95':>8}{'max':>8}{'frame p50':>11}{'p95':>8}{'max':>8}")
    for r in results:
        dom, frame = r["dom_ms"], r["frame_ms"]
        assert isinstance(dom, dict) and isinstance(frame, dict)
        print(
            f"{r['mode']!s:<16}{r['offers']!s:>7}{dom['p50']:>9}{dom['p95']:>8}{dom['max']:>8}"
            f"{frame['p50']:>11}{frame['p95']:>8}{frame['max']:>8}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.agents < 1 or args.offers < 2:
        raise SystemExit("--agents must be >= 1 and --offers >= 2")
    if args.write_config:
        args.write_config.write_text(bench_config(args.agents), encoding="utf-8")
        print(f"wrote {args.write_config}: agents pop1..pop{args.agents}, integration popbench, queue pop")
        return 0
    if not args.url:
        raise SystemExit("--url is required (or --write-config PATH)")
    _print(asyncio.run(_run(args)), args.agents, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
