"""SIP guard benchmark: what a media worker's guard adds per datagram, in CPU time and in latency.

CPU: the guard's own code (`Guard.on_datagram`: check, remember the sender, add `rport`, send) on a
caller's INVITE with SDP, an ACK and a BYE, and pjsua's answer going back (`cpu_*_us`), timed with
`time.process_time` over `--datagrams` of each, on loopback sockets.

Latency: OPTIONS round trips from a caller to two real media workers, one guarded and one not, alternated
request by request so both see the same machine load (`rtt_*_us`, medians and 95th percentiles).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from bench.sip._scenarios import free_udp_ports
from gateway.sip import Event, WorkerPool
from gateway.sip._guard import Guard, bind

__all__ = ["main", "run"]

_SDP = (
    "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)


def _request(method: str, port: int, n: int, *, to_tag: str = "", body: str = "") -> bytes:
    content = "Content-Type: application/sdp\r\n" if body else ""
    return (
        f"{method} sip:support@127.0.0.1:5080 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{n}-{method}\r\n"
        f"From: <sip:caller@127.0.0.1:{port}>;tag=c{n}\r\n"
        f"To: <sip:support@127.0.0.1:5080>{to_tag}\r\n"
        f"Call-ID: bench-{n}@127.0.0.1\r\n"
        f"CSeq: 1 {method}\r\n"
        f"Contact: <sip:caller@127.0.0.1:{port}>\r\n"
        "Max-Forwards: 70\r\n"
        f"{content}Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def cpu_per_datagram(datagrams: int) -> dict[str, float]:
    """Mean CPU microseconds of `Guard.on_datagram` per kind of datagram."""
    guard_sock, pjsua, caller = (bind("127.0.0.1", 0) for _ in range(3))
    try:
        inner = pjsua.getsockname()
        port = caller.getsockname()[1]
        guard = Guard(guard_sock, inner)
        kinds: dict[str, Callable[[int], bytes]] = {
            "invite": lambda n: _request("INVITE", port, n, to_tag=";tag=w", body=_SDP),
            "ack": lambda n: _request("ACK", port, n, to_tag=";tag=w"),
            "bye": lambda n: _request("BYE", port, n, to_tag=";tag=w"),
        }
        result = {}
        for name, build in kinds.items():
            messages = [build(n) for n in range(datagrams)]
            started = time.process_time()
            for message in messages:
                guard.on_datagram(message, ("127.0.0.1", port))
            result[f"cpu_{name}_us"] = (time.process_time() - started) / datagrams * 1e6
            _drain(pjsua)
        answers = [
            f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};rport={port};received=127.0.0.1;"
            f"branch=z9hG4bK-{n}-BYE\r\nCall-ID: bench-{n}@127.0.0.1\r\nCSeq: 1 BYE\r\n"
            "Content-Length: 0\r\n\r\n".encode()
            for n in range(datagrams)
        ]
        started = time.process_time()
        for answer in answers:
            guard.on_datagram(answer, (inner[0], inner[1]))
        result["cpu_answer_back_us"] = (time.process_time() - started) / datagrams * 1e6
        return result
    finally:
        for sock in (guard_sock, pjsua, caller):
            sock.close()


def _drain(sock: socket.socket) -> None:
    while True:
        try:
            sock.recv(65535)
        except BlockingIOError:
            return


async def round_trips(rounds: int) -> dict[str, float]:
    """OPTIONS round trips to a guarded and an unguarded worker, alternated; medians and p95, in us."""
    pools = []
    for guard in (True, False):
        pool = WorkerPool(
            size=1, base_port=free_udp_ports(1), on_event=_refuse_calls, on_worker_lost=_ignore, guard=guard
        )
        await pool.start()
        pools.append(pool)
    try:
        caller = bind("127.0.0.1", 0)
        caller.setblocking(True)
        caller.settimeout(2.0)
        times: dict[str, list[float]] = {"guarded": [], "unguarded": []}
        for n in range(rounds):
            for name, pool in zip(times, pools, strict=True):
                times[name].append(
                    await asyncio.to_thread(_options_round_trip, caller, pool.status()[0].port, n)
                )
        caller.close()
    finally:
        for pool in pools:
            await pool.stop()
    result = {}
    for name, samples in times.items():
        result[f"rtt_{name}_p50_us"] = statistics.median(samples) * 1e6
        result[f"rtt_{name}_p95_us"] = statistics.quantiles(samples, n=20)[-1] * 1e6
    result["rtt_added_p50_us"] = result["rtt_guarded_p50_us"] - result["rtt_unguarded_p50_us"]
    return result


def _options_round_trip(caller: socket.socket, port: int, n: int) -> float:
    request = _request("OPTIONS", caller.getsockname()[1], n).replace(
        b"bench-", secrets.token_hex(4).encode()
    )
    started = time.perf_counter()
    caller.sendto(request, ("127.0.0.1", port))
    caller.recv(65535)
    return time.perf_counter() - started


async def _refuse_calls(worker_id: int, event: Event) -> None:
    del worker_id, event  # the benchmark sends no calls


async def _ignore(worker_id: int, call_ids: tuple[str, ...]) -> None:
    del worker_id, call_ids


def run(datagrams: int, rounds: int) -> dict[str, float | int | str]:
    result: dict[str, float | int | str] = {"datagrams": datagrams, "rounds": rounds}
    result.update({k: round(v, 1) for k, v in cpu_per_datagram(datagrams).items()})
    if rounds:
        result.update({k: round(v, 1) for k, v in asyncio.run(round_trips(rounds)).items()})
    result["load_average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpline bench sip-guard", description=__doc__)
    parser.add_argument("--datagrams", type=int, default=5000, help="datagrams of each kind for the CPU part")
    parser.add_argument(
        "--rounds", type=int, default=500, help="OPTIONS round trips to each worker (0: none)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    result = run(args.datagrams, args.rounds)
    if args.json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
