"""The guard's datagram check: what pjsua may see, and the answer to what it may not."""

from __future__ import annotations

import pytest

from gateway.sip._sipcheck import Refused, check_datagram, refusal
from tests.integration.kamailio.rawsip import CRASHING_SDP_BODIES, GOOD_SDP

VIA = "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-1"


def _invite(
    body: bytes = GOOD_SDP, *, cseq: int = 1, via: str = VIA, extra: str = "", length: int | None = None
) -> bytes:
    head = (
        "INVITE sip:support@127.0.0.1:5080 SIP/2.0\r\n"
        f"{via}\r\n"
        "From: <sip:caller@127.0.0.1:5999>;tag=abc\r\n"
        "To: <sip:support@127.0.0.1:5080>\r\n"
        "Call-ID: call-1@127.0.0.1\r\n"
        f"CSeq: {cseq} INVITE\r\n"
        "Contact: <sip:caller@127.0.0.1:5999>\r\n"
        "Max-Forwards: 70\r\n"
        f"{extra}"
        "Content-Type: application/sdp\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    )
    return head.encode() + body


def _answer(body: bytes) -> bytes:
    head = (
        "SIP/2.0 200 OK\r\n"
        f"{VIA}\r\n"
        "From: <sip:worker@127.0.0.1:5080>;tag=abc\r\n"
        "To: <sip:1001@127.0.0.1>;tag=phone\r\n"
        "Call-ID: call-2@127.0.0.1\r\n"
        "CSeq: 1 INVITE\r\n"
        "Content-Type: application/sdp\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _refused(datagram: bytes) -> tuple[int, str]:
    with pytest.raises(Refused) as raised:
        check_datagram(datagram)
    return raised.value.code, raised.value.reason


def test_given_a_good_invite_when_checked_then_it_passes_as_a_new_call_with_its_via() -> None:
    message = check_datagram(_invite())

    assert (message.request, message.method, message.new_call) == (True, "INVITE", True)
    assert (message.via.branch, message.via.rport, message.via.port) == (b"z9hG4bK-1", False, 5999)
    assert _invite()[message.via.start : message.via.end] == VIA.removeprefix("Via: ").encode()


@pytest.mark.parametrize("name", sorted(CRASHING_SDP_BODIES))
def test_given_a_body_that_aborted_pjsua_when_checked_then_it_is_refused_with_400(name: str) -> None:
    assert _refused(_invite(CRASHING_SDP_BODIES[name]))[0] == 400


@pytest.mark.parametrize(
    ("datagram", "expected"),
    [
        (_invite(cseq=2**32 - 1), (400, "CSeq out of range")),
        (_invite(cseq=2**31), (400, "CSeq out of range")),
        (_invite(length=5), (400, "Content-Length does not match the body")),
        (_invite(extra="X-Pad: " + "p" * 20_000 + "\r\n"), (513, "Message Too Large")),
        (
            _invite(extra="X-Junk: \xff\xfe\r\n").replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe"),
            (400, "Headers are not UTF-8"),
        ),
        (_invite(via="Via: SIP/2.0/UDP 127.0.0.1:5999"), (400, "Via without branch")),
        (_invite(GOOD_SDP.replace(b"a=rtpmap:0 ", b"a=rtpmap:128 ")), (400, "Malformed SDP rtpmap or fmtp")),
        (
            _invite(GOOD_SDP + b"m=audio 4000 RTP/AVP 0\r\n" * 4),
            (488, "SDP beyond the media workers' limits"),
        ),
        (_invite()[:60], (400, "No end of headers")),
        # pjsua copies the Vias into its answer: 51 of them aborted a worker
        (_invite(via="\r\n".join([VIA] * 51)), (400, "Too many headers")),
        (_invite(via="\r\n".join([VIA] * 9)), (400, "More than 8 Via entries")),
    ],
)
def test_given_a_malformed_invite_when_checked_then_the_reason_names_the_fault(
    datagram: bytes, expected: tuple[int, str]
) -> None:
    assert _refused(datagram) == expected


def test_given_the_largest_cseq_pjsua_takes_when_checked_then_it_passes() -> None:
    assert check_datagram(_invite(cseq=2**31 - 1)).method == "INVITE"


def test_given_a_phone_answer_with_a_body_that_aborted_pjsua_when_checked_then_it_is_refused() -> None:
    assert check_datagram(_answer(GOOD_SDP)).request is False
    assert _refused(_answer(CRASHING_SDP_BODIES["200 m= lines"]))[0] == 400


def test_given_a_refused_invite_when_answered_then_the_reply_matches_its_transaction_with_a_to_tag() -> None:
    datagram = _invite(cseq=2**32 - 1)

    reply = refusal(datagram, Refused(400, "CSeq out of range"), to_tag="g1")

    assert reply is not None
    lines = reply.decode().split("\r\n")
    assert lines[0] == "SIP/2.0 400 CSeq out of range"
    assert VIA in lines
    assert "To: <sip:support@127.0.0.1:5080>;tag=g1" in lines
    assert "Call-ID: call-1@127.0.0.1" in lines
    assert f"CSeq: {2**32 - 1} INVITE" in lines
    assert reply.endswith(b"Content-Length: 0\r\n\r\n")


def test_given_a_refused_ack_or_answer_when_answered_then_there_is_no_reply() -> None:
    ack = _invite().replace(b"INVITE sip:", b"ACK sip:", 1).replace(b"1 INVITE", b"1 ACK")

    assert refusal(ack, Refused(400, "x"), to_tag="g1") is None
    assert refusal(_answer(b"junk"), Refused(400, "x"), to_tag="g1") is None
