"""Transcripts over REST: one call's, and the search supervisors use (issue 13, item 1); each test runs on
transcripts in clear and on transcripts sealed at rest (a recordings key configured)."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import yaml

from gateway.speech import TRANSCRIPT_FILE, transcript_document
from gateway.speech._dialogue import Leg, Word, build_transcript
from gateway.storage import Database, InteractionRecord
from gateway.voice import RecordingsAtRest

from .conftest import DEMO, Server, login, start_server, stop_server


def words(text: str, start: float) -> tuple[Word, ...]:
    return tuple(Word(w, start + i * 0.5, start + i * 0.5 + 0.4) for i, w in enumerate(text.split()))


async def handled(db: Path, agents: dict[str, str]) -> None:
    """The calls as the gateway stored them: who answered each."""
    database = Database(f"sqlite+aiosqlite:///{db}")
    await database.start()
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for iid, agent in agents.items():
        record = InteractionRecord(iid, "voice", "support", at, answered_at=at, ended_at=at, agent_id=agent)
        await database.save_interaction(record)
    await database.close()


def _sealing_config(folder: Path) -> tuple[Path, bytes]:
    """The demo configuration with a recordings key: transcripts are kept sealed."""
    key = secrets.token_bytes(32)
    (folder / "recordings.key").write_text(base64.b64encode(key).decode(), encoding="ascii")
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    demo["server"]["recordings"] = {"encryption_key_file": "recordings.key"}
    config = folder / "helpline.yaml"
    config.write_text(yaml.safe_dump(demo, sort_keys=False), encoding="utf-8")
    return config, key


@pytest.fixture(scope="module", params=["in clear", "sealed"])
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("transcripts")
    config, key = _sealing_config(tmp) if request.param == "sealed" else (DEMO, None)
    at_rest = RecordingsAtRest(key)  # what the transcription service writes with
    caller = Leg("caller", words("주문 을 취소 하고 싶어요 카드 는 일 이 삼 사 오", 0.5), ((0.5, 6.0),), 9.0)
    agent = Leg("agent", words("네 확인 하겠습니다", 6.5), ((6.5, 8.0),), 9.0)
    transcript = build_transcript([caller, agent], {"cancel": ["취소"]})
    for iid in ("call-1", "call-3"):
        folder = tmp / "data" / "recordings" / "2026" / "03" / "02" / iid
        folder.mkdir(parents=True)
        document = transcript_document(iid, "support", transcript)
        kept = at_rest.write(folder / TRANSCRIPT_FILE, json.dumps(document, ensure_ascii=False).encode())
        assert (kept.name == TRANSCRIPT_FILE) == (key is None)
        assert (b"support" in kept.read_bytes()) == (key is None)
    asyncio.run(handled(tmp / "data" / "helpline.db", {"call-1": "alice", "call-3": "bob"}))
    srv = start_server(tmp, config=config)
    yield srv
    stop_server(srv)


async def get(
    http: aiohttp.ClientSession, server: Server, path: str, user: str
) -> tuple[int, dict[str, object]]:
    token = await login(http, server, user)
    async with http.get(server.base + path, headers={"Authorization": f"Bearer {token}"}) as r:
        return r.status, await r.json()


async def test_given_a_stored_transcript_when_a_supervisor_searches_then_the_matching_turn_comes_back(
    server: Server, http: aiohttp.ClientSession
) -> None:
    status, body = await get(http, server, "/api/v1/transcripts?q=취소", "sam")
    assert status == 200, body
    assert [item["interaction_id"] for item in body["items"]] == ["call-3", "call-1"]
    assert body["items"][1] == {
        "interaction_id": "call-1",
        "queue": "support",
        "turns": [
            {
                "speaker": "caller",
                "start": 0.5,
                "end": 6.0,
                "text": "주문 을 취소 하고 싶어요 카드 는 [redacted]",
            }
        ],
    }
    status, body = await get(http, server, "/api/v1/transcripts?q=환불", "sam")
    assert (status, body["items"]) == (200, [])


async def test_given_a_call_when_its_transcript_is_read_then_figures_and_keyword_hits_come_with_it(
    server: Server, http: aiohttp.ClientSession
) -> None:
    status, body = await get(http, server, "/api/v1/interactions/call-1/transcript", "sam")
    assert status == 200, body
    assert body["keyword_hits"] == [{"category": "cancel", "phrase": "취소", "speaker": "caller", "at": 1.5}]
    assert body["overtalk_count"] == 0 and body["longest_silence"] == 1.0
    status, body = await get(http, server, "/api/v1/interactions/call-2/transcript", "sam")
    assert status == 404 and body["details"] == {"interaction_id": "call-2"}


@pytest.mark.parametrize(
    ("query", "user", "status"), [("", "sam", 400), ("?q=", "sam", 400), ("?q=취소", "alice", 403)]
)
async def test_given_bad_queries_or_an_agent_when_searching_then_refused(
    server: Server, http: aiohttp.ClientSession, query: str, user: str, status: int
) -> None:
    got, body = await get(http, server, f"/api/v1/transcripts{query}", user)
    assert got == status, body
    if status == 400:
        assert body["error_id"] == "invalid_query" and "q must be" in str(body["message"])


async def test_given_agents_when_reading_transcripts_then_only_their_own_calls_are_open_to_them(
    server: Server, http: aiohttp.ClientSession
) -> None:
    status, body = await get(http, server, "/api/v1/interactions/call-1/transcript", "alice")
    assert status == 200 and body["interaction_id"] == "call-1", body
    status, body = await get(http, server, "/api/v1/interactions/call-3/transcript", "alice")
    assert (status, body["error_id"]) == (403, "not_your_interaction")
