"""plan_sip_front: Kamailio in front of the workers when installed, else one worker on the SIP port."""

from __future__ import annotations

import pytest

from gateway.sip.kamailio import SipFrontPlan, plan_sip_front


def test_given_kamailio_when_planning_then_it_takes_the_sip_port_and_workers_sit_behind_it() -> None:
    plan = plan_sip_front(kamailio="/usr/sbin/kamailio", sip_port=5060, workers=4)

    assert plan == SipFrontPlan(
        kamailio="/usr/sbin/kamailio",
        sip_host="127.0.0.1",
        sip_port=5060,
        worker_host="127.0.0.1",
        worker_base_port=5080,
        worker_count=4,
    )


def test_given_no_kamailio_when_planning_then_one_worker_listens_on_the_sip_port_and_the_log_says_why() -> (
    None
):
    plan = plan_sip_front(kamailio=None, sip_port=5070, workers=4, sip_host="0.0.0.0")

    assert (plan.kamailio, plan.worker_host, plan.worker_base_port, plan.worker_count) == (
        None,
        "0.0.0.0",
        5070,
        1,
    )
    assert plan.warning == (
        "kamailio not installed (Debian package 'kamailio'): agents' phones cannot register; "
        "a single media worker listens on UDP 5070"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workers": 0}, "workers must be >= 1"),
        ({"sip_port": 0}, "sip_port must be 1..65535"),
        ({"worker_base_port": 5058}, "include the SIP port 5060"),
        ({"worker_base_port": 65535}, "must leave room for 4 ports"),
    ],
)
def test_given_bad_ports_when_planning_then_the_error_names_them(
    options: dict[str, int], message: str
) -> None:
    values = {"kamailio": "/usr/sbin/kamailio", "sip_port": 5060, "workers": 4, **options}
    with pytest.raises(ValueError, match=message):
        plan_sip_front(**values)
