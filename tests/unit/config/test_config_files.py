"""Every good fixture loads; every bad fixture is refused with a message naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config, parse_config

HERE = Path(__file__).parent
DEMO = HERE.parents[2] / "gateway" / "demo" / "helpline.yaml"
GOOD = [*sorted((HERE / "good").glob("*.yaml")), DEMO]
BAD = sorted((HERE / "bad").glob("*.yaml"))


def _expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: ...'"
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_given_good_fixture_when_loaded_then_valid(path: Path) -> None:
    load_config(path)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_given_bad_fixture_when_loaded_then_error_names_the_field(path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    messages = [str(p) for p in info.value.problems]
    assert any(_expected(path) in m for m in messages), messages


def test_given_many_mistakes_when_loaded_then_every_one_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(
        "queues:\n"
        "  - {id: a, name: A, service_level: {threshold_seconds: 0}}\n"
        "  - {id: b, name: B, strategie: x}\n"
        "  - {id: c, name: C, max_length: -1}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    paths = {p.path for p in info.value.problems}
    assert paths == {"queues[0].service_level.threshold_seconds", "queues[1]", "queues[2].max_length"}


def test_given_missing_file_when_loaded_then_error_says_it_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "nope.yaml")


def test_given_demo_config_when_loaded_then_agents_have_specs() -> None:
    from gateway.config import agent_specs, queue_specs

    config = load_config(DEMO)
    agents = {a.id: a for a in agent_specs(config)}
    assert set(agents) == {"alice", "bob", "carol"}
    assert dict(agents["bob"].skills)["support"] == 9
    queues = {q.id: q for q in queue_specs(config)}
    assert queues["billing"].relaxation[1].queue == "support"
    assert queues["billing"].max_wait_exit.kind == "voicemail"


def test_given_sip_limits_when_loaded_then_kamailio_gets_them() -> None:
    config = load_config(HERE / "good" / "full.yaml")

    limits = config.server.sip.limits.to_limits()

    assert (limits.flood_requests, limits.auth_block_seconds) == (500, 600)


def test_given_monitoring_shown_to_agents_when_loaded_then_the_flag_is_on_and_off_by_default() -> None:
    config = load_config(HERE / "good" / "full.yaml")

    assert config.monitoring.show_to_agent is True
    assert load_config(HERE.parents[2] / "gateway" / "demo" / "helpline.yaml").monitoring.show_to_agent
    assert parse_config({}).monitoring.show_to_agent is False


def test_given_sip_tcp_and_tls_when_loaded_then_kamailio_gets_them_with_paths_from_the_files_folder(
    tmp_path: Path,
) -> None:
    path = tmp_path / "helpline.yaml"
    path.write_text(
        "server: {sip: {tcp: true, tls: {port: 5071, certificate: tls/sip.crt, private_key: /k/sip.key}}}\n"
    )

    transports = load_config(path).server.sip.to_transports(tmp_path)

    assert transports.tcp
    assert transports.tls is not None
    assert (transports.tls.port, transports.tls.certificate) == (5071, tmp_path / "tls" / "sip.crt")
    assert transports.tls.private_key == Path("/k/sip.key")
