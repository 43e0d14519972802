"""The voice service's record of each call: its phase, its legs, what it waits for, and the index of them.

A session is one caller: the call that came in (or, for a callback, the call to be made) and at most one
outbound leg at a time (the ringing or connected agent, or a transfer target). Sessions are touched only
by the service's single actor task, so nothing here needs a lock.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from gateway.acd import CustomerContext
from gateway.ivr import Action, FlowRun, StartQueue
from gateway.voice._digits import DigitBuffer
from gateway.voice._recording import CallTape

__all__ = ["Calls", "Leg", "LegPurpose", "Monitor", "MonitorMode", "Phase", "Playing", "Session"]

_command_ids = itertools.count(1)


class Phase(StrEnum):
    IVR = "ivr"  # the flow runs
    QUEUED = "queued"  # waiting for an agent (an offer may be ringing)
    CONNECTED = "connected"  # bridged to the agent or to a transfer target
    HELD = "held"  # the agent put the caller on hold: music, no bridge
    VOICEMAIL = "voicemail"  # recording a message
    CALLBACK = "callback"  # the caller left; the interaction keeps its place and is dialled back
    ENDED = "ended"


class LegPurpose(StrEnum):
    AGENT = "agent"  # rings an agent's phone for an offer
    CUSTOMER = "customer"  # dials a caller back once an agent took the callback
    TRANSFER = "transfer"  # a blind transfer to a number or URI
    SUPERVISOR = "supervisor"  # a supervisor's phone joining the call (listen / whisper / barge)


class MonitorMode(StrEnum):
    LISTEN = "listen"  # the supervisor hears the caller and the agent; nobody hears the supervisor
    WHISPER = "whisper"  # ... and the agent hears the supervisor; the caller does not
    BARGE = "barge"  # all three hear each other


class Playing(StrEnum):
    NOTHING = "nothing"
    PROMPT = "prompt"  # an IVR prompt: its end answers the flow
    MUSIC = "music"  # music on hold, looping
    ANNOUNCEMENT = "announcement"  # position / wait; music resumes after it
    BEEP = "beep"  # before a voicemail


@dataclass(eq=False, slots=True)
class Leg:
    """A call the gateway dialled out for a session."""

    purpose: LegPurpose
    target: str  # the agent id, or the URI dialled
    worker_id: int
    interaction_id: str | None
    command_id: str = field(default_factory=lambda: f"voice-{next(_command_ids)}")
    call_id: str | None = None
    answered: bool = False
    cancelled: bool = False


@dataclass(eq=False, slots=True)
class Monitor:
    """A supervisor on a connected call: their phone's leg, in the caller's worker, and the one-way audio
    links the worker was told to make for the current mode."""

    supervisor: str
    mode: MonitorMode
    leg: Leg
    agent_leg: Leg  # the agent's leg when the supervisor joined: the monitor ends when it does
    links: frozenset[tuple[str, str]] = frozenset()


@dataclass(eq=False, slots=True)
class Session:
    key: str
    worker_id: int
    caller_call: str | None  # None once the caller's call has ended
    caller: str  # the caller's SIP URI (dialled back for a callback)
    caller_id: str  # the user part: the number the IVR sees as `caller`
    run: FlowRun
    tape: CallTape
    origin: float  # loop time at which the call was answered: recording offsets count from here
    phase: Phase = Phase.IVR
    action: Action | None = None  # the flow's action waiting for its input
    playing: Playing = Playing.NOTHING
    media_token: int = 0  # bumped for each prompt or music started: stale completions are ignored
    timer_token: int = 0
    timer: asyncio.TimerHandle | None = None
    announce: asyncio.TimerHandle | None = None
    buffer: DigitBuffer | None = None
    listening: str | None = None  # the speech recogniser's id for the menu listening to the caller now
    queue: StartQueue | None = None
    music: Path | None = None
    interaction_id: str | None = None  # the current interaction
    customer: CustomerContext | None = None  # who the IVR's lookup found: travels into every queue entered
    held_since: float | None = None  # monotonic time the agent put the caller on hold
    held_total: float = 0.0  # seconds on hold in hold spells that ended
    recorded_for: str | None = None  # the interaction the call's recordings are filed under
    leg: Leg | None = None
    voicemail: Path | None = None
    voicemail_at: datetime | None = None
    voicemail_queue: str | None = None  # where the voicemail goes as work once it is filed
    lost: bool = False  # its media worker died: the recordings are incomplete and dropped
    dialled_by: str | None = None  # click-to-dial: the agent who asked; nobody else may take the call
    ringing: asyncio.Future[None] | None = None  # click-to-dial: resolved once the agent's phone rings
    monitor: Monitor | None = None  # a supervisor listening in (never counted as the session's `leg`)

    def end_hold(self) -> None:
        if self.held_since is not None:
            self.held_total += time.monotonic() - self.held_since
            self.held_since = None

    def held_seconds(self) -> float:
        """Seconds the caller spent on hold with the current agent, a hold still running included."""
        self.end_hold()
        return self.held_total

    def next_media(self, playing: Playing) -> int:
        self.media_token += 1
        self.playing = playing
        return self.media_token

    def cancel_timer(self) -> None:
        self.timer_token += 1
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def cancel_announcements(self) -> None:
        if self.announce is not None:
            self.announce.cancel()
            self.announce = None

    @property
    def gone(self) -> bool:
        """Nothing is left to do for this session: no caller call, no leg, no callback pending."""
        return self.caller_call is None and self.leg is None and self.phase is not Phase.CALLBACK


@dataclass(slots=True)
class Calls:
    """Where each call, interaction and pending dial belongs."""

    sessions: dict[str, Session] = field(default_factory=dict)
    callers: dict[str, Session] = field(default_factory=dict)  # caller call id -> session
    legs: dict[str, tuple[Session, Leg]] = field(default_factory=dict)  # leg call id -> owner
    dialing: dict[str, tuple[Session, Leg]] = field(default_factory=dict)  # command id -> owner
    interactions: dict[str, Session] = field(default_factory=dict)
    orphans: dict[str, Leg] = field(default_factory=dict)  # command id -> a leg dropped before `dialing`

    def add(self, session: Session) -> None:
        self.sessions[session.key] = session
        if session.caller_call is not None:
            self.callers[session.caller_call] = session

    def track_leg(self, session: Session, leg: Leg) -> None:
        session.leg = leg
        self.dialing[leg.command_id] = (session, leg)

    def leg_dialled(self, command_id: str, call_id: str) -> tuple[Session, Leg] | None:
        owner = self.dialing.pop(command_id, None)
        if owner is not None:
            owner[1].call_id = call_id
            self.legs[call_id] = owner
        return owner

    def drop_leg(self, session: Session, leg: Leg) -> None:
        if self.dialing.pop(leg.command_id, None) is not None and leg.call_id is None:
            self.orphans[leg.command_id] = leg  # its call id is still to come, and must be hung up
        if leg.call_id is not None:
            self.legs.pop(leg.call_id, None)
        if session.leg is leg:
            session.leg = None

    def bind_interaction(self, session: Session, interaction_id: str) -> None:
        session.interaction_id = interaction_id
        session.recorded_for = session.recorded_for or interaction_id
        self.interactions[interaction_id] = session

    def forget(self, session: Session) -> None:
        self.sessions.pop(session.key, None)
        if session.caller_call is not None:
            self.callers.pop(session.caller_call, None)
        for iid in [i for i, s in self.interactions.items() if s is session]:
            del self.interactions[iid]
