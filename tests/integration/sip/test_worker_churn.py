"""Churn: prompts that end, prompts cut short, recordings, and agent legs cancelled while they ring.

Worker 0 answers each caller, plays the prompt (recording every other call) and dials an agent leg to
worker 1, which never answers; the leg is cancelled 0 to 0.8 s later. Long callers outlast the prompt,
short ones hang up in the middle of it. Neither worker may crash, and every call's events must arrive.
"""

from __future__ import annotations

import asyncio
import itertools
import wave
from collections.abc import Sequence
from pathlib import Path

from gateway.sip import (
    Answer,
    Dialing,
    Disconnected,
    ErrorEvent,
    Event,
    Hangup,
    Incoming,
    Load,
    MakeCall,
    MediaEnded,
    Play,
    RecordStart,
    Rejected,
    StopPlay,
    WorkerPool,
)
from tests.integration.sip.conftest import Sipp, free_udp_ports

IVR, AGENTS = 0, 1
LONG_HOLD_MS, SHORT_HOLD_MS = 3000, 400
CANCEL_AFTER = (0.0, 0.05, 0.3, 0.8)  # seconds from `dialing` to the agent leg's hangup
STOP_PLAY_AFTER = 1.0  # every fourth long caller has its prompt stopped this early


class Churn:
    """The gateway's side: answers, plays, records, dials and cancels; remembers when each event came."""

    def __init__(self, prompt: Path, recordings: Path, base_port: int) -> None:
        self.prompt = prompt
        self.recordings = recordings
        self.seen: list[tuple[float, int, Event]] = []
        self.pool = WorkerPool(
            size=2, base_port=base_port, on_event=self.on_event, on_worker_lost=self.on_worker_lost
        )
        self.lost: list[tuple[int, tuple[str, ...]]] = []
        self.agent_uri = f"sip:agent@127.0.0.1:{base_port + AGENTS}"
        self.stopped_prompts: set[str] = set()
        self.changed = asyncio.Condition()
        self._callers = itertools.count()
        self._delays = itertools.cycle(CANCEL_AFTER)
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_worker_lost(self, worker_id: int, call_ids: tuple[str, ...]) -> None:
        async with self.changed:
            self.lost.append((worker_id, call_ids))
            self.changed.notify_all()

    async def on_event(self, worker_id: int, event: Event) -> None:
        async with self.changed:
            self.seen.append((asyncio.get_running_loop().time(), worker_id, event))
            self.changed.notify_all()
        if worker_id == IVR and isinstance(event, Incoming):
            await self._serve_caller(event)
        elif worker_id == IVR and isinstance(event, Dialing):
            self._later(next(self._delays), Hangup(call_id=event.call_id))
        # Worker 1 (the agents' phone) never answers: its calls end when worker 0 cancels them.

    async def _serve_caller(self, incoming: Incoming) -> None:
        number, call_id = next(self._callers), incoming.call_id
        await self.pool.send(IVR, Answer(call_id=call_id))
        await self.pool.send(IVR, Play(call_id=call_id, file=str(self.prompt)))
        if number % 2 == 0:
            path = self.recordings / f"{call_id}.wav"
            await self.pool.send(IVR, RecordStart(call_id=call_id, path=str(path)))
        await self.pool.send(IVR, MakeCall(uri=self.agent_uri, command_id=f"agent-{number}"))
        if number % 4 == 1 and hold_ms(incoming) == LONG_HOLD_MS:
            self.stopped_prompts.add(call_id)
            self._later(STOP_PLAY_AFTER, StopPlay(call_id=call_id))

    def _later(self, delay: float, command: Hangup | StopPlay) -> None:
        async def send() -> None:
            await asyncio.sleep(delay)
            await self.pool.send(IVR, command)

        task = asyncio.create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def settled(self) -> bool:
        """Every call that began has ended (callers and agent legs on worker 0, agent calls on worker 1),
        or a worker died and they never will."""
        if self.lost:
            return True
        ivr_calls = len(self.events(Incoming, IVR)) + len(self.events(Dialing, IVR))
        return (
            len(self.events(Disconnected, IVR)) == ivr_calls
            and len(self.events(Disconnected, AGENTS)) == len(self.events(Incoming, AGENTS))
            and self._idle(IVR)
            and self._idle(AGENTS)
        )

    def _idle(self, worker_id: int) -> bool:
        """The worker's last word was its load with no call active (it sends each `Disconnected` first)."""
        loads = [e for _, w, e in self.seen if w == worker_id and isinstance(e, Disconnected | Load)]
        return not loads or (isinstance(loads[-1], Load) and loads[-1].active == 0)

    def events(self, kind: type[Event], worker_id: int) -> list[Event]:
        return [e for _, w, e in self.seen if w == worker_id and isinstance(e, kind)]

    def first(self, kind: type[Event], worker_id: int, call_id: str) -> float | None:
        times = [t for t, w, e in self.seen if w == worker_id and isinstance(e, kind) and _id(e) == call_id]
        return times[0] if times else None


def hold_ms(incoming: Incoming) -> int:
    return int(dict(incoming.headers).get("X-Helpline-Hold", "0"))


def _id(event: Event) -> str:
    return str(getattr(event, "call_id", ""))


def _call_ids(events: Sequence[Event]) -> list[str]:
    return [_id(e) for e in events]


async def test_given_call_churn_when_prompts_end_and_ringing_agent_legs_are_cancelled_then_no_worker_crashes(
    prompt_wav: Path, sipp_caller: Sipp, tmp_path: Path
) -> None:
    with wave.open(str(prompt_wav)) as prompt:
        prompt_seconds = prompt.getnframes() / prompt.getframerate()
    assert SHORT_HOLD_MS / 1000 + 1 < prompt_seconds < LONG_HOLD_MS / 1000 - 0.5
    base_port = free_udp_ports(2)
    churn = Churn(prompt_wav, tmp_path, base_port)
    await churn.pool.start()
    try:
        pids = [status.pid for status in churn.pool.status()]
        started = asyncio.get_running_loop().time()
        callers = [
            await sipp_caller.start(
                sipp_caller.scenario("stress_caller.xml", hold_ms=hold), base_port + IVR, calls=calls,
                concurrent=3, max_seconds=45,
            )
            for hold, calls in ((LONG_HOLD_MS, 18), (SHORT_HOLD_MS, 90))
        ]  # fmt: skip
        outcomes = [await caller.communicate() for caller in callers]
        async with asyncio.timeout(10), churn.changed:
            await churn.changed.wait_for(churn.settled)
        elapsed = asyncio.get_running_loop().time() - started
        statuses = churn.pool.status()
    finally:
        await churn.pool.stop()

    assert churn.lost == []
    assert [(s.pid, s.restarts) for s in statuses] == [(pid, 0) for pid in pids]
    for caller, (_, stderr) in zip(callers, outcomes, strict=True):
        assert caller.returncode == 0, stderr.decode(errors="replace") + sipp_caller.errors()
    assert churn.events(ErrorEvent, IVR) + churn.events(ErrorEvent, AGENTS) == []
    assert churn.events(Rejected, IVR) + churn.events(Rejected, AGENTS) == []

    incoming = [e for e in churn.events(Incoming, IVR) if isinstance(e, Incoming)]
    dialing = _call_ids(churn.events(Dialing, IVR))
    ended = _call_ids(churn.events(MediaEnded, IVR))
    assert len(incoming) == 18 + 90 and len(dialing) == len(incoming)
    assert sorted(_call_ids(churn.events(Disconnected, IVR))) == sorted(_call_ids(incoming) + dialing)
    assert sorted(_call_ids(churn.events(Disconnected, AGENTS))) == sorted(
        _call_ids(churn.events(Incoming, AGENTS))
    )
    assert len(churn.events(Incoming, AGENTS)) == len(dialing)
    assert not set(ended) & set(dialing)
    for call in incoming:
        played_to_the_end = hold_ms(call) == LONG_HOLD_MS and call.call_id not in churn.stopped_prompts
        assert ended.count(call.call_id) == (1 if played_to_the_end else 0), call
        if played_to_the_end:
            answered, prompt_ended = (
                churn.first(Incoming, IVR, call.call_id),
                churn.first(MediaEnded, IVR, call.call_id),
            )
            hung_up = churn.first(Disconnected, IVR, call.call_id)
            assert answered is not None and prompt_ended is not None and hung_up is not None
            assert prompt_seconds - 0.2 < prompt_ended - answered < prompt_seconds + 1.0, call
            assert prompt_ended < hung_up
    assert churn.events(Load, IVR)[-1] == Load(active=0, limit=statuses[IVR].limit)
    assert elapsed < 50
    print(
        f"churn: {len(incoming)} callers ({len(ended)} prompts played out), {len(dialing)} agent legs "
        f"cancelled while ringing, {elapsed:.1f} s, worker pids unchanged {pids}"
    )
