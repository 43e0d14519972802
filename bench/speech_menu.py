"""Speech menu bench: decision latency (end of speech -> branch) and what listening costs a media worker.

Real calls: SIPp calls one media worker behind the voice service, whose menu listens through the
`LiveRecogniser` (the real Vosk model in its own process). Latency: `calls` callers, one after another,
say a Korean keyword (espeak-ng, G.711 u-law) one second into the prompt; the gateway measures from the
end of the caller's speech (the recogniser's last voiced frame, on the clock the worker's recorder
keeps) to the moment the menu's choice is fed to the flow. Cost: `concurrent` silent callers wait in a
menu for `hold` seconds, first with a DTMF-only menu, then with the same menu listening, alternately
`rounds` times; the worker's CPU time (utime + stime from /proc) over each window, minus an idle window.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.sip._measure import CLK_TCK, cpu_ticks
from bench.sip._scenarios import free_udp_ports
from gateway.acd_server import AcdServer
from gateway.config import parse_config
from gateway.ivr import parse_flows
from gateway.metrics import Metrics
from gateway.sip import WorkerPool
from gateway.speech import LiveRecogniser
from gateway.storage import Database
from gateway.voice import EventRelay, PromptCache, RecordingInfo, VoiceService

__all__ = ["run_menu"]

WORD = "상담"  # "consultation": the support option the callers say
_MENU = {
    "prompt": "Press 2 or say support.",
    "timeout": 60,
    "retries": 0,
}
CONFIG = {
    "skills": [{"id": "support"}],
    "queues": [{"id": "support", "name": "Support", "skills": [{"skill": "support"}]}],
    "flows": {
        "main": [{"menu": {**_MENU, "options": {"2": {"goto": "support", "speech": [WORD]}}}}],
        "plain": [{"menu": {**_MENU, "options": {"2": "support"}}}],
        "support": [{"queue": {"queue": "support"}}],
    },
}
_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="speech menu caller">
  <send retrans="500"><![CDATA[
      INVITE sip:helpline@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+15550100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:helpline@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:+15550100@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+15550100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:helpline@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      [routes]
      CSeq: 1 ACK
      Content-Length: 0
    ]]></send>
  <nop><action><exec rtp_stream="@WAV@,-1,0"/></action></nop>
  <pause milliseconds="@HOLD_MS@"/>
  <nop><action><exec rtp_stream="pause"/></action></nop>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+15550100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:helpline@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      [routes]
      CSeq: 2 BYE
      Content-Length: 0
    ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""


class _Discard:
    async def save(self, info: RecordingInfo) -> None:
        return None


def _render(folder: Path) -> tuple[Path, Path]:
    """speech.wav: 1 s of silence, the word, silence to 60 s; quiet.wav: 60 s of silence (both u-law)."""
    raw, speech, quiet = folder / "word.wav", folder / "speech.wav", folder / "quiet.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), WORD], check=True, timeout=60)
    ulaw = ["-r", "8000", "-c", "1", "-e", "u-law"]
    subprocess.run(
        ["sox", str(raw), *ulaw, str(speech), "pad", "1", "60", "trim", "0", "60"], check=True, timeout=60
    )
    subprocess.run(["sox", "-n", *ulaw, str(quiet), "trim", "0", "60"], check=True, timeout=60)
    return speech, quiet


class _Bench:
    def __init__(self, folder: Path, model: Path) -> None:
        self.folder = folder
        self.listener = LiveRecogniser(model_dir=model)
        self._calls = 0

    async def gateway(self, entry: str) -> tuple[VoiceService, WorkerPool, AcdServer, Database, int]:
        config = parse_config(CONFIG)
        flows = parse_flows(config.flows, queues={"support"}, business_hours=set(), path="flows")
        db = Database(f"sqlite:///{self.folder / f'{entry}.db'}", connect_timeout=10)
        await db.start()
        hub = AcdServer(config=config, database=db, metrics=Metrics())
        await hub.start()
        relay, port = EventRelay(), free_udp_ports(1)
        pool = WorkerPool(
            size=1, base_port=port, on_event=relay.on_event, on_worker_lost=relay.on_worker_lost
        )
        voice = VoiceService(
            pool,
            flows,
            hub,
            entry_flow=entry,
            prompts=PromptCache(self.folder / "prompts"),
            recordings_dir=self.folder / "recordings",
            agent_uri=lambda _agent: None,
            is_open=lambda _hours, _now: True,
            recording_sink=_Discard(),
            speech=self.listener,
        )
        relay.connect(voice)
        await pool.start()
        await voice.start()
        return voice, pool, hub, db, port

    async def call(self, port: int, wav: Path, hold_seconds: float) -> asyncio.subprocess.Process:
        self._calls += 1
        scenario = self.folder / f"caller-{self._calls}.xml"
        text = _SCENARIO.replace("@WAV@", str(wav)).replace("@HOLD_MS@", str(int(hold_seconds * 1000)))
        await asyncio.to_thread(scenario.write_text, text)
        argv = [
            "sipp", f"127.0.0.1:{port}", "-sf", str(scenario), "-i", "127.0.0.1",
            "-p", str(free_udp_ports(1)), "-mi", "127.0.0.1", "-mp", str(free_udp_ports(4)),
            "-m", "1", "-l", "1", "-nostdin",
            "-timeout", f"{hold_seconds + 30:.0f}s", "-timeout_error",
        ]  # fmt: skip
        return await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )


async def _stop(parts: tuple[VoiceService, WorkerPool, AcdServer, Database, int]) -> None:
    voice, pool, hub, db, _ = parts
    await voice.stop()
    await pool.stop()
    await hub.stop()
    await db.close()


async def _latencies(bench: _Bench, speech: Path, calls: int) -> list[float]:
    parts = await bench.gateway("main")
    try:
        for _ in range(calls):
            process = await bench.call(parts[4], speech, 4.0)
            await process.wait()
    finally:
        await _stop(parts)
    return list(bench.listener.latencies)


async def _worker_cpu(
    bench: _Bench, entry: str, quiet: Path, concurrent: int, hold: float
) -> tuple[float, float]:
    """CPU seconds the worker and the recognition process spent in a `hold - 4` s window with
    `concurrent` callers in the menu."""
    parts = await bench.gateway(entry)
    try:
        [worker] = parts[1].status()
        assert worker.pid is not None
        processes = [await bench.call(parts[4], quiet, hold) for _ in range(concurrent)]
        await asyncio.sleep(3.0)  # answered, prompt rendered and playing, listening
        recogniser = [bench.listener.pid or 0]
        before, heard_before = cpu_ticks([worker.pid]), cpu_ticks(recogniser)
        await asyncio.sleep(hold - 4.0)
        used = (cpu_ticks([worker.pid]) - before) / CLK_TCK, (cpu_ticks(recogniser) - heard_before) / CLK_TCK
        for process in processes:
            await process.wait()
    finally:
        await _stop(parts)
    return used


async def _run(model: Path, calls: int, concurrent: int, hold: float, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="helpline-bench-menu-") as tmp:
        folder = Path(tmp)
        speech, quiet = await asyncio.to_thread(_render, folder)
        bench = _Bench(folder, model)
        await bench.listener.start()
        try:
            await bench.listener.wait_ready(300)
            latencies = await _latencies(bench, speech, calls)
            idle, plain, listening, heard = [], [], [], []
            for _ in range(rounds):
                idle.append((await _worker_cpu(bench, "plain", quiet, 0, hold))[0])
                plain.append((await _worker_cpu(bench, "plain", quiet, concurrent, hold))[0])
                worker, recogniser = await _worker_cpu(bench, "main", quiet, concurrent, hold)
                listening.append(worker)
                heard.append(recogniser)
        finally:
            await bench.listener.close()
    window = hold - 4.0
    per_call = (statistics.median(plain) - statistics.median(idle)) / concurrent / window
    extra = (statistics.median(listening) - statistics.median(plain)) / concurrent / window
    recognising = statistics.median(heard) / concurrent / window
    ordered = sorted(latencies) or [float("nan")]
    p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank
    return {
        "menu_decisions": len(latencies),
        "menu_decision_p50_ms": round(1000 * statistics.median(ordered), 1),
        "menu_decision_p95_ms": round(1000 * p95, 1),
        "menu_worker_cpu_per_dtmf_call_pct": round(100 * per_call, 2),
        "menu_worker_cpu_extra_per_listening_call_pct": round(100 * extra, 2),
        "menu_recogniser_cpu_per_listening_call_pct": round(100 * recognising, 2),
        "menu_concurrent_calls": concurrent,
        "load_average_1m_after_menu": round(os.getloadavg()[0], 2),
    }


def run_menu(model: Path, *, calls: int, concurrent: int, hold: float, rounds: int) -> dict[str, Any]:
    if hold < 8:
        raise ValueError("speech menu bench: --menu-hold must be >= 8 seconds")
    return asyncio.run(_run(model, calls, concurrent, hold, rounds))
