"""The bad-frame log: one line per connection, a shared budget of lines per minute, closing after too many."""

from __future__ import annotations

import logging

import pytest

from gateway.realtime._guarded import BadFrames

from ...clock import Clock


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "helpline.realtime"]


def test_given_many_bad_frames_on_one_connection_then_one_line_and_closed_at_the_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames = BadFrames(close_after=5, clock=Clock())
    with caplog.at_level(logging.WARNING, "helpline.realtime"):
        verdicts = [frames.report("sid-1", "10.0.0.1", "garbage") for _ in range(5)]

    assert verdicts == [False, False, False, False, True]
    assert len(_lines(caplog)) == 1 and "10.0.0.1" in _lines(caplog)[0]


def test_given_many_connections_then_lines_stop_at_the_budget_and_the_next_minute_says_how_many_were_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    frames = BadFrames(lines_per_minute=3, clock=clock)
    with caplog.at_level(logging.WARNING, "helpline.realtime"):
        for i in range(10):
            frames.report(f"sid-{i}", "10.0.0.1", "garbage")
        clock.now = 61
        frames.report("sid-late", "10.0.0.1", "garbage")

    lines = _lines(caplog)
    assert len(lines) == 4
    assert "7 similar lines suppressed" in lines[-1]
