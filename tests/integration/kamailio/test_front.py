"""Kamailio in front: its generated configuration, agents' phones registering, callers reaching workers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gateway.sip import Disconnected, Incoming
from gateway.sip.kamailio import (
    KamailioConfigError,
    KamailioProcess,
    SipAddress,
    WorkerAddress,
    render_config,
)
from tests.integration.kamailio.conftest import DOMAIN, FrontFactory, Sipp


async def test_given_the_demo_agents_when_the_config_is_rendered_then_kamailio_accepts_it(
    kamailio: str, demo_agents: dict[str, str], tmp_path: Path
) -> None:
    files = render_config(
        listen=SipAddress("127.0.0.1", 5060),
        workers=[WorkerAddress(host="127.0.0.1", port=5080 + i, max_calls=14) for i in range(4)],
        agents=demo_agents,
        runtime_dir=tmp_path,
        domain=DOMAIN,
        worker_private_host="127.0.0.2",
    )
    files.config_path.write_text(files.config)
    files.dispatcher_path.write_text(files.dispatcher_list)

    await KamailioProcess(files, binary=kamailio).check()

    assert "alice-sip-secret" not in files.config
    assert files.dispatcher_list.count("maxload=14") == 4


async def test_given_no_agents_when_the_config_is_rendered_then_kamailio_accepts_it(
    kamailio: str, tmp_path: Path
) -> None:
    files = render_config(
        listen=SipAddress("127.0.0.1", 5060),
        workers=[WorkerAddress(host="127.0.0.1", port=5080, max_calls=14)],
        agents={},
        runtime_dir=tmp_path,
        domain=DOMAIN,
    )
    files.config_path.write_text(files.config)
    files.dispatcher_path.write_text(files.dispatcher_list)

    await KamailioProcess(files, binary=kamailio).check()


async def test_given_a_broken_config_when_checked_then_the_error_carries_kamailios_complaint(
    kamailio: str, demo_agents: dict[str, str], tmp_path: Path
) -> None:
    files = render_config(
        listen=SipAddress("127.0.0.1", 5060),
        workers=[WorkerAddress(host="127.0.0.1", port=5080, max_calls=14)],
        agents=demo_agents,
        runtime_dir=tmp_path,
        domain=DOMAIN,
    )
    broken = dataclasses.replace(files, config=files.config.replace('loadmodule "dispatcher.so"\n', ""))
    broken.config_path.write_text(broken.config)
    broken.dispatcher_path.write_text(broken.dispatcher_list)

    with pytest.raises(KamailioConfigError) as raised:
        await KamailioProcess(broken, binary=kamailio).check()

    assert "dispatcher" in raised.value.output
    assert str(broken.config_path) in str(raised.value)


async def test_given_an_agent_when_the_phone_registers_with_the_right_password_then_it_gets_200(
    start_front: FrontFactory, sipp_run: Sipp, demo_agents: dict[str, str]
) -> None:
    async with start_front(1) as front:
        await sipp_run.register(front, "1001", demo_agents["1001"], contact="127.0.0.1:5999", expect=200)


async def test_given_an_agent_when_the_phone_registers_with_a_wrong_password_then_it_gets_403(
    start_front: FrontFactory, sipp_run: Sipp
) -> None:
    async with start_front(1) as front:
        await sipp_run.register(front, "1001", "not-the-password", contact="127.0.0.1:5999", expect=403)
        await sipp_run.register(front, "9999", "no-such-agent", contact="127.0.0.1:5999", expect=403)


async def test_given_a_caller_when_calling_the_sip_port_then_a_worker_answers_and_the_call_ends_cleanly(
    start_front: FrontFactory, sipp_run: Sipp
) -> None:
    async with start_front(2) as front:
        status, errors = await sipp_run.run(
            sipp_run.scenario("caller.xml", hold_ms=1500), "-s", "support", target=front.port
        )

        assert status == 0, errors
        incoming = front.events.of(Incoming)
        assert len(incoming) == 1
        assert isinstance(incoming[0], Incoming) and incoming[0].to_uri.startswith("<sip:support@")
        await front.events.wait_for(lambda _, e: isinstance(e, Disconnected), within=5)
