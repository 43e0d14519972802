"""The IVR report in the supervisor's console: SIPp callers walk the demo IVR through Kamailio (one hangs up
before choosing, one presses 2 for support and waits), then the supervisor asks for today's report in
Chromium and sees the calls, the option chosen, where callers hung up, a chart, and downloads the CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.integration.panel.calls import start_sip_server
from tests.integration.panel.conftest import LoopThread
from tests.integration.panel.console import ConsolePage
from tests.integration.server.conftest import Server, stop_server
from tests.integration.sip.conftest import free_udp_ports
from tests.integration.voice.conftest import Caller, Step, caller, media, pcap_dir

__all__ = ["caller", "media", "pcap_dir"]  # fixtures shared with the voice tests

# The demo IVR for an unknown caller: welcome, lookup, then the menu (its prompt lasts ~9 s and waits 6 s
# more): hanging up at 5 s leaves before any choice; 2 pressed at 9 s picks support, where nobody answers.
HANGS_UP_EARLY: list[Step] = [("pause", 5000)]
TO_SUPPORT: list[Step] = [("pause", 9000), ("dtmf", "2"), ("pause", 3000)]


@pytest.fixture(scope="module")
def sip_port() -> int:
    return free_udp_ports(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sip_port: int) -> Iterator[Server]:
    srv = start_sip_server(tmp_path_factory.mktemp("ivr-report"), sip_port=sip_port)
    yield srv
    assert srv.alive(), "the server died during the tests:\n" + srv.log_text()
    stop_server(srv)


def test_given_callers_in_the_ivr_when_the_supervisor_shows_todays_report_then_choices_and_hang_ups_show(
    server: Server, sip_port: int, page: Page, aio: LoopThread, caller: Caller
) -> None:
    # The first call also renders the IVR's prompts, so the second one's key press meets the menu on time.
    for steps in (HANGS_UP_EARLY, [("pause", 12000)], TO_SUPPORT):
        status, errors = aio.run(caller.call(sip_port, steps))
        assert status == 0, errors

    console = ConsolePage(page, server).open().log_in("sam")
    console.expect_live("Sam Patel")
    report = page.get_by_label("IVR report")
    report.get_by_role("button", name="Show").click()

    summary = page.locator("#ivr-summary")
    expect(summary).to_contain_text("3 calls into the IVR", timeout=10_000)
    expect(summary).to_contain_text("2 hung up in it")
    expect(summary).to_contain_text("left for a queue: support: 1")
    menu = page.locator('#ivr-rows tr[data-node="main.main_menu"]')
    expect(menu.locator('[data-figure="options"]')).to_have_text("2: 1")
    expect(page.locator('#ivr-rows tr[data-node="support[0]"] [data-figure="queued"]')).to_have_text(
        "support: 1"
    )
    hung_up = page.locator('#ivr-rows [data-figure="hung_up"]').all_inner_texts()
    assert sum(int(n) for n in hung_up) == 2, hung_up
    expect(page.locator("#chart-ivr canvas")).not_to_have_count(0)

    with page.expect_download() as download:
        report.get_by_role("button", name="CSV: steps").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    rows = {row["node"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}
    assert rows["main.main_menu"]["options.2"] == "1"
    assert rows["support[0]"]["queued.support"] == "1"
    assert sum(int(row["hung_up"]) for row in rows.values()) == 2
