"""Data at rest through `helpline serve`: secrets out of answers and logs, owner-only files, recordings of a
real call and its transcript encrypted on disk and decrypted when played or read, then purged together after
their queue's retention period; what a gateway killed during a call left in clear is sealed when it starts
again."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import secrets
import signal
import stat
import wave
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from gateway.voice import RecordingsAtRest
from tests.integration.kamailio.conftest import free_udp_ports
from tests.integration.server.conftest import (
    DEMO,
    Server,
    bearer,
    login,
    set_presence,
    start_server,
    stop_server,
)
from tests.integration.server.test_calls import (
    _activity,
    _dial,
    _recordings,
    _registered_phone,
    _until,
    caller,
    media,
    pcap_dir,
    start_phone,
    start_trunk,
)
from tests.integration.voice.conftest import Caller
from tests.integration.voice.test_voice_transcripts import MODEL

__all__ = ["caller", "media", "pcap_dir", "start_phone", "start_trunk"]  # fixtures shared with the call tests

CRM_TOKEN = "crm-token-abcdef0123456789"
WEBHOOK_SECRET = "webhook-secret-abcdef0123456789"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _config(folder: Path, *, trunk_port: int, retention_days: float | None = None) -> Path:
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    demo["server"]["sip"] = {"trunk": {"uri": f"sip:{{number}}@127.0.0.1:{trunk_port}"}}
    demo["server"]["recordings"] = {"encryption_key_file": "recordings.key", "retention_check_seconds": 0.5}
    demo["speech"] = {"language": "ko", "model_dir": str(MODEL)}  # calls are transcribed
    demo["crm"] = {
        "token": CRM_TOKEN,
        "webhook_url": "http://127.0.0.1:9/hook",
        "webhook_secret": WEBHOOK_SECRET,
    }
    if retention_days is not None:
        for queue in demo["queues"]:
            queue["recording_retention_days"] = retention_days
    key = folder / "recordings.key"
    if not key.exists():
        key.write_text(base64.b64encode(secrets.token_bytes(32)).decode(), encoding="ascii")
    config = folder / "helpline.yaml"
    config.write_text(yaml.safe_dump(demo, sort_keys=False), encoding="utf-8")
    return config


async def test_given_secrets_in_the_configuration_when_served_then_no_answer_or_log_line_shows_them(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    server = start_server(tmp_path, config=_config(tmp_path, trunk_port=free_udp_ports(1)))
    try:
        ada = await login(http, server, "ada")
        async with http.get(server.base + "/api/v1/config", headers=bearer(ada)) as r:
            answer = await r.text()
    finally:
        stop_server(server)

    assert "<redacted>" in answer
    for secret in (CRM_TOKEN, WEBHOOK_SECRET, "alice-sip-secret", "recordings.key"):
        assert secret not in answer, secret
        assert secret not in server.log_text(), secret
    data = server.data_dir
    assert _mode(data) == 0o700
    assert _mode(data / "recordings") == 0o700
    assert _mode(data / "helpline.db") == 0o600
    assert _mode(data / "token-secret") == 0o600


async def test_given_a_key_and_a_retention_when_a_call_is_recorded_then_sealed_read_and_later_purged(
    tmp_path: Path, start_phone: Any, start_trunk: Any, http: aiohttp.ClientSession
) -> None:
    trunk_port, sip_port = free_udp_ports(1), free_udp_ports(1)
    server = start_server(tmp_path, config=_config(tmp_path, trunk_port=trunk_port), sip_port=sip_port)
    try:
        work, customer, recordings = await _recorded_call(
            server, sip_port, trunk_port, start_phone, start_trunk, http
        )
        alice = await login(http, server, "alice")
        files = sorted((server.data_dir / "recordings").rglob("*.wav*"))
        assert files and all(f.name.endswith(".wav.enc") and _mode(f) == 0o600 for f in files), files
        assert all(_mode(f.parent) == 0o700 for f in files)
        for recording in recordings:
            async with http.get(server.base + recording["url"], headers=bearer(alice)) as r:
                assert r.status == 200, await r.text()
                body = await r.read()
                digest = r.headers["Digest"]
            assert digest == "sha-256=" + hashlib.sha256(body).hexdigest()  # the plaintext, as recorded
            with wave.open(io.BytesIO(body)) as played:
                assert played.getnframes() / played.getframerate() >= 1.0
            assert body[:4] == b"RIFF" and all(body[44:2000] not in f.read_bytes() for f in files)
        # The call's transcript: sealed beside the recordings, read decrypted by the call's agent.
        linked = await _until(
            lambda: _transcript_linked(http, server, alice, customer["id"], work["id"]), within=90
        )
        [sealed] = (server.data_dir / "recordings").rglob("transcript.json*")
        assert (sealed.name, _mode(sealed)) == ("transcript.json.enc", 0o600)
        async with http.get(server.base + linked["transcript_url"], headers=bearer(alice)) as r:
            assert r.status == 200, await r.text()
            transcript = await r.json()
        assert transcript["interaction_id"] == work["id"] and transcript["duration"] > 1.0
        assert b"interaction_id" not in sealed.read_bytes() and work["id"].encode() not in sealed.read_bytes()
    finally:
        stop_server(server)

    # The same data on a restart whose queues keep recordings only a moment: the job purges them.
    again = start_server(
        tmp_path, config=_config(tmp_path, trunk_port=trunk_port, retention_days=1e-6), sip_port=sip_port
    )
    try:
        alice = await login(http, again, "alice")
        gone = await _until(lambda: _expired(http, again, alice, recordings[0]["url"]), within=30)
        assert gone["error_id"] == "recording_expired" and "retention" in gone["message"]
        activity = await _until(lambda: _activity(http, again, alice, customer["id"], work["id"]))
        assert activity["recording_expired"] is True
        assert activity["recording_url"] in {r["url"] for r in recordings}
        for recording in recordings:
            assert await _until(lambda url=recording["url"]: _expired(http, again, alice, url), within=30)
        assert not list((again.data_dir / "recordings").rglob("*.wav*"))
        assert not list((again.data_dir / "recordings").rglob("transcript.json*"))
        assert (activity["transcript_url"], activity["transcript_expired"]) == (
            linked["transcript_url"],
            True,
        )
        transcript_gone = await _expired(http, again, alice, linked["transcript_url"])
        assert transcript_gone is not None and transcript_gone["error_id"] == "transcript_expired"
        assert f"recording {recordings[0]['id']} " in again.log_text() and "purged" in again.log_text()
    finally:
        stop_server(again)


async def test_given_a_key_when_the_gateway_is_killed_during_a_call_then_its_segments_are_sealed_at_restart(
    tmp_path: Path, caller: Caller
) -> None:
    trunk_port, sip_port = free_udp_ports(1), free_udp_ports(1)
    config = _config(tmp_path, trunk_port=trunk_port)
    server = start_server(tmp_path, config=config, sip_port=sip_port)
    scratch = server.data_dir / "recordings" / ".calls"
    call = await caller.start(sip_port, [("pause", 2500), ("dtmf", "2"), ("pause", 30000)], max_seconds=40)
    try:
        # The caller's leg is recorded from the answer on: wait for 2 s of it, then the gateway dies.
        [segment] = await _until(lambda: _segments(scratch, more_than=32_000), within=30)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
    finally:
        call.kill()
        await call.wait()
        stop_server(server)
    assert segment.is_file()  # left in clear by the process that was writing it

    again = start_server(tmp_path, config=config, sip_port=sip_port)
    stop_server(again)

    recordings = again.data_dir / "recordings"
    assert not [p for p in recordings.rglob("*") if p.is_file() and not p.name.endswith(".enc")]
    assert not list(scratch.iterdir())
    [kept] = recordings.glob(f"unfinished/*/*/*/{segment.parent.name}/{segment.name}.enc")
    assert _mode(kept) == 0o600 and _mode(kept.parent) == 0o700
    key = base64.b64decode((tmp_path / "recordings.key").read_text(encoding="ascii"))
    with wave.open(io.BytesIO(RecordingsAtRest(key).read(kept))) as played:
        assert played.getnframes() / played.getframerate() >= 2.0
    told = f"call {segment.parent.name}: 1 recording segment(s) left in"
    assert told in again.log_text() and "were kept sealed in" in again.log_text(), again.log_text()[-3000:]


async def _segments(scratch: Path, *, more_than: int) -> list[Path]:
    def grown() -> list[Path]:
        return [p for p in scratch.glob("*/caller-*.wav") if p.stat().st_size > more_than]

    return await asyncio.to_thread(grown)


async def _transcript_linked(
    http: aiohttp.ClientSession, server: Server, token: str, customer_id: str, interaction_id: str
) -> dict[str, Any] | None:
    activity = await _activity(http, server, token, customer_id, interaction_id)
    return activity if activity is not None and activity["transcript_url"] else None


async def _expired(
    http: aiohttp.ClientSession, server: Server, token: str, url: str
) -> dict[str, Any] | None:
    async with http.get(server.base + url, headers=bearer(token)) as r:
        return dict(await r.json()) if r.status == 410 else None


async def _recorded_call(
    server: Server,
    sip_port: int,
    trunk_port: int,
    start_phone: Any,
    start_trunk: Any,
    http: aiohttp.ClientSession,
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Alice clicks to dial a customer, they talk, she hangs up and wraps up: the call is recorded."""
    trunk = await start_trunk(trunk_port)
    phone = await _registered_phone(start_phone, sip_port)
    crm, sam, alice = (
        await login(http, server, "crm", "crm-demo-secret"),
        await login(http, server, "sam"),
        await login(http, server, "alice"),
    )
    async with http.post(
        f"{server.base}/api/v1/customers",
        json={"name": "Rita Recorded", "phone": "+44 20 7946 0124"},
        headers=bearer(crm),
    ) as r:
        assert r.status == 201, await r.text()
        customer = await r.json()
    await set_presence(http, server, sam, {"alice": "available", "bob": "offline", "carol": "offline"})
    status, placed = await _dial(
        http, server, alice, {"number": "020 7946 0124", "customer_id": customer["id"]}
    )
    assert status == 202, placed
    await phone.wait_for("confirmed 1001 1")
    await trunk.answered()
    async with asyncio.timeout(10):  # the line may answer before the routing server has been told
        while True:
            async with http.get(f"{server.base}/api/v1/interactions?limit=500", headers=bearer(alice)) as r:
                assigned = [i for i in (await r.json())["items"] if i["state"] == "assigned"]
            if assigned:
                break
            await asyncio.sleep(0.2)
    [work] = assigned
    await asyncio.sleep(2.0)  # they talk
    async with http.post(
        f"{server.base}/api/v1/interactions/{work['id']}/hangup", headers=bearer(alice)
    ) as r:
        assert r.status == 200, await r.text()
    await trunk.finished()
    await phone.wait_for("disconnected 1001 1")
    async with http.post(
        f"{server.base}/api/v1/interactions/{work['id']}/wrap-up",
        json={"disposition": "sale"},
        headers=bearer(alice),
    ) as r:
        assert r.status == 200, await r.text()
    await _until(lambda: _activity(http, server, alice, customer["id"], work["id"]))
    recordings = await _until(lambda: _recordings(http, server, alice, work["id"]))
    return work, customer, recordings
