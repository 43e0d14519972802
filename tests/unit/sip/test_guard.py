"""The guard's relay on loopback: requests on to pjsua with `rport`, answers back as they were sent."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from gateway.sip._guard import Guard, bind
from tests.unit.sip.test_sipcheck import VIA, _invite


@pytest.fixture
def sockets() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    """(the guard's, a stand-in for pjsua's, a caller's) sockets on 127.0.0.1."""
    opened = [bind("127.0.0.1", 0) for _ in range(3)]
    for sock in opened[1:]:
        sock.setblocking(True)
        sock.settimeout(2.0)
    yield opened[0], opened[1], opened[2]
    for sock in opened:
        sock.close()


def _relay_one(guard: Guard, guard_sock: socket.socket) -> None:
    guard_sock.settimeout(2.0)
    data, source = guard_sock.recvfrom(65535)
    guard.on_datagram(data, (source[0], source[1]))


def test_given_a_request_without_rport_when_relayed_then_pjsua_gets_rport_and_the_caller_its_via_back(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    guard_sock, pjsua, caller = sockets
    inner = pjsua.getsockname()
    caller_port = caller.getsockname()[1]
    via = VIA.replace("5999", str(caller_port))
    guard = Guard(guard_sock, inner)

    caller.sendto(_invite(via=via), guard_sock.getsockname())
    _relay_one(guard, guard_sock)
    seen_by_pjsua, guard_address = pjsua.recvfrom(65535)
    # what pjsua 2.10 answers to a request whose top Via has rport: to where it came from, Via extended
    answer_via = via + f";rport={guard_address[1]};received=127.0.0.1"
    pjsua.sendto(
        f"SIP/2.0 100 Trying\r\n{answer_via}\r\nCall-ID: call-1@127.0.0.1\r\nCSeq: 1 INVITE\r\n\r\n".encode(),
        guard_address,
    )
    _relay_one(guard, guard_sock)
    answer = caller.recv(65535)

    assert (via + ";rport").encode() in seen_by_pjsua
    assert answer.split(b"\r\n")[1] == via.encode()


def test_given_a_malformed_request_when_it_reaches_the_guard_then_the_caller_gets_400_and_pjsua_nothing(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    guard_sock, pjsua, caller = sockets
    guard = Guard(guard_sock, pjsua.getsockname())

    caller.sendto(_invite(cseq=2**32 - 1), guard_sock.getsockname())
    _relay_one(guard, guard_sock)

    assert caller.recv(65535).startswith(b"SIP/2.0 400 CSeq out of range\r\n")
    pjsua.setblocking(False)
    with pytest.raises(BlockingIOError):
        pjsua.recv(65535)
    assert guard.passed == 0


def test_given_a_burst_of_new_calls_when_relayed_then_those_beyond_the_pace_get_503(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    guard_sock, pjsua, caller = sockets
    guard = Guard(guard_sock, pjsua.getsockname())

    invites = [
        _invite().replace(b"call-1@", f"call-{n}@".encode()).replace(b"bK-1", f"bK-{n}".encode())
        for n in range(20)
    ]
    for invite in [*invites, invites[0]]:  # the last one: a retransmission of the first, passed, call
        caller.sendto(invite, guard_sock.getsockname())
        _relay_one(guard, guard_sock)
    codes = []
    caller.setblocking(False)
    with pytest.raises(BlockingIOError):
        while True:
            codes.append(caller.recv(65535).split(b"\r\n")[0])

    assert 11 <= guard.passed <= 13  # a burst of 10, then 7 a second while the loop runs; the resent one
    assert codes == [b"SIP/2.0 503 Media worker busy"] * (21 - guard.passed)


def test_given_pjsua_calling_its_own_address_when_relayed_then_the_request_and_its_answer_reach_it(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    guard_sock, pjsua, _ = sockets
    inner = pjsua.getsockname()
    guard = Guard(guard_sock, inner)
    via = VIA.replace("5999", str(guard_sock.getsockname()[1])) + ";rport"

    pjsua.sendto(_invite(via=via), guard_sock.getsockname())
    _relay_one(guard, guard_sock)
    request = pjsua.recv(65535)
    pjsua.sendto(
        f"SIP/2.0 100 Trying\r\n{via}=1;received=127.0.0.1\r\nCall-ID: call-1@127.0.0.1\r\n\r\n".encode(),
        guard_sock.getsockname(),
    )
    _relay_one(guard, guard_sock)
    answer = pjsua.recv(65535)

    assert request.startswith(b"INVITE sip:")
    assert answer.split(b"\r\n")[:2] == [b"SIP/2.0 100 Trying", via.encode()]
