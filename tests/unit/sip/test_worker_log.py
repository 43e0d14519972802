"""What a media worker writes on stderr reaches the gateway's log under the worker's logger and level."""

from __future__ import annotations

import logging

import pytest

from gateway.sip._worker_log import log_worker_line


def test_given_a_worker_record_when_relayed_then_it_keeps_its_logger_and_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="helpline"):
        log_worker_line(1, b"30 helpline.sip.worker control channel closed: stopping\n")
        log_worker_line(0, b"10 helpline.sip.pjlib 12:04:13.712 os_core_unix.c !pjlib 2.10 initialized\n")

    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("helpline.sip.worker", logging.WARNING, "worker 1: control channel closed: stopping"),
        (
            "helpline.sip.pjlib",
            logging.DEBUG,
            "worker 0: 12:04:13.712 os_core_unix.c !pjlib 2.10 initialized",
        ),
    ]


def test_given_the_gateway_at_info_when_pjlib_chatters_then_nothing_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="helpline"):
        log_worker_line(
            0, b"10 helpline.sip.pjlib 12:04:13.712 sip_endpoint.c  .Creating endpoint instance...\n"
        )

    assert caplog.records == []


@pytest.mark.parametrize(
    "line",
    [
        b"Fatal Python error: Aborted\n",
        b"python3: ../src/pj/ioqueue_select.c:480: Assertion `0' failed.\n",
        b"10 otherlib.module not one of ours\n",
    ],
)
def test_given_a_line_that_is_no_record_when_relayed_then_it_is_a_warning_of_the_worker(
    line: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="helpline"):
        log_worker_line(2, line)

    assert [(r.name, r.levelno) for r in caplog.records] == [("helpline.sip.worker", logging.WARNING)]
    assert caplog.records[0].getMessage() == f"media worker 2: {line.decode().rstrip()}"
