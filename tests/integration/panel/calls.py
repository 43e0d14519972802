"""The SIP side of the panel tests: the demo gateway with its SIP front (Kamailio, a media worker), open
around the clock and optionally with a trunk, and alice's registered desk phone that picks up when told."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.integration.server.conftest import DEMO, Server, start_server
from tests.integration.sip.conftest import free_udp_ports
from tests.integration.voice.conftest import HERE as VOICE_TESTS
from tests.integration.voice.conftest import Phone

__all__ = ["ALICE_SIP", "SAM_SIP", "desk_phone", "start_sip_server"]

ALICE_SIP = ("1001", "alice-sip-secret")  # as in the demo configuration
SAM_SIP = ("2001", "sam-sip-secret")  # the demo's supervisor
ALWAYS_OPEN = """business_hours:
  - id: office
    timezone: Europe/London
    weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"],
             fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}

"""


def start_sip_server(
    folder: Path, *, sip_port: int, trunk_port: int | None = None, extra: str = ""
) -> Server:
    """`helpline serve` on the demo configuration with its SIP front; with `trunk_port`, phone numbers are
    called through a trunk to 127.0.0.1 there (the demo has none); `extra`: YAML sections added at the end."""
    demo = DEMO.read_text(encoding="utf-8")
    hours, queues = demo.index("business_hours:"), demo.index("\nqueues:")
    text = demo[:hours] + ALWAYS_OPEN + demo[queues:]
    if trunk_port is not None:
        trunk = f'    trunk: {{uri: "sip:{{number}}@127.0.0.1:{trunk_port}"}}\n'
        text = text.replace("\n  sip:\n", "\n  sip:\n" + trunk, 1)  # next to the demo line's numbers
    config = folder / "helpline.yaml"
    config.write_text(text + extra, encoding="utf-8")
    return start_server(folder, config=config, sip_port=sip_port)


async def desk_phone(
    media: Path, folder: Path, sip_port: int, *, account: tuple[str, str] = ALICE_SIP, pick_up: str = "manual"
) -> Phone:
    """A demo user's desk phone (the voice tests' phone.py; alice's unless `account` says whose), registered
    with the gateway's Kamailio; a call to it rings until the test sends `answer`, or with
    `pick_up="auto"` is answered after a short ring."""
    port = free_udp_ports(1)
    user, password = account
    argv = [sys.executable, str(VOICE_TESTS / "phone.py"), "--port", str(port), "--play",
            str(media / "agent.wav"), "--record-dir", str(folder), "--answer", user,
            "--pick-up", pick_up, "--registrar", f"127.0.0.1:{sip_port}",
            "--register", f"{user}:{password}"]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    phone = Phone(process, port, folder)
    await phone.wait_for("ready", within=15)
    await phone.wait_for(f"registered {user} 200", within=15)
    return phone
