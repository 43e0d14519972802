"""`helpline serve` starts its SIP front: media workers behind a Kamailio configured from the YAML file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.integration.kamailio.conftest import DEMO, Sipp, free_udp_ports, sipp, sipp_run
from tests.integration.kamailio.rawsip import open_raw_sip
from tests.integration.server.conftest import Server, start_server, stop_server

__all__ = ["sipp", "sipp_run"]  # fixtures shared with the Kamailio tests


@pytest.fixture(scope="module")
def sip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    """The demo configuration, with a guessing limit of 3 wrong passwords per SIP user."""
    sip_port = free_udp_ports(1)
    folder = tmp_path_factory.mktemp("sip-server")
    config = yaml.safe_load(DEMO.read_text())
    config.setdefault("server", {}).setdefault("sip", {})["limits"] = {"auth_failures_per_user": 3}
    path = folder / "helpline.yaml"
    path.write_text(yaml.safe_dump(config))
    server = start_server(folder, config=path, sip_port=sip_port)
    yield server, sip_port
    stop_server(server)


class _Front:
    def __init__(self, port: int) -> None:
        self.port = port


async def test_given_demo_agent_phone_when_registering_with_its_configured_password_then_200(
    sip_server: tuple[Server, int], sipp_run: Sipp
) -> None:
    server, sip_port = sip_server
    await sipp_run.register(
        _Front(sip_port),
        "1001",
        "alice-sip-secret",  # type: ignore[arg-type]
        contact="127.0.0.1:5999",
        expect=200,
    )
    assert "behind Kamailio" in server.log_text()


async def test_given_wrong_password_when_registering_then_403_and_gateway_still_up(
    sip_server: tuple[Server, int], sipp_run: Sipp
) -> None:
    server, sip_port = sip_server
    await sipp_run.register(
        _Front(sip_port),
        "1002",
        "not-bob-password",  # type: ignore[arg-type]
        contact="127.0.0.1:5998",
        expect=403,
    )
    assert server.alive()


def test_given_data_dir_when_sip_front_started_then_kamailio_config_was_written_there(
    sip_server: tuple[Server, int],
) -> None:
    server, sip_port = sip_server
    configs = list(Path(server.data_dir, "kamailio").glob("*.cfg"))
    assert configs, "kamailio.cfg is written under the data directory"
    assert str(sip_port) in configs[0].read_text()


def test_given_workers_of_n_calls_when_kamailio_is_configured_then_each_gets_at_most_half_as_many_callers(
    sip_server: tuple[Server, int],
) -> None:
    server, _ = sip_server
    said = re.search(
        r"media workers carry (\d+) call\(s\) each; Kamailio sends each at most (\d+)", server.log_text()
    )
    assert said, server.log_text()
    limit, callers = int(said[1]), int(said[2])
    dispatcher = Path(server.data_dir, "kamailio", "dispatcher.list").read_text()
    assert limit >= 2 and callers == limit // 2
    assert re.findall(r"maxload=(\d+)", dispatcher) == [str(callers)] * 2  # the demo's two workers


async def test_given_the_yaml_guessing_limit_when_a_phone_guesses_past_it_then_its_user_is_refused(
    sip_server: tuple[Server, int],
) -> None:
    _, sip_port = sip_server
    raw = await open_raw_sip(sip_port)
    try:
        guesses = [await raw.register_with("1003", f"guess-{n}") for n in range(3)]
        right = await raw.register_with("1003", "carol-sip-secret")
    finally:
        raw.close()

    assert [(g.code, g.reason) for g in guesses] == [(403, "Forbidden")] * 3
    assert (right.code, right.reason) == (403, "Too many failed attempts")
