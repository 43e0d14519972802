"""Raw Engine.IO / Socket.IO frames at the running server: malformed, oversized, wrong types, reserved names.

Fails when the server answers with a server error, dies, logs a traceback, or its log grows by more than a
bound (one line per misbehaving connection, rate-limited, is what the server promises); afterwards a real
agent socket must still connect and work.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Iterator

import aiohttp
import pytest
import socketio

from tests.integration.server.conftest import Server, login

pytestmark = pytest.mark.timeout(300)

MUTATED_FRAMES = 1500
CONNECTIONS_WITH_MUTATIONS = 15
LOG_GROWTH_BOUND = 30_000  # bytes, for the whole run


def _hand_made(token: str) -> list[str | bytes]:
    """Frames that each broke something once, or could: every packet type, bad JSON, reserved names."""
    deep = "[" * 5000 + "]" * 5000
    return [
        "",
        "x",
        "9",
        "b",
        "b!!!not-base64",
        "4",
        "4x",
        "47",
        "42",
        "42[]",
        "42{}",
        "42null",
        "42[1,2,3]",
        '42["connect"]',
        '42["connect",{"token":"' + token + '"}]',
        '42/agent,["connect",{"token":"' + token + '"}]',
        '42["disconnect"]',
        '42/agent,["accept",{"interaction_id":"x"}]',
        '42/agent,1["reject",{"interaction_id":42}]',
        '42/nope,["x"]',
        "42" + deep,
        '42["accept",1e999]',
        '42["accept",{"interaction_id":"' + "x" * 200_000 + '"}]',
        "40/agent,",
        '40/agent,{"token":5}',
        '40/agent,"token"',
        "40/agent,{broken",
        '40/supervisor,{"token":"' + token + '"}',
        "40/nope,{}",
        "41/agent,",
        '43/agent,7["x"]',
        '44{"message":"from a client"}',
        '45-["x",{"_placeholder":true,"num":0}]',
        '451-/agent,["accept",{"_placeholder":true,"num":0}]',
        '46-/agent,3[{"_placeholder":true,"num":9}]',
        b"\x00\x01\x02\xff\xfe",
        b"\xff" * 70_000,
        "4" + "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"),
    ]


def _mutations(seed_frames: list[str | bytes], count: int, rng: random.Random) -> Iterator[str | bytes]:
    """Truncated, spliced, byte-flipped and repeated versions of the hand-made frames."""
    texts = [f for f in seed_frames if isinstance(f, str) and len(f) < 1000]
    for _ in range(count):
        frame = rng.choice(texts)
        kind = rng.randrange(5)
        if kind == 0 and frame:
            yield frame[: rng.randrange(len(frame))]
        elif kind == 1:
            yield frame + rng.choice(texts)
        elif kind == 2 and frame:
            data = bytearray(frame.encode())
            data[rng.randrange(len(data))] = rng.randrange(256)
            yield bytes(data) if rng.random() < 0.5 else data.decode("utf-8", "replace")
        elif kind == 3:
            yield frame * rng.randrange(2, 50)
        else:
            yield "4" + json.dumps([rng.choice(["accept", "reject", "connect", "x"]), rng.random()])


async def _websocket_session(
    http: aiohttp.ClientSession, server: Server, frames: list[str | bytes], token: str, *, join: bool
) -> None:
    """One Engine.IO websocket connection sending `frames` (after joining /agent when `join`)."""
    url = server.base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    async with http.ws_connect(url, max_msg_size=0) as ws:
        opened = await ws.receive(timeout=10)
        assert opened.type == aiohttp.WSMsgType.TEXT and opened.data.startswith("0"), opened
        if join:
            await ws.send_str('40/agent,{"token":"' + token + '"}')
        for frame in frames:
            if ws.closed:
                return
            try:
                await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
            except (ConnectionResetError, aiohttp.ClientConnectionError):
                return
        with contextlib.suppress(TimeoutError):  # let the server read them before the connection goes
            await asyncio.wait_for(ws.receive(), 0.5)


async def _polling_session(http: aiohttp.ClientSession, server: Server, bodies: list[bytes]) -> list[int]:
    async with http.get(server.base + "/socket.io/?EIO=4&transport=polling") as r:
        assert r.status == 200
        sid = json.loads((await r.text())[1:])["sid"]
    statuses = []
    for body in bodies:
        async with http.post(
            f"{server.base}/socket.io/?EIO=4&transport=polling&sid={sid}",
            data=body,
            headers={"Content-Type": "text/plain"},
        ) as r:
            statuses.append(r.status)
    return statuses


async def test_given_hostile_socket_frames_when_sent_then_the_server_stays_up_quiet_and_usable(
    fuzzed: Server, http: aiohttp.ClientSession
) -> None:
    token = await login(http, fuzzed, "carol")
    log_before = len(fuzzed.log_text().encode())
    rng = random.Random(20261202)
    hand_made = _hand_made(token)

    for join in (False, True):  # each hand-made frame on a fresh connection, unauthenticated and joined
        for frame in hand_made:
            await _websocket_session(http, fuzzed, [frame], token, join=join)
    mutated = list(_mutations(hand_made, MUTATED_FRAMES, rng))
    share = len(mutated) // CONNECTIONS_WITH_MUTATIONS
    for i in range(CONNECTIONS_WITH_MUTATIONS):
        await _websocket_session(http, fuzzed, mutated[i * share : (i + 1) * share], token, join=i % 2 == 1)
    bodies = [f.encode("utf-8", "replace") if isinstance(f, str) else f for f in hand_made[:30]]
    polling = await _polling_session(http, fuzzed, [b"\x1e".join(bodies[i : i + 3]) for i in range(0, 30, 3)])

    assert fuzzed.alive(), fuzzed.log_text()[-3000:]
    assert all(status < 500 for status in polling), polling
    async with http.get(fuzzed.base + "/healthz") as r:
        assert r.status == 200
    log = fuzzed.log_text()
    grown = len(log.encode()) - log_before
    assert "Traceback" not in log, log[-5000:]
    assert grown <= LOG_GROWTH_BOUND, log[-5000:]

    agent = socketio.AsyncClient(reconnection=False)
    states: asyncio.Queue[object] = asyncio.Queue()
    agent.on("state", states.put_nowait, namespace="/agent")
    try:
        await agent.connect(
            fuzzed.base,
            namespaces=["/agent"],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=10,
        )
        await asyncio.wait_for(states.get(), 10)
        answer = await agent.call("accept", {"interaction_id": "none"}, namespace="/agent", timeout=10)
    finally:
        await agent.disconnect()
    assert answer["ok"] is False and answer["error_id"]
