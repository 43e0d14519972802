"""Kamailio's output in the gateway's log: a budget of lines a minute per level and source, the rest told."""

from __future__ import annotations

import logging

import pytest

from gateway.sip.kamailio._output import OutputRelay

from ...clock import Clock

REFUSED = " 1(5032) NOTICE: <script>: INVITE from 10.0.0.9:5060 refused: 400 Body is not printable text"
PARSER = " 2(5033) ERROR: <core> [core/parser/parse_via.c:1324]: parse_via_param(): failure parsing via param"
DB_DOWN = " 3(5034) ERROR: db_sqlite [dbase.c:93]: db_sqlite_new_connection(): failed to open sqlite database"
CRASH = " 0(5030) ALERT: <core> [main.c:786]: handle_sigs(): child process 5033 exited by a signal 11"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "helpline.test.kamailio"]


async def test_given_a_flood_of_refusals_and_parser_errors_then_each_source_stops_at_its_budget(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    relay = OutputRelay(logging.getLogger("helpline.test.kamailio"), lines_per_minute=3, clock=clock)
    with caplog.at_level(logging.INFO, "helpline.test.kamailio"):
        for _ in range(100):
            relay.relay(REFUSED)
            relay.relay(PARSER)
        relay.relay(DB_DOWN)
        for _ in range(5):
            relay.relay(CRASH)
        clock.now = 61
        relay.relay(REFUSED)
        relay.flush()

    lines = _lines(caplog)
    assert lines[:3] == [REFUSED, PARSER, REFUSED]
    assert lines.count(DB_DOWN) == 1 and lines.count(CRASH) == 3
    assert lines[10] == REFUSED + " (97 similar lines suppressed before this one)"
    assert lines[11:] == [
        "97 lines of kamailio's ERROR <core> core/parser suppressed (over 3 a minute)",
        "2 lines of kamailio's CRITICAL <core> suppressed (over 3 a minute)",
    ]


async def test_given_a_request_quoted_whole_then_its_line_is_cut(caplog: pytest.LogCaptureFixture) -> None:
    relay = OutputRelay(logging.getLogger("helpline.test.kamailio"))
    with caplog.at_level(logging.INFO, "helpline.test.kamailio"):
        relay.relay(PARSER + "x" * 70_000)

    (line,) = _lines(caplog)
    assert line == (PARSER + "x" * 70_000)[:400] + f" [... {len(PARSER) + 70_000 - 400} more characters]"
