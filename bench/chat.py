"""Chat benchmark: N concurrent customer/agent pairs over real Socket.IO against a gateway it starts itself
(`helpline serve --no-sip`, SQLite in a temporary directory), every message persisted; then the same load
through a bare python-socketio relay (`bench._relay`) on the same machine as the baseline.

Phase 1 (paced): every customer sends one message every `--interval` s for `--seconds` s; latency is customer
send -> agent receive (both clients live in this process, one clock). Phase 2 (flat out): every customer
sends its next message as soon as the previous one is acknowledged, for `--seconds` s; messages/s is what
the agents received. Memory per chat: the gateway's RSS growth from before the chats to N chats open, / N.
The clients share the machine with the server: on a small machine they take part of its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
import yaml
from argon2 import PasswordHasher

__all__ = ["main"]

PER_AGENT = 50  # chats per benchmark agent (capacity units)


def _config(agents: int) -> str:
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    users: list[dict[str, Any]] = [
        {
            "id": f"chat{n}",
            "name": f"Chat Agent {n}",
            "role": "agent",
            "password_hash": hasher.hash(f"chat{n}-bench"),
            "skills": {"chat": 5},
            "capacity": {"total": PER_AGENT, "chat": 1, "voice": PER_AGENT},
        }
        for n in range(agents)
    ]
    users.append(
        {"id": "boss", "name": "Bench boss", "role": "supervisor", "password_hash": hasher.hash("boss-bench")}
    )
    config = {
        "users": users,
        "skills": [{"id": "chat", "name": "Chat"}],
        "queues": [
            {
                "id": "chat",
                "name": "Chat",
                "channel": "chat",
                "skills": [{"skill": "chat"}],
                "wrap_up_seconds": 0,
            }
        ],
        "chat": {
            "rate_limit": {"messages": 10_000, "per_seconds": 1},
            "open_rate_limit": {"messages": 10_000, "per_seconds": 1},
            "entries": [{"id": "bench", "queue": "chat", "fields": [{"name": "name", "label": "Name"}]}],
        },
    }
    return yaml.safe_dump(config, sort_keys=False)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class _Run:
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    sent: int = 0
    measuring: bool = False


def _client() -> socketio.AsyncClient:
    return socketio.AsyncClient(reconnection=False, request_timeout=30)


async def _connect(
    client: socketio.AsyncClient, base: str, namespace: str, auth: dict[str, Any] | None
) -> None:
    # a loaded machine may take seconds to accept a namespace: the client's default wait is 1 s
    await client.connect(base, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=60)


async def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}")
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def _on_message(run: _Run) -> Any:
    async def heard(data: dict[str, Any]) -> None:
        if data.get("sender") != "customer":
            return
        sent_at = float(str(data["text"]).split("|", 1)[0])
        run.received += 1
        if run.measuring:
            run.latencies.append(time.perf_counter() - sent_at)

    return heard


async def _helpline_pairs(
    base: str, n: int, run: _Run
) -> tuple[list[socketio.AsyncClient], list[socketio.AsyncClient]]:
    agents: list[socketio.AsyncClient] = []
    chats_open = asyncio.Event()
    assigned = 0
    async with aiohttp.ClientSession() as http:
        for k in range((n + PER_AGENT - 1) // PER_AGENT):
            async with http.post(
                f"{base}/api/v1/auth/login", json={"username": f"chat{k}", "password": f"chat{k}-bench"}
            ) as r:
                token = (await r.json())["token"]
            offers, chat = _client(), _client()

            async def accept(data: dict[str, Any], offers: socketio.AsyncClient = offers) -> None:
                await offers.emit("accept", {"interaction_id": data["interaction_id"]}, namespace="/agent")

            async def got_chat(data: dict[str, Any]) -> None:
                nonlocal assigned
                assigned += 1
                if assigned == n:
                    chats_open.set()

            offers.on("offer", accept, namespace="/agent")
            chat.on("chat", got_chat, namespace="/agent-chat")
            chat.on("message", _on_message(run), namespace="/agent-chat")
            await _connect(offers, base, "/agent", {"token": token})
            await _connect(chat, base, "/agent-chat", {"token": token})
            async with http.put(
                f"{base}/api/v1/agents/chat{k}/presence",
                json={"state": "available"},
                headers={"Authorization": f"Bearer {token}"},
            ) as r:
                assert r.status == 200, await r.text()
            agents += [offers, chat]
    customers = [_client() for _ in range(n)]
    for batch in range(0, n, 50):
        await asyncio.gather(*(_connect(c, base, "/chat", None) for c in customers[batch : batch + 50]))
        opened = await asyncio.gather(
            *(
                c.call("open", {"entry": "bench", "form": {"name": f"C{i}"}}, namespace="/chat")
                for i, c in enumerate(customers[batch : batch + 50])
            )
        )
        assert all(o["ok"] for o in opened), opened[:3]
    await asyncio.wait_for(chats_open.wait(), 600)
    return customers, agents


async def _relay_pairs(
    base: str, n: int, run: _Run
) -> tuple[list[socketio.AsyncClient], list[socketio.AsyncClient]]:
    agents = []
    for k in range((n + PER_AGENT - 1) // PER_AGENT):
        chat = _client()
        chat.on("message", _on_message(run), namespace="/agent-chat")
        await _connect(chat, base, "/agent-chat", {"agent": k})
        agents.append(chat)
    customers = [_client() for _ in range(n)]
    for batch in range(0, n, 50):
        await asyncio.gather(
            *(
                _connect(c, base, "/chat", {"agent": (batch + i) // PER_AGENT})
                for i, c in enumerate(customers[batch : batch + 50])
            )
        )
    return customers, agents


async def _paced(customers: list[socketio.AsyncClient], run: _Run, interval: float, seconds: float) -> None:
    async def one(i: int, c: socketio.AsyncClient) -> None:
        await asyncio.sleep(interval * i / len(customers))  # spread the senders over the interval
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await c.call(
                "send",
                {"text": f"{started}|paced {i}", "client_id": f"p{i}-{started}"},
                namespace="/chat",
                timeout=60,
            )
            run.sent += 1
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))

    run.measuring = True
    await asyncio.gather(*(one(i, c) for i, c in enumerate(customers)))
    await asyncio.sleep(1.0)
    run.measuring = False


async def _flat_out(customers: list[socketio.AsyncClient], run: _Run, seconds: float) -> float:
    stop = time.perf_counter() + seconds
    received_before = run.received

    async def one(i: int, c: socketio.AsyncClient) -> None:
        while time.perf_counter() < stop:
            now = time.perf_counter()
            await c.call(
                "send", {"text": f"{now}|flat {i}", "client_id": f"f{i}-{now}"}, namespace="/chat", timeout=60
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(i, c) for i, c in enumerate(customers)))
    return (run.received - received_before) / (time.perf_counter() - started)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _spawn(kind: str, n: int, workdir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """The server under test: the gateway or the bare relay, on a free port; its base URL and health URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (workdir / f"{kind}.log").open("wb")
    if kind == "helpline":
        config = workdir / "helpline.yaml"
        config.write_text(_config((n + PER_AGENT - 1) // PER_AGENT), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "gateway.cli",
            "serve",
            "--config",
            str(config),
            "--http-port",
            str(port),
            "--data-dir",
            str(workdir / "data"),
            "--no-sip",
            "--log-level",
            "WARNING",
        ]
        health = base + "/healthz"
    else:
        command = [sys.executable, "-m", "bench._relay", str(port)]
        health = base + "/socket.io/?EIO=4&transport=polling"
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1])
    log.close()
    return process, base, health


async def _measure(kind: str, n: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    process, base, health = _spawn(kind, n, workdir)
    run = _Run()
    try:
        await _wait_up(health, process)
        rss_before = _rss_kib(process.pid)
        pairs = _helpline_pairs if kind == "helpline" else _relay_pairs
        customers, agents = await pairs(base, n, run)
        rss_open = _rss_kib(process.pid)
        await _paced(customers, run, args.interval, args.seconds)
        rate = await _flat_out(customers, run, args.seconds)
        for c in [*customers, *agents]:
            await c.disconnect()
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)
    return {
        "server": kind,
        "chats": n,
        "paced_messages": len(run.latencies),
        "p50_ms": round(_pct(run.latencies, 0.50), 1),
        "p99_ms": round(_pct(run.latencies, 0.99), 1),
        "max_ms": round(max(run.latencies, default=float("nan")) * 1000, 1),
        "flat_out_msgs_per_s": round(rate, 1),
        "kib_per_chat": round((rss_open - rss_before) / n, 1),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline bench chat", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--chats", type=int, action="append", help="concurrent pairs (repeat for several runs); default 100"
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between a customer's messages (paced phase)"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = args.chats or [100]
    if any(n < 1 for n in sizes) or args.interval <= 0 or args.seconds <= 0:
        raise SystemExit("--chats, --interval and --seconds must be > 0")
    results = []
    with tempfile.TemporaryDirectory(prefix="helpline-bench-chat-") as tmp:
        for n in sizes:
            for kind in ("helpline", "relay"):
                workdir = Path(tmp) / f"{kind}-{n}"
                workdir.mkdir()
                results.append(asyncio.run(_measure(kind, n, args, workdir)))
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"results": results, "load": load}, indent=2))
        return 0
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")
    print(
        f"{'server':9} {'chats':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'msgs/s':>9} {'KiB/chat':>9}"
    )
    for r in results:
        figures = [r[k] for k in ("chats", "p50_ms", "p99_ms", "max_ms")]
        print(f"{r['server']:9} " + " ".join(f"{v:>8}" for v in figures), end=" ")
        print(f"{r['flat_out_msgs_per_s']:>9} {r['kib_per_chat']:>9}")
    for n in sizes:
        mine = next(r for r in results if r["server"] == "helpline" and r["chats"] == n)
        relay = next(r for r in results if r["server"] == "relay" and r["chats"] == n)
        ratio = (
            mine["flat_out_msgs_per_s"] / relay["flat_out_msgs_per_s"]
            if relay["flat_out_msgs_per_s"]
            else float("nan")
        )
        print(f"N={n}: helpline moves {ratio:.2f}x the bare relay's messages/s (persisting every message)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
