"""Chat benchmark: N concurrent customer/agent pairs over real Socket.IO against a gateway it starts itself
(`helpline serve --no-sip`, SQLite in a temporary directory), every message persisted; then the same load,
from the same client processes, through a bare python-socketio relay (`bench._relay`) as the baseline.

The clients run in `--client-processes` processes (`bench._chat_clients`), so that thousands of Socket.IO
clients are not one event loop that becomes the bottleneck before the server does. Phase 1 (paced): every
customer sends one message every `--interval` s for `--seconds` s; latency is customer send -> agent receive
on the machine's monotonic clock. Phase 2 (flat out): every customer sends its next message as soon as the
previous one is acknowledged, for `--seconds` s; messages/s is what the agents received. Memory per chat: the
server's RSS growth from before the chats to N chats open, / N. Server CPU per message: the server process's
CPU time (user + system, all its threads) during each phase / the messages of that phase, what the server
itself spends whatever the clients take. The clients share the machine with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from argon2 import PasswordHasher

from bench._chat_clients import PER_AGENT, Share, run_share

__all__ = ["main"]


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


def _cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def _shares(kind: str, base: str, n: int, processes: int) -> list[Share]:
    """The chats' customers and agents dealt out over the client processes as evenly as they go."""
    agents = (n + PER_AGENT - 1) // PER_AGENT
    shares, first = [], 0
    for p in range(processes):
        count = n // processes + (1 if p < n % processes else 0)
        mine = tuple(range(p, agents, processes))
        if count or mine:
            shares.append(Share(kind=kind, base=base, agents=mine, first=first, count=count))
        first += count
    return shares


async def _all(pipes: list[Connection]) -> list[Any]:
    """The next report of every client process (a failed one stops the benchmark)."""
    answers = await asyncio.gather(*(asyncio.to_thread(p.recv) for p in pipes))
    for answer in answers:
        if isinstance(answer, dict) and "error" in answer:
            raise SystemExit(f"a client process failed: {answer['error']}")
    return answers


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
    spawn = multiprocessing.get_context("spawn")
    workers: list[Any] = []  # the client processes
    try:
        await _wait_up(health, process)
        rss_before = _rss_kib(process.pid)
        pipes = []
        for share in _shares(kind, base, n, args.client_processes):
            mine, theirs = spawn.Pipe()
            worker = spawn.Process(target=run_share, args=(share, theirs), daemon=True)
            worker.start()
            workers.append(worker)
            pipes.append(mine)
        await _all(pipes)  # agents ready
        for pipe in pipes:
            pipe.send("open")
        await _all(pipes)  # chats open
        rss_open = _rss_kib(process.pid)
        start = time.perf_counter() + 1.0
        for pipe in pipes:
            pipe.send((start, args.interval, args.seconds))
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        cpu = [_cpu_seconds(process.pid)]
        await _all(pipes)  # paced sends all answered
        await asyncio.sleep(1.0)  # their last deliveries arrive
        flat_start = time.perf_counter() + 0.5
        for pipe in pipes:
            pipe.send((flat_start, flat_start + args.seconds))
        await asyncio.sleep(max(0.0, flat_start - time.perf_counter()))
        cpu.append(_cpu_seconds(process.pid))
        await asyncio.sleep(max(0.0, flat_start + args.seconds - time.perf_counter()))
        cpu.append(_cpu_seconds(process.pid))
        reports = await _all(pipes)
    finally:
        for worker in workers:
            await asyncio.to_thread(worker.join, 30)
            if worker.is_alive():
                worker.kill()
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait, 30)
    latencies = [x for r in reports for x in r["latencies"]]
    paced, flat = sum(r["paced_sent"] for r in reports), sum(r["flat"] for r in reports)
    return {
        "server": kind,
        "chats": n,
        "paced_messages": len(latencies),
        "paced_sent": paced,
        "p50_ms": round(_pct(latencies, 0.50), 1),
        "p99_ms": round(_pct(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
        "flat_out_msgs_per_s": round(flat / args.seconds, 1),
        "kib_per_chat": round((rss_open - rss_before) / n, 1),
        "server_cpu_ms_per_msg_paced": round((cpu[1] - cpu[0]) * 1000 / max(paced, 1), 3),
        "server_cpu_ms_per_msg_flat": round((cpu[2] - cpu[1]) * 1000 / max(flat, 1), 3),
        "clients_cpu_ms_per_msg_paced": round(sum(r["cpu_paced"] for r in reports) * 1000 / max(paced, 1), 3),
        "clients_cpu_ms_per_msg_flat": round(sum(r["cpu_flat"] for r in reports) * 1000 / max(flat, 1), 3),
        "load": [round(x, 2) for x in os.getloadavg()],
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
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the clients are spread over (default 2)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = args.chats or [100]
    if any(n < 1 for n in sizes) or args.interval <= 0 or args.seconds <= 0 or args.client_processes < 1:
        raise SystemExit("--chats, --interval, --seconds and --client-processes must be > 0")
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
        f"{'server':9} {'chats':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'msgs/s':>8} {'KiB/chat':>8}",
        end="",
    )
    print(f" {'CPU ms/msg: server paced':>24} {'flat':>6} {'clients paced':>13} {'flat':>6} {'load':>5}")
    for r in results:
        print(f"{r['server']:9} {r['chats']:>6} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['max_ms']:>8}", end="")
        print(f" {r['flat_out_msgs_per_s']:>8} {r['kib_per_chat']:>8}", end="")
        cpu = [
            r[f"{who}_cpu_ms_per_msg_{phase}"] for who in ("server", "clients") for phase in ("paced", "flat")
        ]
        print(f" {cpu[0]:>24} {cpu[1]:>6} {cpu[2]:>13} {cpu[3]:>6} {r['load'][0]:>5}")
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
