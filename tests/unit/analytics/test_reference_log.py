"""The engine against the hand-written reference log (see `reference_log.py` for the timeline): every
figure below was computed by hand from that timeline."""

from __future__ import annotations

import pytest

from gateway.analytics import (
    Granularity,
    MetricsEngine,
    QueueMetricsSpec,
    ServiceLevelDefinition,
    ServiceLevelSpec,
)

from .reference_log import NOW, T0, TZ, at, reference_log

D = ServiceLevelDefinition


def engine(
    definition: D = D.OFFERED, *, short: float = 5.0, target: float = 25.0, log_flags: bool = True
) -> MetricsEngine:
    spec = QueueMetricsSpec(
        "support",
        ServiceLevelSpec(
            threshold_seconds=20, target_percent=target, definition=definition, short_abandon_seconds=short
        ),
        agents=frozenset({"alice", "bob"}),
        wrap_up_seconds=10,
    )
    eng = MetricsEngine([spec], ["alice", "bob"], timezone=TZ)
    for event in reference_log():
        if not log_flags and event.type == "ended":  # as written before `ended` said whether wrap-up follows
            data = {k: v for k, v in event.data.items() if k != "wrap_up"}
            event = event._replace(data=data)
        eng.apply(event)
    return eng


def test_given_the_reference_log_then_todays_queue_counts_are_the_hand_counted_ones() -> None:
    q = engine().queue("support", NOW)
    assert (q.offered, q.answered, q.answered_in_threshold) == (6, 2, 1)  # c1..c6; c1 and c4; c1 in 20 s
    assert (q.abandoned, q.abandoned_short) == (3, 1)  # c2 (3 s, short), c3 (40 s), c5 (6 s)
    assert (q.missed_offers, q.transfers, q.handled, q.exited, q.refused) == (1, 1, 2, 0, 0)


def test_given_the_reference_log_then_todays_queue_times_are_the_hand_computed_ones() -> None:
    q = engine().queue("support", NOW)
    assert q.asa_seconds == 17.0  # (4 + 30) / 2
    # c1: talk 48 + hold 12 + wrap 10 = 70; c4: talk 600 + wrap 5 = 605
    assert q.aht_seconds == 337.5
    assert q.abandonment_percent == 60.0  # 3 of 5 that left the queue
    assert q.longest_wait_seconds == 40.0  # c3
    assert (q.waiting, q.oldest_wait_seconds) == (1, 100.0)  # c6 since t=800
    assert q.agents_by_state == {"available": 2}
    assert (q.start, q.end) == (T0 - (9 * 3600 + 50 * 60), T0 - (9 * 3600 + 50 * 60) + 86400)


@pytest.mark.parametrize(
    ("definition", "short", "percent", "met"),
    [
        (D.ANSWERED, 5.0, 100 * 1 / 2, True),  # 1 in threshold / 2 answered
        (D.OFFERED, 5.0, 100 * 1 / 5, False),  # / (2 answered + 3 abandoned)
        (D.OFFERED_MINUS_SHORT, 5.0, 100 * 1 / 4, True),  # / (2 + 3 - 1 short)
        (D.ABANDONED_AFTER_THRESHOLD, 5.0, 100 * 1 / 3, True),  # / (2 + 1 abandoned after 20 s)
        (D.ABANDONED_AFTER_THRESHOLD_MINUS_SHORT, 5.0, 100 * 1 / 3, True),  # no abandon is both
        # a 50 s cut-off makes every abandon short, and c3 (40 s) both short and after the threshold
        (D.OFFERED_MINUS_SHORT, 50.0, 100 * 1 / 2, True),  # / (2 + 3 - 3)
        (D.ABANDONED_AFTER_THRESHOLD, 50.0, 100 * 1 / 3, True),  # short abandons still count here
        (D.ABANDONED_AFTER_THRESHOLD_MINUS_SHORT, 50.0, 100 * 1 / 2, True),  # / (2 + 1 - 1)
        (D.OFFERED, 50.0, 100 * 1 / 5, False),
    ],
)
def test_given_each_service_level_definition_then_the_percent_and_verdict_are_the_hand_computed_ones(
    definition: D, short: float, percent: float, met: bool
) -> None:
    q = engine(definition, short=short, target=25.0).queue("support", NOW)
    assert q.service_level_percent == pytest.approx(percent, abs=1e-9)
    assert q.service_level_met is met
    assert q.service_level_definition == str(definition)


def test_given_the_reference_log_then_alices_day_is_the_hand_computed_one() -> None:
    a = engine().agent("alice", NOW)
    assert (a.offers, a.answered, a.missed, a.rejected, a.transfers, a.handled) == (2, 2, 0, 0, 1, 2)
    assert a.aht_seconds == 337.5
    # busy 14-74 and 130-730; wrap-up 74-84 and 730-735; idle 0-10, 84-120, 735-900; offers ringing 10-14
    # and 120-130 (available, but neither idle nor working)
    assert (a.busy_seconds, a.wrap_up_seconds, a.idle_seconds, a.ringing_seconds) == (
        660.0,
        15.0,
        211.0,
        14.0,
    )
    assert a.occupancy_percent == 100 * 675 / (675 + 211)
    assert a.presence_seconds == {"available": 885.0, "wrap_up": 15.0}
    assert a.not_ready_seconds == {}
    assert (a.state, a.presence, a.since, a.work) == ("available", "available", at(735), ())


def test_given_the_reference_log_then_bobs_day_is_the_hand_computed_one() -> None:
    b = engine().agent("bob", NOW)
    assert (b.offers, b.answered, b.missed, b.handled, b.aht_seconds) == (2, 0, 1, 0, None)
    # available 0-25, 90-120, 700-900; not ready: lunch 25-90, missed 120-700
    assert b.presence_seconds == {"available": 255.0, "not_ready": 645.0}
    assert b.not_ready_seconds == {"lunch": 65.0, "missed": 580.0}
    # ringing 20-23 (c2, until abandoned) and 100-120 (c4, until it rang out)
    assert (b.busy_seconds, b.idle_seconds, b.ringing_seconds, b.occupancy_percent) == (0.0, 232.0, 23.0, 0.0)
    assert (b.state, b.since) == ("available", at(700))


def test_given_15_minute_intervals_then_each_side_of_10_00_has_its_own_figures() -> None:
    first, second = engine().queue_intervals("support", at(-300), at(1500), Granularity.MIN15)
    assert (first.start, first.end, second.start) == (at(-300), at(600), at(600))
    assert (first.offered, first.answered, first.abandoned, first.handled) == (4, 2, 2, 1)
    assert (first.asa_seconds, first.aht_seconds, first.longest_wait_seconds) == (17.0, 70.0, 40.0)
    assert first.service_level_percent == 25.0  # 1 / (2 + 2)
    assert (second.offered, second.answered, second.abandoned, second.handled) == (2, 0, 1, 1)
    assert (second.asa_seconds, second.aht_seconds, second.longest_wait_seconds) == (None, 605.0, 6.0)
    assert second.service_level_percent == 0.0
    assert second.waiting is None  # live figures belong to "today" only


def test_given_presence_across_the_boundary_then_each_interval_gets_its_share() -> None:
    eng = engine()
    bob1, bob2 = eng.agent_intervals("bob", at(-300), at(1500), Granularity.MIN15, NOW)
    assert bob1.not_ready_seconds == {"lunch": 65.0, "missed": 480.0}
    assert bob1.presence_seconds == {"available": 55.0, "not_ready": 545.0}
    assert bob2.not_ready_seconds == {"missed": 100.0}
    assert bob2.presence_seconds == {"available": 200.0, "not_ready": 100.0}  # up to NOW
    alice1, alice2 = eng.agent_intervals("alice", at(-300), at(1500), Granularity.MIN15, NOW)
    assert (alice1.busy_seconds, alice1.wrap_up_seconds, alice1.idle_seconds) == (530.0, 10.0, 46.0)
    assert alice1.ringing_seconds == 14.0
    assert alice1.occupancy_percent == 100 * 540 / (540 + 46)
    assert (alice2.busy_seconds, alice2.wrap_up_seconds, alice2.idle_seconds) == (130.0, 5.0, 165.0)
    assert alice2.occupancy_percent == 45.0
    assert (alice1.handled, alice1.aht_seconds, alice2.handled, alice2.aht_seconds) == (1, 70.0, 1, 605.0)


def test_given_60_minute_and_day_intervals_then_they_equal_todays_figures() -> None:
    eng = engine()
    today = eng.queue("support", NOW)
    (hour,) = eng.queue_intervals("support", at(-300), at(0), Granularity.MIN60)
    (day,) = eng.queue_intervals("support", at(0), at(1), Granularity.DAY)
    assert (hour.start, hour.end) == (at(-50 * 60), at(10 * 60))  # 09:00-10:00 local
    assert (hour.offered, hour.answered, hour.abandoned) == (4, 2, 2)
    live = {"waiting", "oldest_wait_seconds", "agents_by_state"}
    assert {k: v for k, v in day.to_dict().items() if k not in live} == {
        k: v for k, v in today.to_dict().items() if k not in live
    }
    agent_day = eng.agent_intervals("alice", at(0), at(1), Granularity.DAY, NOW)[0].to_dict()
    alive = {"state", "presence", "presence_reason", "since", "work"}
    assert {k: v for k, v in agent_day.items() if k not in alive} == {
        k: v for k, v in eng.agent("alice", NOW).to_dict().items() if k not in alive
    }


def test_given_a_log_written_before_ended_said_wrap_up_then_the_queue_config_decides_the_same() -> None:
    assert engine(log_flags=False).snapshot(NOW) == engine().snapshot(NOW)


def test_given_the_channel_scope_then_it_counts_the_voice_work_of_every_queue() -> None:
    (voice,) = engine().channel_intervals("voice", at(0), at(1), Granularity.DAY)
    assert (voice.queue, voice.offered, voice.answered, voice.abandoned, voice.handled) == (
        "voice",
        6,
        2,
        3,
        2,
    )


def test_given_an_event_seen_twice_then_it_counts_once() -> None:
    eng = engine()
    for event in reference_log()[:5]:
        eng.apply(event)
    assert eng.queue("support", NOW).offered == 6
