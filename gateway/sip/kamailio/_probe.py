"""Ask a SIP server over UDP whether it answers: one OPTIONS, re-sent until any response arrives."""

from __future__ import annotations

import asyncio
import secrets

from gateway.sip.kamailio._config import SipAddress

__all__ = ["sip_ping"]

_RESEND_SECONDS = 0.2
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


class _FirstResponse(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.status: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        first_line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        if first_line.startswith("SIP/2.0 ") and not self.status.done():
            self.status.set_result(first_line)


async def sip_ping(target: SipAddress, *, within: float, token: str = "") -> str:
    """The status line of the first response to OPTIONS; TimeoutError if none comes `within` seconds.

    `token` (Kamailio's `probe_token`) has Kamailio answer without counting the probe as traffic.
    """
    host = _ANY_ADDRESS.get(target.host, target.host)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_FirstResponse, remote_addr=(host, target.port))
    try:
        local_host, local_port = transport.get_extra_info("sockname")[:2]
        request = _options(SipAddress(host, target.port), SipAddress(local_host, local_port), token)
        async with asyncio.timeout(within):
            while True:
                transport.sendto(request)
                done, _ = await asyncio.wait({protocol.status}, timeout=_RESEND_SECONDS)
                if done:
                    return protocol.status.result()
    finally:
        transport.close()


def _options(target: SipAddress, local: SipAddress, probe_token: str) -> bytes:
    token = secrets.token_hex(8)
    probe = f"X-Helpline-Probe: {probe_token}\r\n" if probe_token else ""
    return (
        f"OPTIONS sip:{target} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {local};branch=z9hG4bK-{token};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:helpline-probe@{local}>;tag={token}\r\n"
        f"To: <sip:{target}>\r\n"
        f"Call-ID: {token}@helpline-probe\r\n"
        "CSeq: 1 OPTIONS\r\n"
        f"{probe}"
        "Content-Length: 0\r\n\r\n"
    ).encode()
