"""REST for transcripts: one call's (its agent, supervisors, admins), and a search over every stored one
(supervisors, admins). Transcripts sealed at rest are decrypted as they are read."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

from aiohttp import web
from pydantic import BaseModel, ValidationError

from gateway.acd_server import AcdServer
from gateway.acd_server.access import handling_agent, may_see
from gateway.auth import principal_of
from gateway.storage import Database
from gateway.voice import SEALED_SUFFIX, TRANSCRIPT_FILE, RecordingsAtRest, RecordingUnreadable
from gateway.web import ApiError, ApiRoute, BadRequest, Forbidden, NotFound, json_response

__all__ = ["TranscriptOut", "TranscriptSearch", "routes"]

logger = logging.getLogger("helpline.speech")
READERS = ("agent", "supervisor", "admin")  # an agent reads the transcripts of its own calls
SEARCHERS = ("supervisor", "admin")
MAX_QUERY = 200
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}")
_NAMES = (TRANSCRIPT_FILE, TRANSCRIPT_FILE + SEALED_SUFFIX)


class TranscriptExpired(ApiError):
    status = 410
    error_id = "transcript_expired"


class TurnOut(BaseModel):
    speaker: str
    start: float
    end: float
    text: str


class SideOut(BaseModel):
    speaker: str
    talk_seconds: float
    words: int
    words_per_minute: float | None


class KeywordHitOut(BaseModel):
    category: str
    phrase: str
    speaker: str
    at: float


class TranscriptOut(BaseModel):
    interaction_id: str
    queue: str | None
    duration: float
    turns: list[TurnOut]
    sides: list[SideOut]
    silence_seconds: float
    silence_share: float
    longest_silence: float
    overtalk_count: int
    overtalk_seconds: float
    keyword_hits: list[KeywordHitOut]


class TranscriptMatch(BaseModel):
    interaction_id: str
    queue: str | None
    turns: list[TurnOut]  # the turns that contain the query


class TranscriptSearch(BaseModel):
    items: list[TranscriptMatch]


def routes(
    recordings_dir: Path, hub: AcdServer, database: Database, *, at_rest: RecordingsAtRest
) -> list[ApiRoute]:
    async def get_transcript(request: web.Request) -> web.StreamResponse:
        iid = request.match_info["interaction_id"]
        principal = principal_of(request)
        if principal.role == "agent":
            await hub.caught_up()
            if not may_see(
                principal, handling_agent(hub.interaction(iid), await database.get_interaction(iid))
            ):
                raise Forbidden(
                    "an agent reads only the transcripts of its own calls",
                    error_id="not_your_interaction",
                    details={"interaction_id": iid},
                )
        found = await asyncio.to_thread(_read_one, recordings_dir, iid, at_rest)
        if found is None:
            purged = [r.purged_at for r in await database.recordings_of(iid) if r.purged_at is not None]
            if purged:
                raise TranscriptExpired(
                    f"the call's transcript was deleted on {min(purged):%Y-%m-%d} with its recordings, "
                    "when its queue's retention period had passed",
                    details={"interaction_id": iid, "purged_at": min(purged).isoformat()},
                )
            raise NotFound(f"no transcript for interaction {iid!r}", details={"interaction_id": iid})
        return json_response(found)

    async def search(request: web.Request) -> web.StreamResponse:
        q = request.query.get("q", "").strip()
        if not q or len(q) > MAX_QUERY:
            raise BadRequest(
                f"q must be 1-{MAX_QUERY} characters of text to look for",
                error_id="invalid_query",
                details={"q": q},
            )
        try:
            limit = max(1, min(int(request.query.get("limit", "50")), 500))
        except ValueError:
            raise BadRequest("limit must be a whole number", error_id="invalid_query") from None
        items = await asyncio.to_thread(_search, recordings_dir, q, limit, at_rest)
        return json_response(TranscriptSearch(items=items))

    return [
        ApiRoute(
            "GET",
            "/api/v1/interactions/{interaction_id}/transcript",
            get_transcript,
            "The call's transcript: speaker turns (digit runs redacted), talk/silence/overtalk, keyword hits",
            READERS,
            response=TranscriptOut,
            errors=(403, 404, 410),
        ),
        ApiRoute(
            "GET",
            "/api/v1/transcripts",
            search,
            "Transcripts whose text contains q (newest first), with the matching turns",
            SEARCHERS,
            response=TranscriptSearch,
            errors=(400,),
            query=(("q", "text to look for (case-insensitive)"), ("limit", "at most this many calls (50)")),
        ),
    ]


def _files(root: Path) -> list[Path]:
    # recordings/<yyyy>/<mm>/<dd>/<interaction>/transcript.json[.enc]: the path sorts by day
    found = [path for name in _NAMES for path in root.glob(f"*/*/*/*/{name}")]
    return sorted(found, key=lambda path: path.parent, reverse=True)


def _load(path: Path, at_rest: RecordingsAtRest) -> TranscriptOut | None:
    try:
        return TranscriptOut.model_validate(json.loads(at_rest.read(path).decode("utf-8")))
    except (OSError, ValueError, ValidationError, RecordingUnreadable):
        logger.warning("transcript %s cannot be read; skipped", path)
        return None


def _read_one(root: Path, iid: str, at_rest: RecordingsAtRest) -> TranscriptOut | None:
    if not _SAFE_ID.fullmatch(iid):  # it becomes part of a glob pattern
        return None
    for name in _NAMES:
        for path in root.glob(f"*/*/*/{iid}/{name}"):
            if path.parent.name == iid:
                return _load(path, at_rest)
    return None


def _search(root: Path, q: str, limit: int, at_rest: RecordingsAtRest) -> list[TranscriptMatch]:
    needle, found = q.casefold(), []
    for path in _files(root):
        transcript = _load(path, at_rest)
        if transcript is None:
            continue
        turns = [t for t in transcript.turns if needle in t.text.casefold()]
        if turns:
            found.append(
                TranscriptMatch(interaction_id=transcript.interaction_id, queue=transcript.queue, turns=turns)
            )
            if len(found) >= limit:
                break
    return found
