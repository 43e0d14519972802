"""What a media worker's guard lets through to pjsua: one SIP datagram checked, no I/O.

pjsua2 2.10 from PyPI is built with assertions on and has no hook before its parsers: a malformed SDP
body or a CSeq out of range aborts or silences the whole worker. These checks are at least as strict as
Kamailio's (`sanity` with the same flags, and the same SDP walk as its CHECK_SDP route, on the same
limits), and they apply to responses too: a phone's answer reaches pjsua as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.sip.kamailio._config import (
    CSEQ_BELOW_2_31,
    MAX_BODY_BYTES,
    MAX_MESSAGE_BYTES,
    SDP_MEDIA,
    SDP_ORIGIN,
)

__all__ = ["CheckedMessage", "Refused", "TopVia", "check_datagram", "refusal"]

_COMPACT = {
    b"v": b"via",
    b"f": b"from",
    b"t": b"to",
    b"i": b"call-id",
    b"l": b"content-length",
    b"c": b"content-type",
    b"m": b"contact",
    b"e": b"content-encoding",
    b"k": b"supported",
    b"s": b"subject",
}
_ONCE = (b"from", b"to", b"call-id", b"cseq", b"content-length", b"content-type", b"max-forwards")
_REQUIRED = (b"via", b"from", b"to", b"call-id", b"cseq")
# pjsua copies a request's Via and Record-Route headers into its answer: 51 Vias aborted a worker (measured).
_MAX_ECHOED = {b"via": 8, b"record-route": 8}
_MAX_HEADERS = 40
_SDP_METHODS = frozenset({"INVITE", "ACK", "UPDATE", "PRACK"})

_REQUEST_LINE = re.compile(rb"([A-Z]{1,16}) ((?:sips?|tel):[!-~]{1,1024}) SIP/2\.0")
_STATUS_LINE = re.compile(rb"SIP/2\.0 ([1-6][0-9]{2}) [ -~\t\x80-\xff]{0,256}")
_HEADER = re.compile(rb"([A-Za-z0-9.!%*_+`'~-]{1,64})[ \t]*:[ \t]*(.*)", re.DOTALL)
_TEXT = re.compile(rb"[\t -~\x80-\xff]*")
_HEAD_TEXT = re.compile(rb"[\t\r\n -~\x80-\xff]*")
_HEADER_LINE = re.compile(
    rb"\r\n(?:([A-Za-z0-9.!%*_+`'~-]{1,64})[ \t]*:[ \t]*([^\r\n]*)(?=\r\n)|([^\r\n]*)(?=\r\n))"
)
_CSEQ = re.compile(rb"([0-9]{1,10})[ \t]+([A-Z]{1,16})")
_CSEQ_NUMBER = re.compile(CSEQ_BELOW_2_31.encode())
_VIA = re.compile(
    rb"SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*(?:UDP|TCP|TLS|SCTP|WS|WSS)[ \t]+"
    rb"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?"
    rb"(?:[ \t]*;[ \t]*[A-Za-z0-9.!%*_+`'~-]{1,32}(?:=[A-Za-z0-9.!%*_+`'~:\[\]-]{0,128})?)*",
    re.IGNORECASE,
)
_BRANCH = re.compile(rb";[ \t]*branch=([A-Za-z0-9.!%*_+`'~-]{1,128})", re.IGNORECASE)
_RPORT = re.compile(rb";[ \t]*rport(?:[ \t]*[;=]|$)", re.IGNORECASE)
_VIA_PORT = re.compile(rb"^[^ \t]+[ \t]+(?:[^:\[\];]+|\[[^\]]*\]):([0-9]{1,5})")
_NAME_ADDR = re.compile(
    rb'(?:(?:"(?:[^"\\]|\\.){0,128}"|[!-~ \t\x80-\xff]{0,128}?)[ \t]*<(?:sips?|tel):[!-;=?-~]{1,512}>'
    rb"|(?:sips?|tel):[!-+\--:<-~]{1,512})"
    rb"(?:[ \t]*;[ \t]*[A-Za-z0-9.!%*_+`'~-]{1,32}(?:=[!-~]{1,128})?)*"
)
_CALL_ID = re.compile(rb"[!-~]{1,256}")
_TAG = re.compile(rb";[ \t]*tag=", re.IGNORECASE)
_DIGITS = re.compile(rb"[0-9]{1,5}")
_MAX_FORWARDS = re.compile(rb"[0-9]{1,3}")
_PRINTABLE_BODY = re.compile(rb"[\t\n\r -~]*")
_SDP_LINE = re.compile(r"[a-z]=[ -~]*")
_SDP_TIME = re.compile(r"t=[0-9]{1,10} [0-9]{1,10}")
_SDP_CONNECTION = re.compile(r"c=IN IP[46] [A-Za-z0-9.:-]{1,64}(/[0-9]{1,3}){0,2}")
_SDP_ORIGIN = re.compile(SDP_ORIGIN.strip("^$"))
_SDP_MEDIA = re.compile(SDP_MEDIA.strip("^$"))
_PAYLOAD_TYPE = r"(?:1[01][0-9]|12[0-7]|[1-9]?[0-9])"
_SDP_RTP = re.compile(r"RTP/[A-Z/]{1,16}")
_SDP_RTP_FORMATS = re.compile(
    rf"m=[a-z]{{1,16}} [0-9]{{1,5}}(/[1-9])? [A-Z/]{{1,20}}( {_PAYLOAD_TYPE}){{1,32}}"
)
_SDP_RTPMAP = re.compile(
    rf"a=rtpmap:{_PAYLOAD_TYPE} [A-Za-z0-9_.-]{{1,32}}/[1-9][0-9]{{0,5}}(/[1-9][0-9]?)?"
    rf"|a=fmtp:{_PAYLOAD_TYPE} [ -~]{{1,256}}"
)
_SDP_ATTRIBUTE = re.compile(r"a=[A-Za-z0-9_.-]{1,32}(:[ -~]{0,256})?")
_SDP_LINE_SYNTAX = {
    "o": (_SDP_ORIGIN, "Malformed SDP origin"),
    "t": (_SDP_TIME, "Malformed SDP time"),
    "c": (_SDP_CONNECTION, "Malformed SDP connection"),
    "m": (_SDP_MEDIA, "Malformed SDP media"),
    "a": (_SDP_ATTRIBUTE, "Malformed SDP attribute"),
}
_SDP_ORDER = re.compile(r"v[^v]*o[^v]*s[^v]*t")
_SDP_REPEATED = re.compile(r"o.*o|s.*s")
_SDP_MAX_LINES, _SDP_MAX_MEDIA, _SDP_MAX_ATTRS, _SDP_MAX_BANDS = 100, 4, 64, 4


class Refused(Exception):
    """A datagram pjsua must not see; requests are answered `code` `reason` when they can be."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TopVia:
    start: int
    end: int
    """Where the top Via header's first value starts and ends in the datagram."""
    branch: bytes
    """Its branch: for a request, it keys the answers pjsua sends back through the guard."""
    rport: bool
    port: int
    """Its sent-by port (5060 when it names none)."""


@dataclass(frozen=True, slots=True)
class CheckedMessage:
    """A datagram that passed: what the guard needs to route it and its answers."""

    request: bool
    method: str
    """The request's method, or for a response the method in its CSeq."""
    via: TopVia
    new_call: bool
    """An INVITE outside a dialog (no To tag): pjsua gives it a call slot and media sockets."""


@dataclass(slots=True)
class _Head:
    start: bytes
    headers: dict[bytes, list[tuple[bytes, int]]]
    """Lower-case full name -> (value, offset of the value in the datagram), in order."""
    body: bytes

    def values(self, name: bytes) -> list[bytes]:
        return [value for value, _ in self.headers.get(name, ())]


def check_datagram(data: bytes) -> CheckedMessage:
    """The datagram's routing facts if pjsua may see it; `Refused` says why not."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise Refused(513, "Message Too Large")
    head = _split(data)
    request = _check_start_line(head.start)
    _check_counts(head)
    method = _check_cseq(head.values(b"cseq")[0], request)
    _check_addresses(head)
    _check_length(head)
    via = _check_vias(head, request)
    _check_body(head, method)
    new_call = request == "INVITE" and _TAG.search(head.values(b"to")[0]) is None
    return CheckedMessage(request=request is not None, method=method, via=via, new_call=new_call)


def _check_counts(head: _Head) -> None:
    for name in _REQUIRED:
        if not head.values(name):
            raise Refused(400, f"Missing {_title(name)}")
    if sum(len(values) for values in head.headers.values()) > _MAX_HEADERS:
        raise Refused(400, "Too many headers")
    for name, most in _MAX_ECHOED.items():
        if sum(len(value.split(b",")) for value in head.values(name)) > most:
            raise Refused(400, f"More than {most} {_title(name)} entries")
    for name in _ONCE:
        if len(head.values(name)) > 1:
            raise Refused(400, f"More than one {_title(name)}")


def _title(name: bytes) -> str:
    return {b"call-id": "Call-ID", b"cseq": "CSeq"}.get(name) or name.decode().title()


def _split(data: bytes) -> _Head:
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise Refused(400, "No end of headers")
    head = data[: end + 2]
    line_ends = head.count(b"\r\n")
    if not _HEAD_TEXT.fullmatch(head) or not head.count(b"\n") == line_ends == head.count(b"\r"):
        raise Refused(400, "Control character in a header")
    try:
        head.decode()
    except UnicodeDecodeError:
        raise Refused(400, "Headers are not UTF-8") from None
    start = head.find(b"\r\n")
    headers: dict[bytes, list[tuple[bytes, int]]] = {}
    for line in _HEADER_LINE.finditer(head, start):
        if line.group(1) is None:
            folded = line.group(3)[:1] in (b" ", b"\t")
            raise Refused(400, "Folded header line" if folded else "Malformed header line")
        name = line.group(1).lower()
        headers.setdefault(_COMPACT.get(name, name), []).append((line.group(2).rstrip(b" \t"), line.start(2)))
    return _Head(start=data[:start], headers=headers, body=data[end + 4 :])


def _check_start_line(line: bytes) -> str | None:
    """The request's method, or None for a response."""
    request = _REQUEST_LINE.fullmatch(line)
    if request is not None:
        return request.group(1).decode()
    if _STATUS_LINE.fullmatch(line) is None:
        raise Refused(400, "Malformed request line")
    return None


def _check_cseq(value: bytes, method: str | None) -> str:
    found = _CSEQ.fullmatch(value)
    if found is None:
        raise Refused(400, "Malformed CSeq")
    if _CSEQ_NUMBER.fullmatch(found.group(1)) is None:
        raise Refused(400, "CSeq out of range")
    cseq_method = found.group(2).decode()
    if method is not None and cseq_method != method:
        raise Refused(400, "CSeq method does not match")
    return cseq_method


def _check_addresses(head: _Head) -> None:
    for name in (b"from", b"to"):
        if _NAME_ADDR.fullmatch(head.values(name)[0]) is None:
            raise Refused(400, f"Malformed {name.decode().title()}")
    for contact in head.values(b"contact"):
        if contact != b"*" and not all(_NAME_ADDR.fullmatch(part.strip()) for part in contact.split(b",")):
            raise Refused(400, "Malformed Contact")
    if _CALL_ID.fullmatch(head.values(b"call-id")[0]) is None:
        raise Refused(400, "Malformed Call-ID")
    forwards = head.values(b"max-forwards")
    if forwards and _MAX_FORWARDS.fullmatch(forwards[0]) is None:
        raise Refused(400, "Malformed Max-Forwards")


def _check_length(head: _Head) -> None:
    lengths = head.values(b"content-length")
    if not lengths:
        return  # over UDP the body runs to the end of the datagram (RFC 3261, 18.3)
    if _DIGITS.fullmatch(lengths[0]) is None:
        raise Refused(400, "Malformed Content-Length")
    if int(lengths[0]) != len(head.body):
        raise Refused(400, "Content-Length does not match the body")


def _check_vias(head: _Head, method: str | None) -> TopVia:
    vias = head.headers[b"via"]
    for value, _ in vias:
        for part in value.split(b","):
            if _VIA.fullmatch(part.strip()) is None:
                raise Refused(400, "Malformed Via")
    value, offset = vias[0]
    first = value.split(b",", 1)[0].rstrip(b" \t")
    branch = _BRANCH.search(first)
    if branch is None and method is not None:
        raise Refused(400, "Via without branch")
    port = _VIA_PORT.match(first)
    sent_by_port = int(port.group(1)) if port else 5060
    if not 0 < sent_by_port <= 65535:
        raise Refused(400, "Malformed Via")
    return TopVia(
        start=offset,
        end=offset + len(first),
        branch=branch.group(1) if branch else b"",
        rport=_RPORT.search(first) is not None,
        port=sent_by_port,
    )


def _check_body(head: _Head, method: str) -> None:
    if not head.body:
        return
    if len(head.body) > MAX_BODY_BYTES:
        raise Refused(413, "Body too large")
    if _PRINTABLE_BODY.fullmatch(head.body) is None:
        raise Refused(400, "Body is not printable text")
    if method not in _SDP_METHODS:
        return
    content_type = head.values(b"content-type")
    if not content_type or content_type[0].split(b";", 1)[0].strip().lower() != b"application/sdp":
        raise Refused(415, "Only application/sdp")
    _check_sdp(head.body.decode("ascii"))


def _check_sdp(body: str) -> None:
    """The walk of Kamailio's CHECK_SDP route (see the template), on the same limits."""
    if not body.endswith("\n"):
        raise Refused(400, "SDP must end with a line break")
    lines = [line.strip() for line in body[:-1].split("\n")]
    if len(lines) > _SDP_MAX_LINES:
        raise Refused(400, "SDP has too many lines")
    if lines[0] != "v=0":
        raise Refused(400, "SDP must start with v=0")
    types: list[str] = []
    session_c, media_c = False, True
    for line in lines:
        kind = _check_sdp_line(line)
        types.append(kind)
        if kind == "c" and "m" in types:
            media_c = True
        elif kind == "c":
            session_c = True
        elif kind == "m":
            if not (session_c or media_c):
                raise Refused(400, "SDP media without connection")
            media_c = False
    if not (session_c or media_c):
        raise Refused(400, "SDP media without connection")
    seen = "".join(types)
    if _SDP_ORDER.match(seen) is None or _SDP_REPEATED.search(seen) or seen.count("v") != 1:
        raise Refused(400, "SDP needs one v=, o=, s= and t= in that order")
    media, attributes, bandwidths = types.count("m"), types.count("a"), types.count("b")
    within = media <= _SDP_MAX_MEDIA and attributes <= _SDP_MAX_ATTRS and bandwidths <= _SDP_MAX_BANDS
    if media < 1 or not within:
        raise Refused(488, "SDP beyond the media workers' limits")


def _check_sdp_line(line: str) -> str:
    """The line's type once its syntax is checked; stricter than Kamailio on numbers a fuzz bends."""
    if _SDP_LINE.fullmatch(line) is None:
        raise Refused(400, "Malformed SDP line")
    kind = line[0]
    pattern, reason = _SDP_LINE_SYNTAX.get(kind, (None, ""))
    if pattern is not None and pattern.fullmatch(line) is None:
        raise Refused(400, reason)
    if kind == "m" and _SDP_RTP.fullmatch(line.split(" ", 3)[2]) and not _SDP_RTP_FORMATS.fullmatch(line):
        raise Refused(400, "Malformed SDP media")
    if kind == "a" and line.startswith(("a=rtpmap:", "a=fmtp:")) and _SDP_RTPMAP.fullmatch(line) is None:
        raise Refused(400, "Malformed SDP rtpmap or fmtp")
    return kind


def refusal(data: bytes, refused: Refused, *, to_tag: str) -> bytes | None:
    """The answer to a refused request, or None when it is not a request or too broken to answer."""
    end = data.find(b"\r\n\r\n")
    lines = (data[:end] if end >= 0 else data[:MAX_MESSAGE_BYTES]).split(b"\r\n")
    request = _REQUEST_LINE.fullmatch(lines[0])
    if request is None or request.group(1) == b"ACK":
        return None
    copied: dict[bytes, list[bytes]] = {b"via": [], b"from": [], b"to": [], b"call-id": [], b"cseq": []}
    for line in lines[1:]:
        found = _HEADER.fullmatch(line)
        if found is None or not _TEXT.fullmatch(line) or not line.isascii():
            continue
        name = found.group(1).lower()
        name = _COMPACT.get(name, name)
        if name in copied:
            copied[name].append(found.group(2).rstrip(b" \t"))
    if not all(copied.values()) or any(len(copied[n]) > 1 for n in (b"from", b"to", b"call-id", b"cseq")):
        return None
    if not all(_VIA.fullmatch(v.strip()) for value in copied[b"via"] for v in value.split(b",")):
        return None
    if _CSEQ.fullmatch(copied[b"cseq"][0]) is None or _CALL_ID.fullmatch(copied[b"call-id"][0]) is None:
        return None
    to = copied[b"to"][0]
    if _TAG.search(to) is None:
        to += b";tag=" + to_tag.encode()
    lines_out = [f"SIP/2.0 {refused.code} {refused.reason}".encode()]
    lines_out += [b"Via: " + value for value in copied[b"via"]]
    lines_out += [b"From: " + copied[b"from"][0], b"To: " + to, b"Call-ID: " + copied[b"call-id"][0]]
    lines_out += [b"CSeq: " + copied[b"cseq"][0], b"Server: Helpline media worker"]
    if refused.code == 503:
        lines_out.append(b"Retry-After: 1")
    lines_out.append(b"Content-Length: 0")
    return b"\r\n".join(lines_out) + b"\r\n\r\n"
