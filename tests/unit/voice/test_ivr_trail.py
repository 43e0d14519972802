"""The IVR trail reads a real FlowRun as the IVR driver feeds it, and logs the caller's steps: the menu
reached, the option chosen (by keypad or voice), no input / invalid input, and how the caller left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from gateway.acd import IvrStep, IvrStepKind
from gateway.ivr import (
    Action,
    CallerHungUp,
    DigitsCollected,
    FlowRun,
    Input,
    MediaDone,
    NoInput,
    QueueExit,
    QueueExited,
    SpeechRecognized,
    parse_flows,
)
from gateway.voice._recording import CallTape
from gateway.voice._session import Session
from gateway.voice._trail import IvrTrail

FLOWS = parse_flows(
    yaml.safe_load("""
main:
  - say: Welcome.
  - id: menu
    menu:
      prompt: "Press 1 for billing, or say support."
      options: {'1': billing, '2': {goto: support, speech: [support]}}
      timeout: 5
      retries: 1
billing:
  - collect: {attribute: account, prompt: "Your account, then hash.", min_length: 2, max_length: 4,
              terminator: '#', timeout: 5, retries: 0}
  - queue: billing
support:
  - queue: support
"""),
    queues={"billing", "support"},
    business_hours=set(),
)
K = IvrStepKind


class Log:
    def __init__(self) -> None:
        self.batches: list[list[IvrStep]] = []

    async def record_ivr(self, steps: Sequence[IvrStep]) -> None:
        self.batches.append(list(steps))


class Walk:
    """One call walking the flow the way the IVR driver feeds it, its trail logged in `log`."""

    def __init__(self, folder: Path) -> None:
        now = datetime.now(UTC)
        run = FlowRun(FLOWS, "main", caller="+15550100", now=now, is_open=lambda _h, _n: True)
        tape = CallTape(folder=folder, started_at=now)
        self.session = Session("call-1", 0, "call-1", "sip:+15550100@x", "+15550100", run, tape, 0.0)
        self.log = Log()
        self.trail = IvrTrail(self.log, FLOWS)

    async def start(self) -> Action:
        action = self.session.run.start()
        await self.trail.saw(self.session, None, action)
        return action

    async def feed(self, event: Input) -> Action:
        action = self.session.run.feed(event)
        await self.trail.saw(self.session, event, action)
        return action

    def steps(self) -> list[tuple[str, str, str, str | None, str | None, str | None]]:
        return [
            (s.kind, s.node, s.verb, s.option or s.left, s.by, s.queue) for b in self.log.batches for s in b
        ]


@pytest.fixture
def walk(tmp_path: Path) -> Walk:
    return Walk(tmp_path)


async def test_given_a_wrong_key_then_a_spoken_option_then_the_trail_shows_both_and_the_queue_left_for(
    walk: Walk,
) -> None:
    await walk.start()
    await walk.feed(MediaDone())
    await walk.feed(DigitsCollected("7"))
    await walk.feed(SpeechRecognized("support please"))
    await walk.feed(QueueExited(QueueExit.ANSWERED))

    assert walk.steps() == [
        (K.STARTED, "main", "", None, None, None),
        (K.REACHED, "main[0]", "say", None, None, None),
        (K.REACHED, "main.menu", "menu", None, None, None),
        (K.INVALID_INPUT, "main.menu", "menu", None, "dtmf", None),
        (K.CHOSE, "main.menu", "menu", "2", "speech", None),
        (K.REACHED, "support[0]", "queue", None, None, None),
        (K.LEFT, "support[0]", "queue", "queue", None, "support"),
    ]
    assert all(s.call == "call-1" and s.interaction_id is None for b in walk.log.batches for s in b)


async def test_given_a_hang_up_at_the_account_prompt_then_the_trail_says_where(
    walk: Walk,
) -> None:
    await walk.start()
    await walk.feed(MediaDone())
    await walk.feed(DigitsCollected("1"))
    await walk.feed(CallerHungUp())

    assert walk.steps()[-3:] == [
        (K.CHOSE, "main.menu", "menu", "1", "dtmf", None),
        (K.REACHED, "billing[0]", "collect", None, None, None),
        (K.LEFT, "billing[0]", "collect", "hung_up", None, None),
    ]


async def test_given_silence_twice_then_two_no_inputs_and_the_flow_hangs_up_at_the_menu(walk: Walk) -> None:
    await walk.start()
    await walk.feed(MediaDone())
    await walk.feed(NoInput())
    await walk.feed(NoInput())

    assert walk.steps()[-3:] == [
        (K.NO_INPUT, "main.menu", "menu", None, None, None),
        (K.NO_INPUT, "main.menu", "menu", None, None, None),
        (K.LEFT, "main.menu", "menu", "hangup", None, None),
    ]


async def test_given_a_caller_gone_to_a_queue_when_they_hang_up_there_then_no_ivr_hang_up_is_logged(
    walk: Walk,
) -> None:
    await walk.start()
    await walk.feed(MediaDone())
    await walk.feed(DigitsCollected("2"))
    left = len(walk.steps())
    await walk.feed(CallerHungUp())

    assert len(walk.steps()) == left  # an abandon in the queue: the routing events count it
    assert walk.steps()[-1][0] == K.LEFT


async def test_given_the_log_fails_then_the_call_goes_on(walk: Walk) -> None:
    class Broken:
        async def record_ivr(self, steps: Sequence[IvrStep]) -> None:
            raise RuntimeError("database gone")

    walk.trail = IvrTrail(Broken(), FLOWS)

    await walk.start()
    action = await walk.feed(MediaDone())

    assert not walk.session.run.finished and action is not None
