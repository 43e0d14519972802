"""One client process of `helpline bench chat`: a share of the customers and agents, driven through the
phases the parent announces (paced at given clock times, then flat out), reporting what its agents heard.

Customers and agents of one chat may live in different processes: a message carries its send time on the
system-wide monotonic clock (`time.perf_counter`, CLOCK_MONOTONIC on Linux), so the receiving process can
tell its delivery latency.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import socketio

from gateway.collector import tune_collector

__all__ = ["PER_AGENT", "Share", "run_share"]

PER_AGENT = 50  # chats per benchmark agent (capacity units)


@dataclass(frozen=True, slots=True)
class Share:
    """What one process plays: the agents numbered `agents`, customers `first` .. `first + count - 1`."""

    kind: str  # helpline | relay
    base: str
    agents: tuple[int, ...]
    first: int
    count: int


@dataclass
class _Heard:
    paced: list[float] = field(default_factory=list)  # latencies of paced messages, seconds
    flat: int = 0  # flat-out messages received inside the flat-out window
    flat_window: tuple[float, float] = (0.0, 0.0)


def _client() -> socketio.AsyncClient:
    return socketio.AsyncClient(reconnection=False, request_timeout=30)


async def _connect(
    client: socketio.AsyncClient, base: str, namespace: str, auth: dict[str, Any] | None
) -> None:
    # a loaded machine may take seconds to accept a namespace: the client's default wait is 1 s
    await client.connect(base, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=60)


def _listener(heard: _Heard) -> Any:
    async def on_message(data: dict[str, Any]) -> None:
        if data.get("sender") != "customer":
            return
        arrived = time.perf_counter()
        stamp, phase, _ = str(data["text"]).split("|", 2)
        if phase == "paced":
            heard.paced.append(arrived - float(stamp))
        elif heard.flat_window[0] <= arrived < heard.flat_window[1]:
            heard.flat += 1

    return on_message


async def _helpline_agents(share: Share, heard: _Heard) -> list[socketio.AsyncClient]:
    clients: list[socketio.AsyncClient] = []
    async with aiohttp.ClientSession() as http:
        for k in share.agents:
            login = {"username": f"chat{k}", "password": f"chat{k}-bench"}
            async with http.post(f"{share.base}/api/v1/auth/login", json=login) as r:
                token = (await r.json())["token"]
            offers, chat = _client(), _client()

            async def accept(data: dict[str, Any], offers: socketio.AsyncClient = offers) -> None:
                await offers.emit("accept", {"interaction_id": data["interaction_id"]}, namespace="/agent")

            offers.on("offer", accept, namespace="/agent")
            chat.on("message", _listener(heard), namespace="/agent-chat")
            await _connect(offers, share.base, "/agent", {"token": token})
            await _connect(chat, share.base, "/agent-chat", {"token": token})
            async with http.put(
                f"{share.base}/api/v1/agents/chat{k}/presence",
                json={"state": "available"},
                headers={"Authorization": f"Bearer {token}"},
            ) as r:
                assert r.status == 200, await r.text()
            clients += [offers, chat]
    return clients


async def _relay_agents(share: Share, heard: _Heard) -> list[socketio.AsyncClient]:
    clients = []
    for k in share.agents:
        chat = _client()
        chat.on("message", _listener(heard), namespace="/agent-chat")
        await _connect(chat, share.base, "/agent-chat", {"agent": k})
        clients.append(chat)
    return clients


async def _helpline_customers(share: Share) -> list[socketio.AsyncClient]:
    """The share's customers, each with a chat open and its agent joined."""
    customers = [_client() for _ in range(share.count)]
    joined = asyncio.Semaphore(0)
    for c in customers:

        async def agent_joined(data: dict[str, Any]) -> None:
            joined.release()

        c.on("agent_joined", agent_joined, namespace="/chat")
    for batch in range(0, share.count, 50):
        some = customers[batch : batch + 50]
        await asyncio.gather(*(_connect(c, share.base, "/chat", None) for c in some))
        await asyncio.gather(*(_open(c, f"C{share.first + batch + i}") for i, c in enumerate(some)))
    for _ in customers:
        await asyncio.wait_for(joined.acquire(), 600)
    return customers


async def _open(customer: socketio.AsyncClient, name: str) -> None:
    for _ in range(5):
        opened = await customer.call("open", {"entry": "bench", "form": {"name": name}}, "/chat")
        if opened["ok"]:
            return
        if opened.get("error_id") != "database_unavailable":
            break
        await asyncio.sleep(1.0)  # as the widget's user would: try again in a moment
    raise RuntimeError(f"open refused: {opened}")


async def _relay_customers(share: Share) -> list[socketio.AsyncClient]:
    customers = [_client() for _ in range(share.count)]
    for batch in range(0, share.count, 50):
        await asyncio.gather(
            *(
                _connect(c, share.base, "/chat", {"agent": (share.first + batch + i) // PER_AGENT})
                for i, c in enumerate(customers[batch : batch + 50])
            )
        )
    return customers


async def _send(c: socketio.AsyncClient, phase: str, i: int) -> None:
    started = time.perf_counter()
    text = f"{started}|{phase}|customer {i}"
    ack = await c.call(
        "send", {"text": text, "client_id": f"{phase}{i}-{started}"}, namespace="/chat", timeout=60
    )
    if not ack.get("ok"):
        raise RuntimeError(f"send refused: {ack}")


async def _paced(customers: list[socketio.AsyncClient], start: float, interval: float, seconds: float) -> int:
    """Each customer sends every `interval` s from its own offset in the first interval; returns how many."""
    sent = 0
    total = len(customers)

    async def one(i: int, c: socketio.AsyncClient) -> None:
        nonlocal sent
        at = start + interval * i / total  # spread the senders over the interval
        while at < start + seconds:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            await _send(c, "paced", i)
            sent += 1
            at += interval

    await asyncio.gather(*(one(i, c) for i, c in enumerate(customers)))
    return sent


async def _flat_out(customers: list[socketio.AsyncClient], start: float, stop: float) -> None:
    async def one(i: int, c: socketio.AsyncClient) -> None:
        while time.perf_counter() < stop:
            await _send(c, "flat", i)

    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    await asyncio.gather(*(one(i, c) for i, c in enumerate(customers)))


async def _run(share: Share, pipe: Connection) -> None:
    heard = _Heard()
    agents = await (_helpline_agents if share.kind == "helpline" else _relay_agents)(share, heard)
    pipe.send("agents ready")
    await asyncio.to_thread(pipe.recv)  # every process's agents are in: open the chats
    customers = await (_helpline_customers if share.kind == "helpline" else _relay_customers)(share)
    pipe.send("chats open")
    start, interval, seconds = await asyncio.to_thread(pipe.recv)
    cpu = [time.process_time()]
    sent = await _paced(customers, start, interval, seconds)
    # a server that fell behind answers the last paced sends late: the flat-out window starts once every
    # process is done with them, at the time the parent gives
    pipe.send("paced done")
    heard.flat_window = await asyncio.to_thread(pipe.recv)
    await asyncio.sleep(max(0.0, heard.flat_window[0] - time.perf_counter()))
    cpu.append(time.process_time())
    await _flat_out(customers, *heard.flat_window)
    cpu.append(time.process_time())
    await asyncio.sleep(max(0.0, heard.flat_window[1] + 0.5 - time.perf_counter()))
    for c in [*customers, *agents]:
        await c.disconnect()
    report = {"paced_sent": sent, "latencies": heard.paced, "flat": heard.flat}
    pipe.send({**report, "cpu_paced": cpu[1] - cpu[0], "cpu_flat": cpu[2] - cpu[1]})


def run_share(share: Share, pipe: Connection) -> None:
    """A client process's entry point (multiprocessing). Its collector is tuned as the gateway's: with
    CPython's defaults a process of 2,000 sockets stops for 300-450 ms full collections every few seconds,
    which measured the clients, not the server."""
    tune_collector()
    try:
        asyncio.run(_run(share, pipe))
    except BaseException as exc:
        pipe.send({"error": f"{type(exc).__name__}: {exc}"})
        raise
