"""baresip (Debian `baresip-core`) as a standard softphone, driven through its `ctrl_tcp` module.

The phone reads its `config` and `accounts` from a throwaway folder, sends a WAV file as its microphone
(`aufile`) and plays what it hears into nothing (`aubridge`); `sndfile` keeps both directions of every
call as WAV files, so a test can listen to what the user would have heard. Commands are baresip's own
menu commands (`dial`, `sndcode`, `hangup`, `reginfo`) sent as netstrings of JSON; replies and events
come back the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.kamailio.conftest import free_udp_ports
from tests.services import free_port

__all__ = ["Baresip", "baresip_phone"]


@dataclass
class Baresip:
    process: asyncio.subprocess.Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    log: Path
    events: list[dict[str, Any]] = field(default_factory=list)
    _tokens: int = 0

    async def command(self, name: str, params: str = "") -> dict[str, Any]:
        """Send one menu command and return baresip's reply (events seen meanwhile are kept)."""
        self._tokens += 1
        token = str(self._tokens)
        payload = json.dumps({"command": name, "params": params, "token": token}).encode()
        self.writer.write(b"%d:%s," % (len(payload), payload))
        await self.writer.drain()
        while True:
            message = await self._read()
            if message.get("response") and message.get("token") == token:
                return message

    async def registered(self, timeout: float = 20.0) -> str:
        """Wait until the account is registered (baresip's `reginfo` says OK); returns what it says."""
        async with asyncio.timeout(timeout):
            while True:
                info = str((await self.command("reginfo")).get("data", ""))
                if "OK" in info:
                    return info
                await asyncio.sleep(0.2)

    async def wait_event(self, kind: str, timeout: float = 20.0) -> dict[str, Any]:
        """The first event of type `kind` (e.g. `REGISTER_OK`, `CALL_ESTABLISHED`), seen before or now."""
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events:
                    if event.get("type") == kind:
                        return event
                await self._read()

    async def _read(self) -> dict[str, Any]:
        length = int((await self.reader.readuntil(b":"))[:-1])
        body = await self.reader.readexactly(length + 1)  # the payload and its trailing comma
        message: dict[str, Any] = json.loads(body[:-1])
        if message.get("event"):
            self.events.append(message)
        return message

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def heard(self) -> list[Path]:
        """The WAV files of what the phone received (sndfile's `-dec` dumps), one per call."""
        return sorted(self.log.parent.glob("dump-*dec*.wav"))


def _silence(path: Path, seconds: float) -> None:
    """The microphone: baresip's aufile source ends the call when its file ends, so it is long."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(8000 * seconds))


def _write_config(folder: Path, account: str, extra: tuple[str, ...]) -> int:
    """baresip's `config` and `accounts` in `folder`; returns the ctrl_tcp port."""
    folder.mkdir(parents=True, exist_ok=True)
    microphone = folder / "microphone.wav"
    _silence(microphone, 120)
    control, sip = free_port(), free_udp_ports(1)
    (folder / "accounts").write_text(account + "\n")
    (folder / "config").write_text(
        "\n".join(
            [
                "poll_method poll",
                f"sip_listen 127.0.0.1:{sip}",
                f"audio_source aufile,{microphone}",
                "audio_player aubridge,nowhere",
                "audio_alert aubridge,nowhere",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module aufile.so",
                "module aubridge.so",
                "module_app account.so",
                "module_app menu.so",
                "module_app ctrl_tcp.so",
                f"ctrl_tcp_listen 127.0.0.1:{control}",
                "module sndfile.so",  # every call's audio, both ways, as WAV files in `folder`
                f"snd_path {folder}",
                *extra,
                "",
            ]
        )
    )
    return control


@contextlib.asynccontextmanager
async def baresip_phone(
    folder: Path, *, account: str, config: tuple[str, ...] = ()
) -> AsyncIterator[Baresip]:
    """A running baresip with one account line, e.g. `<sip:1001@127.0.0.1:5060>;auth_pass=...`, and `config`
    lines added to its configuration (e.g. `sip_cafile ...` to trust a TLS server's certificate)."""
    binary = shutil.which("baresip")
    if binary is None:
        raise RuntimeError(
            "baresip is not installed (Debian package 'baresip-core'); `make setup` installs it"
        )
    control = await asyncio.to_thread(_write_config, folder, account, config)
    log = folder / "baresip.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            binary, "-f", str(folder), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        reader, writer = await _connect(control, process, log)
        phone = Baresip(process=process, reader=reader, writer=writer, log=log)
        try:
            yield phone
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


async def _connect(
    port: int, process: asyncio.subprocess.Process, log: Path
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    for _ in range(100):
        if process.returncode is not None:
            break
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
    output = await asyncio.to_thread(log.read_text, errors="replace")
    raise RuntimeError(f"baresip's ctrl_tcp did not listen on {port}:\n{output}")
