"""What render_config accepts, what it refuses, and what it puts in Kamailio's files."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.sip.kamailio import (
    FrontOptions,
    SipAddress,
    SipLimits,
    SipTls,
    SipTransports,
    WorkerAddress,
    render_config,
)

LISTEN = SipAddress("127.0.0.1", 5060)
WORKERS = (WorkerAddress(host="127.0.0.1", port=5080, max_calls=14),)
AGENTS = {"1001": "alice-sip-secret"}


def render(**overrides: object) -> str:
    values: dict[str, object] = {
        "listen": LISTEN,
        "workers": WORKERS,
        "agents": AGENTS,
        "runtime_dir": Path("/run/helpline/kamailio"),
        "domain": "helpline.example",
    }
    values.update(overrides)
    return render_config(**values).config


def test_given_two_workers_when_rendered_then_the_dispatcher_lists_them_with_their_limits_in_order() -> None:
    files = render_config(
        listen=LISTEN,
        workers=[
            WorkerAddress(host="127.0.0.1", port=5080, max_calls=14),
            WorkerAddress(host="::1", port=5081, max_calls=2),
        ],
        agents=AGENTS,
        runtime_dir=Path("/run/k"),
        domain="helpline.example",
    )

    assert files.dispatcher_list.splitlines()[1:] == [
        "1 sip:127.0.0.1:5080 0 2 duid=worker-0;maxload=14",
        "1 sip:[::1]:5081 0 1 duid=worker-1;maxload=2",
    ]
    assert files.config_path == Path("/run/k/kamailio.cfg")
    assert 'modparam("dispatcher", "list_file", "/run/k/dispatcher.list")' in files.config


def test_given_agents_when_rendered_then_only_password_hashes_are_written() -> None:
    config = render()

    assert "alice-sip-secret" not in config
    ha1 = hashlib.md5(b"1001:helpline.example:alice-sip-secret").hexdigest()  # RFC 2617 HA1, realm = domain
    assert f'$sht(agents=>1001) = "{ha1}";' in config


def test_given_timers_when_rendered_then_kamailio_gets_them_in_milliseconds() -> None:
    config = render(options=FrontOptions(failover_ms=1500, ring_seconds=30))

    assert 'modparam("tm", "fr_timer", 1500)' in config
    assert 'modparam("tm", "fr_inv_timer", 30000)' in config


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"agents": {"10 01": "secret-secret"}}, "agent SIP user '10 01'"),
        ({"agents": {"1001": ""}}, "agent SIP user '1001': password"),
        ({"workers": ()}, "workers must not be empty"),
        ({"workers": WORKERS * 2}, "two workers have the same address"),
        ({"listen": SipAddress("127.0.0.1", 5080)}, "also a worker's address"),
        ({"listen": SipAddress("0.0.0.0", 5060)}, "listen host must be the address phones reach"),
        ({"domain": "bad domain"}, "domain must be"),
        ({"runtime_dir": Path("relative")}, "runtime_dir must be absolute"),
        ({"runtime_dir": Path('/tmp/"quoted"')}, "runtime_dir must not contain"),
    ],
)
def test_given_bad_input_when_rendered_then_the_error_names_it(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render(**overrides)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SipAddress("localhost", 5060), "host must be an IP address"),
        (lambda: SipAddress("127.0.0.1", 0), "port must be 1..65535"),
        (lambda: WorkerAddress(host="127.0.0.1", port=5080, max_calls=0), "max_calls must be >= 1"),
        (lambda: FrontOptions(failover_ms=10), "failover_ms"),
        (lambda: SipLimits(flood_requests=1), "limits.flood_requests must be 10..100000"),
        (lambda: SipLimits(auth_failures_per_user=0), "limits.auth_failures_per_user"),
        (lambda: SipLimits(auth_failures_per_address=0), "limits.auth_failures_per_address"),
        (lambda: SipLimits(auth_block_seconds=0), "limits.auth_block_seconds must be 1..86400"),
        (lambda: SipLimits(flood_window_seconds=61), "limits.flood_window_seconds"),
    ],
)
def test_given_bad_values_when_built_then_the_error_names_the_field(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_given_limits_when_rendered_then_pike_and_the_failure_table_get_them() -> None:
    config = render(
        limits=SipLimits(
            flood_requests=40,
            flood_window_seconds=3,
            auth_failures_per_user=4,
            auth_failures_per_address=9,
            auth_block_seconds=120,
        )
    )

    assert 'modparam("pike", "reqs_density_per_unit", 40)' in config
    assert 'modparam("pike", "sampling_time_unit", 3)' in config
    assert "authfail=>size=10;autoexpire=120;" in config
    assert "$sht(authfail=>$var(user)::user) >= 4" in config
    assert "$sht(authfail=>$si::addr) >= 9" in config


def _script_regex(config: str, subject: str) -> re.Pattern[str]:
    """The POSIX expression Kamailio matches `subject` against (the subset used reads the same in Python)."""
    found = re.search(re.escape(subject) + r' =~ "([^"]+)"', config)
    assert found is not None, f"no regular expression for {subject} in the config"
    return re.compile(found.group(1))


@pytest.mark.parametrize(
    ("cseq", "accepted"),
    [
        ("0", True),
        ("1", True),
        ("999999999", True),
        ("2147483647", True),
        ("2147483648", False),
        ("2147483650", False),
        ("2999999999", False),
        ("4294967295", False),
        ("10000000000", False),
        ("-1", False),
        ("", False),
    ],
)
def test_given_a_cseq_when_checked_then_only_numbers_below_2_to_the_31_pass(
    cseq: str, accepted: bool
) -> None:
    assert bool(_script_regex(render(), "$cs").match(cseq)) is accepted


@pytest.mark.parametrize(
    ("line", "accepted"),
    [
        ("m=audio 40000 RTP/AVP 0 8 101", True),
        ("m=audio 0 RTP/AVP 0", True),
        ("m=audio 65535 RTP/AVP 0", True),
        ("m=audio 65536 RTP/AVP 0", False),
        ("m=audio 99999999 RTP/AVP 0", False),
        ("m=audio 4000/2 RTP/AVP 0", True),
        ("m=audio 4000 RTP/AVP" + " 0" * 32, True),
        ("m=audio 4000 RTP/AVP" + " 0" * 33, False),
        ("m=audio 4000 RTP/AVP", False),
    ],
)
def test_given_an_m_line_when_checked_then_ports_and_formats_stay_within_pjsua_limits(
    line: str, accepted: bool
) -> None:
    config = render()
    media = re.search(r'\$var\(line\) =~ "(\^m=[^"]+)"', config)
    assert media is not None
    assert bool(re.match(media.group(1), line)) is accepted


def test_given_no_transports_when_rendered_then_udp_only_and_registrations_kept_in_the_runtime_folder() -> (
    None
):
    config = render()

    assert re.findall(r"^listen=.*$", config, re.MULTILINE) == ["listen=udp:127.0.0.1:5060"]
    assert "disable_tcp=yes" in config and "enable_tls=no" in config
    assert 'loadmodule "tls.so"' not in config
    assert 'modparam("usrloc", "db_url", "sqlite:////run/helpline/kamailio/registrations.sqlite")' in config
    assert 'modparam("usrloc", "db_mode", 1)' in config


def test_given_tcp_and_tls_when_rendered_then_kamailio_listens_on_both_with_the_certificate() -> None:
    tls = SipTls(
        port=5061, certificate=Path("/etc/helpline/sip.crt"), private_key=Path("/etc/helpline/sip.key")
    )

    config = render(transports=SipTransports(tcp=True, tls=tls))

    assert re.findall(r"^listen=.*$", config, re.MULTILINE) == [
        "listen=udp:127.0.0.1:5060",
        "listen=tcp:127.0.0.1:5060",
        "listen=tls:127.0.0.1:5061",
    ]
    assert "disable_tcp=no" in config and "enable_tls=yes" in config
    assert 'modparam("tls", "certificate", "/etc/helpline/sip.crt")' in config
    assert 'modparam("tls", "private_key", "/etc/helpline/sip.key")' in config


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        (
            lambda: SipTls(port=5060, certificate=Path("/c"), private_key=Path("/k")),
            "tls.port 5060 is the SIP",
        ),
        (lambda: SipTls(port=5080, certificate=Path("/c"), private_key=Path("/k")), "a media worker's port"),
        (lambda: SipTls(port=5061, certificate=Path("c.pem"), private_key=Path("/k")), "absolute path"),
        (lambda: SipTls(port=5061, certificate=Path('/a"b'), private_key=Path("/k")), "must not contain"),
        (lambda: SipTls(port=0, certificate=Path("/c"), private_key=Path("/k")), "tls.port must be 1..65535"),
    ],
)
def test_given_a_bad_tls_setting_when_rendered_then_the_error_names_it(
    tls: Callable[[], SipTls], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render(transports=SipTransports(tls=tls()))
