"""Which way audio flows in each listening mode, besides the caller <-> agent bridge no mode touches."""

from __future__ import annotations

import pytest

from gateway.voice import MonitorMode
from gateway.voice._monitor import links_for


@pytest.mark.parametrize(
    ("mode", "extra"),
    [
        (MonitorMode.LISTEN, set()),
        (MonitorMode.WHISPER, {("sup", "agent")}),
        (MonitorMode.BARGE, {("sup", "agent"), ("sup", "caller")}),
    ],
)
def test_given_a_mode_when_links_are_made_then_the_supervisor_hears_both_and_is_heard_as_the_mode_says(
    mode: MonitorMode, extra: set[tuple[str, str]]
) -> None:
    links = links_for(mode, "caller", "agent", "sup")

    assert links == {("caller", "sup"), ("agent", "sup")} | extra
    assert ("caller", "agent") not in links and ("agent", "caller") not in links
