"""The control channel's frames: every value round-trips; every malformed frame is refused with a reason."""

from __future__ import annotations

import pytest

from gateway.sip import (
    Answer,
    Bridge,
    CallState,
    Command,
    Dialing,
    Disconnected,
    Dtmf,
    DtmfMethod,
    ErrorEvent,
    Event,
    Hangup,
    Hold,
    Incoming,
    ListenStart,
    ListenStop,
    Load,
    MakeCall,
    MediaEnded,
    Ping,
    Play,
    Pong,
    ProtocolError,
    Ready,
    RecordStart,
    RecordStop,
    Rejected,
    Shutdown,
    State,
    StopPlay,
    StopTransmit,
    Transmit,
    Unbridge,
    Unhold,
    encode,
    parse_command,
    parse_event,
)

COMMANDS: list[Command] = [
    Answer(call_id="a-1", command_id="1"),
    Hangup(call_id="a-1", code=486, reason="Busy"),
    Play(call_id="a-1", file="/p/welcome.wav", loop=True),
    StopPlay(call_id="a-1"),
    RecordStart(call_id="a-1", path="/r/a-1.wav"),
    RecordStop(call_id="a-1"),
    ListenStart(call_id="a-1", path="/dev/shm/helpline-listen-x/a-1-1.wav"),
    ListenStop(call_id="a-1"),
    Bridge(call_a="a-1", call_b="a-2"),
    Unbridge(call_a="a-1", call_b="a-2"),
    Transmit(source="a-1", sink="a-3", command_id="t-1"),
    StopTransmit(source="a-3", sink="a-2"),
    MakeCall(uri="sip:agent@127.0.0.1", headers=(("X-Interaction", "42"),), command_id="9"),
    Hold(call_id="a-1"),
    Unhold(call_id="a-1"),
    Ping(command_id="p-1"),
    Shutdown(),
]
EVENTS: list[Event] = [
    Ready(limit=3, host="127.0.0.1", port=5080, version="2.15.1", boot="abc123"),
    Incoming(call_id="a-1", from_uri="<sip:c@x>", to_uri="<sip:s@y>", sip_call_id="z", headers=(("A", "b"),)),
    Dialing(command_id="9", call_id="a-2", uri="sip:agent@127.0.0.1"),
    State(call_id="a-1", state=CallState.CONFIRMED),
    Dtmf(call_id="a-1", digit="#", method=DtmfMethod.SIP_INFO),
    MediaEnded(call_id="a-1"),
    Pong(command_id="p-1"),
    Disconnected(call_id="a-1", code=200, reason="Normal call clearing"),
    Load(active=1, limit=3),
    Rejected(sip_call_id="z", code=503, reason="Service Unavailable"),
    ErrorEvent(command_id="1", message="unknown call"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.TYPE)
def test_given_a_command_when_encoded_then_it_parses_back_equal(command: Command) -> None:
    frame = encode(command)

    assert frame.endswith("\n") and frame.count("\n") == 1
    assert parse_command(frame) == command


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.TYPE)
def test_given_an_event_when_encoded_then_it_parses_back_equal(event: Event) -> None:
    assert parse_event(encode(event).encode()) == event


@pytest.mark.parametrize(
    ("frame", "command_id", "message"),
    [
        ("", "", "not JSON"),
        ('"answer"', "", "must be a JSON object"),
        ('{"call_id": "a"}', "", "unknown command type None"),
        ('{"type": "ready", "command_id": "5"}', "5", "unknown command type 'ready'"),
        ('{"type": "answer", "call_id": "a", "callid": "b"}', "", "unknown field 'callid'"),
        ('{"type": "play", "call_id": "a", "command_id": "6"}', "6", "play: missing field 'file'"),
        ('{"type": "play", "call_id": "a", "file": "f", "loop": 1}', "", "play.loop: expected bool, got int"),
        ('{"type": "hangup", "call_id": "a", "code": true}', "", "hangup.code: expected int, got bool"),
        ('{"type": "hangup", "call_id": "a", "code": 99}', "", "code must be 0 or 300..699"),
        ('{"type": "make_call", "uri": "u", "headers": [["X"]]}', "", "[name, value] pair"),
        ('{"type": "make_call", "uri": "u", "headers": [["X", "a\\r\\nB: c"]]}', "", "line break"),
        ('{"type": "answer", "call_id": "a", "command_id": 7}', "", "command_id: expected str"),
    ],
)
def test_given_a_malformed_frame_when_parsed_then_protocol_error_names_the_problem(
    frame: str, command_id: str, message: str
) -> None:
    with pytest.raises(ProtocolError) as raised:
        parse_command(frame)

    assert message in str(raised.value)
    assert raised.value.command_id == command_id


def test_given_an_oversized_frame_when_parsed_then_it_is_refused_before_decoding() -> None:
    with pytest.raises(ProtocolError, match="exceeds"):
        parse_command('{"type": "answer", "call_id": "' + "a" * 70_000 + '"}')


def test_given_an_unknown_state_when_an_event_is_parsed_then_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="'ringing' is not one of"):
        parse_event('{"type": "state", "call_id": "a", "state": "ringing"}')
