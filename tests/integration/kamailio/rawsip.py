"""Raw SIP over UDP for the hardening tests: hand-built requests, a digest client and a datagram mutator."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import re
from dataclasses import dataclass

__all__ = [
    "CRASHING_SDP_BODIES",
    "RawSip",
    "Reply",
    "mutate",
    "open_raw_sip",
]

CRASHING_SDP_BODIES = {
    "no c= and a port of 99999999": b"v=0\r\no=x\r\nm=audio 99999999 RTP/AVP 0",
    "200 m= lines": b"v=0\r\no=c 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    + b"m=audio 4000 RTP/AVP 0\r\n" * 200,
    "binary garbage": bytes(range(256)) * 4,
}
"""SDP bodies each of which aborted a media worker in pjmedia_sdp_parse (see PJSUA2-NOTES.md)."""

GOOD_SDP = (
    b"v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)
_STATUS = re.compile(rb"^SIP/2\.0 (\d{3}) ([^\r\n]*)")
_CALL_ID = re.compile(rb"\r\nCall-ID: *([^\r\n]+)", re.IGNORECASE)
_CHALLENGE = re.compile(rb"\r\nWWW-Authenticate: *Digest ([^\r\n]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    reason: str
    raw: bytes

    def challenge(self) -> dict[str, str]:
        """The digest challenge's parameters (realm, nonce, qop, ...)."""
        found = _CHALLENGE.search(self.raw)
        assert found is not None, f"no digest challenge in {self.raw!r}"
        return {k: v for k, v in re.findall(r'(\w+)="?([^",]*)"?', found.group(1).decode())}


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.by_call: dict[bytes, asyncio.Queue[Reply]] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        status, call_id = _STATUS.match(data), _CALL_ID.search(data)
        if status is None or call_id is None:
            return  # a request from the far end (an OPTIONS, a retransmitted BYE): not what tests wait for
        queue = self.by_call.setdefault(call_id.group(1).strip(), asyncio.Queue())
        queue.put_nowait(Reply(int(status.group(1)), status.group(2).decode(errors="replace"), data))


class RawSip:
    """A UDP socket on 127.0.0.1 sending hand-built requests to `target` and sorting replies by Call-ID."""

    def __init__(self, transport: asyncio.DatagramTransport, receiver: _Receiver, target: int) -> None:
        self._transport, self._receiver, self._target = transport, receiver, target
        self.port = int(transport.get_extra_info("sockname")[1])
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._transport.close()

    def send(self, datagram: bytes) -> None:
        self._transport.sendto(datagram, ("127.0.0.1", self._target))

    def new_call_id(self) -> str:
        return f"raw-{self.port}-{next(self._ids)}@127.0.0.1"

    async def final(self, call_id: str, *, within: float = 5.0) -> Reply:
        """The first final (>= 200) reply to `call_id`."""
        queue = self._receiver.by_call.setdefault(call_id.encode(), asyncio.Queue())
        async with asyncio.timeout(within):
            while (reply := await queue.get()).code < 200:
                pass
        return reply

    def invite(
        self,
        body: bytes = GOOD_SDP,
        *,
        call_id: str,
        cseq: int = 1,
        user: str = "support",
        content_type: str = "application/sdp",
    ) -> bytes:
        headers = self._headers("INVITE", user, call_id, cseq, to_tag=False)
        return _message(f"INVITE sip:{user}@127.0.0.1:{self._target} SIP/2.0", headers, content_type, body)

    def options(self, *, call_id: str) -> bytes:
        headers = self._headers("OPTIONS", "", call_id, 1, to_tag=False)
        return _message(f"OPTIONS sip:127.0.0.1:{self._target} SIP/2.0", headers, None, b"")

    def register(self, user: str, *, call_id: str, cseq: int, authorization: str = "") -> bytes:
        headers = self._headers("REGISTER", user, call_id, cseq, to_tag=False, from_user=user)
        headers += [f"Contact: <sip:{user}@127.0.0.1:{self.port}>", "Expires: 60"]
        if authorization:
            headers.append(f"Authorization: {authorization}")
        return _message(f"REGISTER sip:127.0.0.1:{self._target} SIP/2.0", headers, None, b"")

    async def register_with(self, user: str, password: str) -> Reply:
        """REGISTER and answer the challenge with `password`: the final reply (or the early 403)."""
        call_id = self.new_call_id()
        self.send(self.register(user, call_id=call_id, cseq=1))
        first = await self.final(call_id)
        if first.code != 401:
            return first
        uri = f"sip:127.0.0.1:{self._target}"
        authorization = digest_authorization(first.challenge(), user, password, "REGISTER", uri)
        self.send(self.register(user, call_id=call_id, cseq=2, authorization=authorization))
        return await self.final(call_id)

    def _headers(
        self, method: str, user: str, call_id: str, cseq: int, *, to_tag: bool, from_user: str = "caller"
    ) -> list[str]:
        branch = f"z9hG4bK-{call_id.split('@')[0]}-{cseq}"
        to = f"<sip:{user}@127.0.0.1:{self._target}>" if user else f"<sip:127.0.0.1:{self._target}>"
        return [
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport",
            f"From: <sip:{from_user}@127.0.0.1:{self.port}>;tag=raw{self.port}",
            f"To: {to}{';tag=far' if to_tag else ''}",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{from_user}@127.0.0.1:{self.port}>",
            "Max-Forwards: 70",
        ]


async def open_raw_sip(target: int) -> RawSip:
    loop = asyncio.get_running_loop()
    transport, receiver = await loop.create_datagram_endpoint(_Receiver, local_addr=("127.0.0.1", 0))
    return RawSip(transport, receiver, target)


def digest_authorization(challenge: dict[str, str], user: str, password: str, method: str, uri: str) -> str:
    """RFC 2617 digest credentials (qop=auth when offered) answering `challenge`."""
    realm, nonce = challenge["realm"], challenge["nonce"]
    ha1 = _md5(f"{user}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    fields = f'username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", algorithm=MD5'
    if "auth" in challenge.get("qop", "").split(","):
        cnonce, nc = "0a4f113b", "00000001"
        response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        return f'Digest {fields}, qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}"'
    return f'Digest {fields}, response="{_md5(f"{ha1}:{nonce}:{ha2}")}"'


def mutate(message: bytes, rng: random.Random) -> bytes:
    """A malformed variant of the INVITE `message`: truncated, bytes flipped, non-UTF-8, a wrong
    Content-Length, oversized (up to ~64 KB), SDP lines broken, removed or repeated, headers repeated."""
    kinds = (_truncate, _flip_bytes, _non_utf8, _bad_length, _oversize, _sdp_line, _repeat_header)
    return rng.choice(kinds)(message, rng)


def _truncate(message: bytes, rng: random.Random) -> bytes:
    return message[: rng.randrange(1, len(message))]


def _flip_bytes(message: bytes, rng: random.Random) -> bytes:
    data = bytearray(message)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _non_utf8(message: bytes, rng: random.Random) -> bytes:
    head, _, body = message.partition(b"\r\n\r\n")
    junk = bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randint(1, 40)))
    if rng.random() < 0.5:
        return head + b"\r\nX-Junk: " + junk + b"\r\n\r\n" + body
    return _with_body(head, body[: rng.randrange(len(body))] + junk)


def _bad_length(message: bytes, rng: random.Random) -> bytes:
    value = rng.choice([b"-1", b"abc", b"99999999999", b"0", str(rng.randint(1, 5000)).encode(), b""])
    return re.sub(rb"Content-Length: *\d+", b"Content-Length: " + value, message)


def _oversize(message: bytes, rng: random.Random) -> bytes:
    head, _, body = message.partition(b"\r\n\r\n")
    size = rng.randint(9_000, 64_000)
    if rng.random() < 0.5:
        return _with_body(head, body + b"a=x-pad:" + b"z" * size + b"\r\n")
    return head + b"\r\nX-Pad: " + b"p" * size + b"\r\n\r\n" + body


def _sdp_line(message: bytes, rng: random.Random) -> bytes:
    head, _, body = message.partition(b"\r\n\r\n")
    lines = body.split(b"\r\n")
    index = rng.randrange(len(lines))
    change = rng.randrange(5)
    if change == 0:
        del lines[index]
    elif change == 1:
        lines[index:index] = [lines[index]] * rng.randint(2, 120)
    elif change == 2:
        lines[index] = re.sub(rb"\d+", str(rng.choice([65536, 99999999, 2**32, -1])).encode(), lines[index])
    elif change == 3:
        lines[index] = lines[index][:1] + b"x" + lines[index][1:]
    else:
        lines[index] = b"m=audio 4000 RTP/AVP" + b" 0" * rng.randint(30, 200)
    return _with_body(head, b"\r\n".join(lines))


def _repeat_header(message: bytes, rng: random.Random) -> bytes:
    head, _, body = message.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    index = rng.randrange(1, len(lines))
    lines[index:index] = [lines[index]] * rng.randint(1, 50)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _with_body(head: bytes, body: bytes) -> bytes:
    head = re.sub(rb"Content-Length: *\d+", b"Content-Length: " + str(len(body)).encode(), head)
    return head + b"\r\n\r\n" + body


def _message(start: str, headers: list[str], content_type: str | None, body: bytes) -> bytes:
    lines = [start, *headers]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
