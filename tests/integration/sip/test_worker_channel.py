"""A malformed frame on the control channel gets an error event; the worker keeps running and answering."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from gateway.sip import Answer, Disconnected, Dtmf, ErrorEvent, Event, Incoming, Ready, encode, parse_event
from tests.integration.sip.conftest import EventLog, Sipp

MALFORMED = [
    (b"this is not json\n", "", "not JSON"),
    (b"[1, 2, 3]\n", "", "must be a JSON object"),
    (b'{"type": "explode", "command_id": "c1"}\n', "c1", "unknown command type 'explode'"),
    (b'{"type": "answer", "command_id": "c2"}\n', "c2", "missing field 'call_id'"),
    (b'{"type": "play", "call_id": 7, "file": "x.wav", "command_id": "c3"}\n', "c3", "expected str"),
    (b'{"type": "hangup", "call_id": "x", "code": 200, "command_id": "c4"}\n', "c4", "code must be"),
    (b'{"type": "answer", "call_id": "nobody", "command_id": "c5"}\n', "c5", "unknown call 'nobody'"),
    (b'{"type": "play", "call_id": "' + b"x" * 70_000 + b'"}\n', "", "exceeds"),
    (b"\xff\xfe\n", "", "not JSON"),
]


class RawWorker:
    """A worker process spoken to byte by byte, as a buggy gateway might."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events = EventLog()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            event: Event = parse_event(line)
            await self.events.add(0, event)
            if isinstance(event, Incoming):
                await self.write(encode(Answer(call_id=event.call_id)).encode())

    async def write(self, frame: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame)
        await self.process.stdin.drain()

    async def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        async with asyncio.timeout(10):
            await self.process.wait()
        await self._reader


@pytest.fixture
async def raw_worker() -> AsyncIterator[RawWorker]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.sip.worker", "--port", "0", "--max-calls", "2",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 20,
    )  # fmt: skip
    worker = RawWorker(process)
    try:
        await worker.events.wait_for(lambda _, e: isinstance(e, Ready))
        yield worker
    finally:
        if process.returncode is None:
            await worker.close()


async def test_given_malformed_frames_when_sent_then_each_gets_an_error_event_and_calls_still_work(
    raw_worker: RawWorker, sipp_caller: Sipp
) -> None:
    for frame, _, _ in MALFORMED:
        await raw_worker.write(frame)
    await raw_worker.events.wait_for(lambda _, e: len(raw_worker.events.of(ErrorEvent)) == len(MALFORMED))

    errors = [e for e in raw_worker.events.of(ErrorEvent) if isinstance(e, ErrorEvent)]
    for error, (_, command_id, message) in zip(errors, MALFORMED, strict=True):
        assert (error.command_id, message in error.message) == (command_id, True), error
    [ready] = raw_worker.events.of(Ready)
    assert isinstance(ready, Ready)
    status, sipp_errors = await sipp_caller.run(
        sipp_caller.scenario("ivr_caller.xml", hold_ms=300), ready.port
    )
    assert status == 0, sipp_errors
    await raw_worker.events.wait_idle(hang_ups=1)  # SIPp may exit on the 200 to its BYE before these
    assert len(raw_worker.events.of(Dtmf)) == 4
    assert len(raw_worker.events.of(Disconnected)) == 1
    assert raw_worker.process.returncode is None


async def test_given_a_worker_when_the_gateway_closes_the_channel_then_it_exits_cleanly(
    raw_worker: RawWorker,
) -> None:
    await raw_worker.close()

    assert raw_worker.process.returncode == 0
