"""Routing invariants under random sequences of arrivals, presence changes, answers, timeouts and hang-ups.

Checked after every step:
- exactly-once: an interaction is held by at most one agent, and only while offered or assigned;
- capacity: no agent holds more units than it has, nor mixes exclusive (voice) work with anything;
- nothing lost: every interaction ever sent is waiting, offered, assigned, or ended with a reason;
- no idle match: no waiting interaction has an eligible agent that is available with room for it, and
  an interaction with an `only_agent` has no other eligible agent at all;
- FIFO: when an interaction X of queue Q is offered to agent A, no interaction Y waiting in Q that A could
  take has a higher effective priority, or the same effective priority and an earlier (enqueue time,
  arrival); this is checked on a shadow router at the instant of each OFFERED event, as is that an
  interaction with an `only_agent` is offered to that agent and nobody else;
- replay: the shadow router, fed only the event log (through JSON, as stored), has the same snapshot as the
  live one.
"""

from __future__ import annotations

import json

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gateway.acd import (
    AgentSpec,
    Channel,
    Event,
    EventType,
    ExclusionReason,
    ExitAction,
    ExitKind,
    InteractionState,
    NewInteraction,
    NotOffered,
    Presence,
    QueueMember,
    QueueSpec,
    RelaxationKind,
    RelaxationStep,
    Router,
    SkillRequirement,
    Strategy,
)
from gateway.acd._matching import effective_priority, exclusion, unavailability
from gateway.acd._model import Interaction

from .helpers import T0

QUEUES = [
    QueueSpec(
        id="billing",
        name="Billing",
        skills=(SkillRequirement("billing", 5),),
        priority_aging_seconds=15,
        wrap_up_seconds=5,
        offer_timeout_seconds=10,
        max_wait_seconds=120,
        max_wait_exit=ExitAction(ExitKind.OVERFLOW, queue="general"),
        relaxation=(
            RelaxationStep(20, RelaxationKind.LOWER_LEVEL, skill="billing", to_level=2),
            RelaxationStep(40, RelaxationKind.DROP_PREFERRED),
        ),
    ),
    QueueSpec(
        id="chat",
        name="Chat",
        channel=Channel.CHAT,
        strategy=Strategy.LEAST_OCCUPIED,
        max_length=6,
        members=(QueueMember("a1"), QueueMember("a2", priority=1), QueueMember("a3", weight=2)),
        max_wait_seconds=90,
        max_wait_exit=ExitAction(ExitKind.CALLBACK),
        offer_timeout_seconds=15,
    ),
    QueueSpec(
        id="vip",
        name="VIP",
        strategy=Strategy.ROUND_ROBIN,
        members=(QueueMember("a3"), QueueMember("a4")),
        relaxation=(RelaxationStep(30, RelaxationKind.WIDEN_QUEUE, queue="chat"),),
        wrap_up_seconds=3,
    ),
    QueueSpec(
        id="spanish",
        name="Spanish",
        strategy=Strategy.BEST_SKILL,
        priority_aging_seconds=10,
        skills=(SkillRequirement("spanish", 3), SkillRequirement("billing", 1)),
        relaxation=(RelaxationStep(25, RelaxationKind.DROP_SKILL, skill="spanish"),),
    ),
    QueueSpec(id="general", name="General", max_length=8),
]
AGENTS = [
    AgentSpec(id="a1", name="A1", skills=(("billing", 7), ("spanish", 4))),
    AgentSpec(id="a2", name="A2", skills=(("billing", 3),)),
    AgentSpec(id="a3", name="A3", skills=(("spanish", 9),)),
    AgentSpec(id="a4", name="A4", skills=(("billing", 5), ("spanish", 2))),
    AgentSpec(id="a5", name="A5"),
]
AGENT_IDS = [a.id for a in AGENTS]
PRESENCES = [Presence.available(), Presence.available(), Presence.not_ready("break"), Presence.offline()]
CHANNEL_OF = {q.id: q.channel for q in QUEUES}


class RoutingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.router = Router(queues=QUEUES, agents=AGENTS)
        self.shadow = Router(queues=QUEUES, agents=AGENTS)  # fed only the event log
        self.now = T0
        self.sent: list[str] = []

    # -- rules --------------------------------------------------------------------------------------------

    @rule(
        queue=st.sampled_from([q.id for q in QUEUES]),
        priority=st.integers(0, 2),
        preferred=st.sampled_from([None, None, None, "a1", "a4"]),
        only=st.sampled_from([None, None, None, None, "a1", "a3", "a5"]),
        voice_in_chat=st.booleans(),
    )
    def arrive(
        self, queue: str, priority: int, preferred: str | None, only: str | None, voice_in_chat: bool
    ) -> None:
        iid = f"i{len(self.sent)}"
        channel = Channel.VOICE if voice_in_chat and queue == "chat" else CHANNEL_OF[queue]
        self.sent.append(iid)
        new = NewInteraction(
            id=iid,
            queue=queue,
            channel=channel,
            priority=priority,
            preferred_agent=preferred,
            only_agent=only,
        )
        self._follow(self.router.enqueue(new, self.now))

    @rule(agent=st.sampled_from(AGENT_IDS), presence=st.sampled_from(PRESENCES))
    def presence(self, agent: str, presence: Presence) -> None:
        self._follow(self.router.set_presence(agent, presence, self.now))

    @precondition(lambda self: self._in(InteractionState.OFFERED))
    @rule(data=st.data(), accept=st.booleans())
    def answer(self, data: st.DataObject, accept: bool) -> None:
        view = data.draw(st.sampled_from(self._in(InteractionState.OFFERED)))
        assert view.agent is not None
        act = self.router.accept if accept else self.router.reject
        self._follow(act(view.id, view.agent, self.now))

    @precondition(lambda self: self._in(InteractionState.OFFERED))
    @rule(data=st.data())
    def wrong_agent_answers(self, data: st.DataObject) -> None:
        view = data.draw(st.sampled_from(self._in(InteractionState.OFFERED)))
        other = next(a for a in AGENT_IDS if a != view.agent)
        before = self.router.snapshot()
        with pytest.raises(NotOffered):
            self.router.accept(view.id, other, self.now)
        assert self.router.snapshot() == before

    @precondition(lambda self: self._in(InteractionState.ASSIGNED))
    @rule(data=st.data())
    def end(self, data: st.DataObject) -> None:
        view = data.draw(st.sampled_from(self._in(InteractionState.ASSIGNED)))
        self._follow(self.router.end(view.id, self.now))

    @precondition(lambda self: self._in(InteractionState.WAITING, InteractionState.OFFERED))
    @rule(data=st.data())
    def abandon(self, data: st.DataObject) -> None:
        view = data.draw(st.sampled_from(self._in(InteractionState.WAITING, InteractionState.OFFERED)))
        self._follow(self.router.abandon(view.id, self.now))

    @rule(seconds=st.sampled_from([0.5, 1, 3, 5, 10, 15, 30, 60]))
    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._follow(self.router.tick(self.now))

    @rule()
    def advance_to_next_deadline(self) -> None:
        deadline = self.router.next_deadline()
        if deadline is not None:
            self.now = max(self.now, deadline)
            self._follow(self.router.tick(self.now))

    # -- invariants ---------------------------------------------------------------------------------------

    @invariant()
    def exactly_once_and_capacity(self) -> None:
        state = self.router._state
        holders: dict[str, str] = {}
        for a in state.agents.values():
            cap = a.spec.capacity
            assert sum(cap.cost_of(ch) for ch in a.work.values()) == a.used <= cap.total, a.id
            exclusive = [ch for ch in a.work.values() if ch in cap.exclusive]
            assert not exclusive or len(a.work) == 1, f"{a.id} mixes exclusive work: {a.work}"
            for iid in a.work:
                assert iid not in holders, f"{iid} held by {holders[iid]} and {a.id}"
                holders[iid] = a.id
        for i in state.interactions.values():
            live = i.state in (InteractionState.OFFERED, InteractionState.ASSIGNED)
            assert (holders.get(i.id) == i.agent) if live else (i.id not in holders and i.agent is None)

    @invariant()
    def nothing_lost(self) -> None:
        for iid in self.sent:
            view = self.router.interaction(iid)
            assert view is not None, iid
            assert view.state is not InteractionState.NEW
            assert (view.state is InteractionState.ENDED) == (view.end_reason is not None)

    @invariant()
    def no_idle_match(self) -> None:
        state = self.router._state
        for i in state.interactions.values():
            if i.state is InteractionState.WAITING:
                for a in state.agents.values():
                    idle = exclusion(state, i, a) is None and unavailability(a, i.channel) is None
                    assert not idle, f"{a.id} could take waiting {i.id}"
                    if i.only_agent is not None and a.id != i.only_agent:
                        assert exclusion(state, i, a) == (ExclusionReason.NOT_THE_AGENT, i.only_agent)

    @invariant()
    def light_reads_say_what_views_say(self) -> None:
        """A wallboard's briefs of the work are the views' own fields, in the views' order."""
        for a in AGENTS:
            view = self.router.agent(a.id)
            briefs = self.router.agent_work(a.id)
            assert [b.id for b in briefs] == [*view.offered, *view.assigned]
            for b in briefs:
                i = self.router.interaction(b.id)
                assert i is not None
                assert b == (i.id, i.queue, i.channel, i.state, i.agent_id, i.enqueue_time, i.answered_at)
        assert [b.id for b in self.router.briefs([*self.sent, "nobody"])] == [
            i for i in self.sent if self.router.interaction(i) is not None
        ]

    @invariant()
    def replay_matches(self) -> None:
        assert self.shadow.snapshot() == self.router.snapshot()
        assert self.shadow.next_deadline() == self.router.next_deadline()

    # -- helpers ------------------------------------------------------------------------------------------

    def _in(self, *states: InteractionState) -> list[Interaction]:
        found = [i for i in self.router._state.interactions.values() if i.state in states]
        return sorted(found, key=lambda i: i.id)

    def _follow(self, events: list[Event]) -> None:
        """Apply the events to the shadow one by one, checking each offer at the instant it is made."""
        seqs = [ev.seq for ev in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        # as the gateway stores them: JSON, read back later
        logged = [Event.from_dict(json.loads(json.dumps(ev.to_dict()))) for ev in events]
        for ev in logged:
            if ev.type is EventType.OFFERED:
                self._check_offer(ev)
            self.shadow._state.apply(ev)
        self.shadow.store.append(logged)

    def _check_offer(self, ev: Event) -> None:
        state = self.shadow._state
        assert ev.interaction_id is not None and ev.agent_id is not None
        x, a = state.interactions[ev.interaction_id], state.agents[ev.agent_id]
        assert x.state is InteractionState.WAITING, f"{x.id} offered twice"
        assert x.only_agent in (None, a.id), f"{x.id} is only for {x.only_agent}, offered to {a.id}"
        assert exclusion(state, x, a) is None and unavailability(a, x.channel) is None
        aging = state.queues[x.queue].priority_aging_seconds

        def rank(i: Interaction) -> tuple[int, float, int]:
            return -effective_priority(i.priority, i.enqueue_time, ev.at, aging), i.enqueue_time, i.arrival

        for y in state.interactions.values():
            if y is x or y.state is not InteractionState.WAITING or y.queue != x.queue:
                continue
            if exclusion(state, y, a) is None and a.has_room_for(y.channel):
                assert rank(y) > rank(x), f"{y.id} should go before {x.id} to {a.id}"


RoutingMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_routing_invariants = RoutingMachine.TestCase
