"""REST for calls: hold, resume, hang up, blind transfer, recording pause/resume, and recordings; and the
CTI adapter's click-to-dial `Dialer` on top of the voice service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cti_adapter import DialRequest
from gateway.acd_server import AcdServer
from gateway.acd_server.access import handling_agent, may_see
from gateway.auth import principal_of
from gateway.storage import Database, RecordingRecord, column_length
from gateway.voice._at_rest import SEALED_SUFFIX, RecordingsAtRest
from gateway.voice._monitor import MonitorStatus
from gateway.voice._recording import RecordingInfo
from gateway.voice._retention import recording_url
from gateway.voice._service import VoiceService
from gateway.voice._session import MonitorMode
from gateway.voice.errors import (
    AlreadyMonitored,
    CallNotFoundError,
    DialError,
    DialRefusal,
    MonitorError,
    NoRoomForSupervisor,
    NoSupervisorPhone,
    NotMonitoring,
    RecordingUnreadable,
)
from gateway.web import (
    ApiError,
    ApiRoute,
    BadRequest,
    Conflict,
    ErrorMapping,
    Forbidden,
    NotFound,
    json_response,
    read_body,
)

__all__ = ["ERRORS", "DatabaseRecordings", "VoiceDialer", "routes"]

_CALLER_LENGTH = column_length("recordings.caller")  # a SIP From user can be any length

HANDLERS = ("agent", "supervisor", "admin")
LISTENERS = ("agent", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")


def _monitor_details(exc: MonitorError) -> dict[str, Any]:
    return {"interaction_id": exc.interaction_id, "supervisor_id": exc.supervisor_id}


ERRORS: tuple[ErrorMapping[Any], ...] = (
    ErrorMapping(CallNotFoundError, 409, "no_such_call", lambda e: {"interaction_id": e.interaction_id}),
    ErrorMapping(NoSupervisorPhone, 409, "supervisor_has_no_phone", _monitor_details),
    ErrorMapping(AlreadyMonitored, 409, "already_monitored", _monitor_details),
    ErrorMapping(NotMonitoring, 409, "not_monitoring", _monitor_details),
    ErrorMapping(NoRoomForSupervisor, 503, "media_worker_full", _monitor_details),
    ErrorMapping(RecordingUnreadable, 500, "recording_unreadable", lambda e: {"file": e.name}),
)
"""How the voice service's errors leave the API (given to the error middleware by the composition root)."""


class DatabaseRecordings:
    """The voice service's recording sink: every finished file gets a row with its fingerprint."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def save(self, info: RecordingInfo) -> None:
        await self._database.save_recording(
            RecordingRecord(
                id=info.id,
                interaction_id=info.interaction_id,
                kind=str(info.kind),
                path=str(info.path),
                started_at=info.started_at,
                duration_seconds=info.duration_s,
                size_bytes=info.size,
                sha256=info.sha256,
                caller=info.caller[:_CALLER_LENGTH] or None,
            )
        )


class RecordingExpired(ApiError):
    status = 410
    error_id = "recording_expired"


class DialUnavailable(ApiError):
    status = 503
    error_id = "dial_unavailable"


_REFUSALS: dict[DialRefusal, type[ApiError]] = {
    DialRefusal.NO_TRUNK: DialUnavailable,
    DialRefusal.INVALID_NUMBER: BadRequest,
    DialRefusal.NO_PHONE: Conflict,
    DialRefusal.PHONE_UNREACHABLE: Conflict,
    DialRefusal.AGENT_BUSY: Conflict,
    DialRefusal.NO_QUEUE: Conflict,
}


class VoiceDialer:
    """Click-to-dial for the CTI adapter: answers once the agent's own phone rings, or with a JSON error
    saying why it cannot (no trunk 503, bad number 400, agent busy or phone unreachable 409)."""

    def __init__(self, voice: Callable[[], VoiceService | None]) -> None:
        self._voice = voice

    async def dial(self, request: DialRequest) -> None:
        service = self._voice()
        if service is None:
            raise DialUnavailable("calls are not handled by this gateway (no SIP front or no IVR flow)")
        attributes = {"customer_id": request.customer_id, "case_id": request.case_id}
        try:
            await service.click_to_dial(
                request.agent_id,
                request.number,
                attributes={k: v for k, v in attributes.items() if v is not None},
            )
        except DialError as exc:
            raise _REFUSALS[exc.refusal](
                exc.detail,
                error_id=str(exc.refusal),
                details={"agent_id": exc.agent_id, "number": request.number},
            ) from None


class TransferTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str | None = Field(default=None, max_length=64)
    agent: str | None = Field(default=None, max_length=64)
    number: str | None = Field(default=None, max_length=40)
    uri: str | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _exactly_one(self) -> TransferTarget:
        if sum(v is not None for v in (self.queue, self.agent, self.number, self.uri)) != 1:
            raise ValueError("give exactly one of queue, agent, number, uri")
        return self

    def as_target(self) -> str:
        if self.queue is not None:
            return f"queue:{self.queue}"
        if self.agent is not None:
            return f"agent:{self.agent}"
        return self.uri if self.uri is not None else str(self.number)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: TransferTarget


class MonitorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: MonitorMode = Field(
        description="listen: hear both sides; whisper: the agent hears you; barge: both do"
    )


class MonitorOut(BaseModel):
    interaction_id: str
    supervisor_id: str
    agent_id: str
    mode: MonitorMode
    connected: bool = Field(description="the supervisor's phone answered (false: it is ringing)")


def _monitor_out(status: MonitorStatus) -> MonitorOut:
    return MonitorOut(
        interaction_id=status.interaction_id,
        supervisor_id=status.supervisor_id,
        agent_id=status.agent_id,
        mode=status.mode,
        connected=status.connected,
    )


class CallActionOut(BaseModel):
    interaction_id: str
    done: str


class RecordingOut(BaseModel):
    id: str
    interaction_id: str | None
    kind: str
    started_at: float
    duration_seconds: float
    size_bytes: int
    sha256: str
    url: str


class RecordingList(BaseModel):
    items: list[RecordingOut]


def _out(record: RecordingRecord) -> RecordingOut:
    return RecordingOut(
        id=record.id,
        interaction_id=record.interaction_id,
        kind=record.kind,
        started_at=record.started_at.timestamp(),
        duration_seconds=record.duration_seconds,
        size_bytes=record.size_bytes,
        sha256=record.sha256,
        url=recording_url(record.id),
    )


Action = Callable[[VoiceService, str], Awaitable[None]]


_CALL_ACTIONS: tuple[tuple[str, str, Action, str], ...] = (
    ("hold", "hold", lambda s, i: s.hold(i), "Put the caller on hold (music)"),
    ("resume", "resume", lambda s, i: s.resume(i), "Take the caller off hold"),
    ("hangup", "hangup", lambda s, i: s.hang_up(i), "Hang up the call from the panel"),
    (
        "recording/pause",
        "pause-recording",
        lambda s, i: s.pause_recording(i),
        "Pause the call's recording (the gap is kept as silence)",
    ),
    (
        "recording/resume",
        "resume-recording",
        lambda s, i: s.resume_recording(i),
        "Resume the call's recording",
    ),
)
"""The call actions that take no body: (path under the interaction, action name, what it does, summary)."""


def routes(
    voice: Callable[[], VoiceService | None],
    hub: AcdServer,
    database: Database,
    *,
    at_rest: RecordingsAtRest | None = None,
) -> list[ApiRoute]:
    kept = at_rest or RecordingsAtRest()

    async def handled_by(request: web.Request, interaction_id: str) -> None:
        """Agents act only on their own calls; supervisors and admins on any."""
        principal = principal_of(request)
        if principal.role != "agent":
            return
        await hub.caught_up()  # routing events reach the database a moment after the sockets
        view = hub.interaction(interaction_id)
        record = await database.get_interaction(interaction_id)
        if not may_see(principal, handling_agent(view, record)):
            raise Forbidden(
                "an agent may act only on its own calls",
                error_id="not_your_interaction",
                details={"interaction_id": interaction_id},
            )

    def call_action(name: str, action: Action) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            interaction_id = request.match_info["interaction_id"]
            await handled_by(request, interaction_id)
            service = voice()
            if service is None:
                raise Conflict(
                    "calls are not handled by this gateway (no SIP front or no IVR flow)",
                    error_id="voice_not_running",
                )
            await action(service, interaction_id)
            return json_response(CallActionOut(interaction_id=interaction_id, done=name))

        handler.__name__ = name.replace("-", "_")
        return handler

    async def transfer(request: web.Request) -> web.StreamResponse:
        body = await read_body(request, TransferIn)
        target = body.to.as_target()

        async def run(service: VoiceService, interaction_id: str) -> None:
            try:
                await service.transfer(interaction_id, target)
            except ValueError as exc:
                raise BadRequest(str(exc), error_id="bad_transfer_target", details={"to": target}) from None

        return await call_action("transfer", run)(request)

    def running() -> VoiceService:
        service = voice()
        if service is None:
            raise Conflict(
                "calls are not handled by this gateway (no SIP front or no IVR flow)",
                error_id="voice_not_running",
            )
        return service

    async def join_call(request: web.Request) -> web.StreamResponse:
        body = await read_body(request, MonitorIn)
        iid, me = request.match_info["interaction_id"], principal_of(request).user_id
        status = await running().monitor(iid, me, body.mode)
        return json_response(_monitor_out(status), status=202)

    async def change_mode(request: web.Request) -> web.StreamResponse:
        body = await read_body(request, MonitorIn)
        iid, me = request.match_info["interaction_id"], principal_of(request).user_id
        return json_response(_monitor_out(await running().monitor_mode(iid, me, body.mode)))

    async def leave_call(request: web.Request) -> web.StreamResponse:
        iid, me = request.match_info["interaction_id"], principal_of(request).user_id
        return json_response(_monitor_out(await running().stop_monitoring(iid, me)))

    async def monitored_by(request: web.Request) -> web.StreamResponse:
        iid = request.match_info["interaction_id"]
        status = await running().monitoring(iid)
        if status is None:
            raise NotFound("no supervisor is on this call", details={"interaction_id": iid})
        return json_response(_monitor_out(status))

    async def list_recordings(request: web.Request) -> web.StreamResponse:
        interaction_id = request.match_info["interaction_id"]
        await handled_by(request, interaction_id)
        return json_response(
            RecordingList(items=[_out(r) for r in await database.recordings_of(interaction_id)])
        )

    async def get_recording(request: web.Request) -> web.StreamResponse:
        record = await database.get_recording(request.match_info["recording_id"])
        if record is None:
            raise NotFound("no such recording", details={"recording_id": request.match_info["recording_id"]})
        if record.interaction_id is None and principal_of(request).role == "agent":
            raise Forbidden("only supervisors and admins hear unattached voicemail", error_id="forbidden")
        if record.interaction_id is not None:
            await handled_by(request, record.interaction_id)
        if record.purged_at is not None:
            raise RecordingExpired(
                f"the recording was deleted on {record.purged_at:%Y-%m-%d}, "
                "when its queue's retention period had passed",
                details={"recording_id": record.id, "purged_at": record.purged_at.isoformat()},
            )
        path = Path(record.path)
        if not await _exists(path):
            raise NotFound(
                "the recording's file is missing from the recordings folder",
                error_id="file_missing",
                details={"recording_id": record.id},
            )
        headers = {"Content-Type": "audio/wav", "Digest": f"sha-256={record.sha256}"}
        if not path.name.endswith(SEALED_SUFFIX):  # kept plain (no key, or recorded before there was one)
            return web.FileResponse(path, headers=headers)
        return await _stream(request, kept, path, headers | {"Content-Length": str(record.size_bytes)})

    on_call = "/api/v1/interactions/{interaction_id}"
    simple = [
        ApiRoute(
            "POST",
            f"{on_call}/{path}",
            call_action(name, action),
            summary,
            HANDLERS,
            response=CallActionOut,
            errors=(409,),
        )
        for path, name, action, summary in _CALL_ACTIONS
    ]
    return [
        *simple,
        ApiRoute(
            "POST",
            f"{on_call}/transfer",
            transfer,
            "Blind transfer to a queue, an agent, a number or a URI",
            HANDLERS,
            request=TransferIn,
            response=CallActionOut,
            errors=(409,),
        ),
        ApiRoute(
            "POST",
            f"{on_call}/monitor",
            join_call,
            "Listen in on an agent's call: your own SIP phone rings and joins it (listen, whisper or barge)",
            SUPERVISORS,
            request=MonitorIn,
            response=MonitorOut,
            status=202,
            errors=(409, 503),
        ),
        ApiRoute(
            "PUT",
            f"{on_call}/monitor",
            change_mode,
            "Switch your listening mode on the call",
            SUPERVISORS,
            request=MonitorIn,
            response=MonitorOut,
            errors=(409,),
        ),
        ApiRoute(
            "DELETE",
            f"{on_call}/monitor",
            leave_call,
            "Leave the call (your phone hangs up; the call goes on as it was)",
            SUPERVISORS,
            response=MonitorOut,
            errors=(409,),
        ),
        ApiRoute(
            "GET",
            f"{on_call}/monitor",
            monitored_by,
            "Which supervisor is on the call, in which mode",
            SUPERVISORS,
            response=MonitorOut,
            errors=(404, 409),
        ),
        ApiRoute(
            "GET",
            f"{on_call}/recordings",
            list_recordings,
            "The interaction's recordings",
            LISTENERS,
            response=RecordingList,
        ),
        ApiRoute(
            "GET",
            "/api/v1/recordings/{recording_id}",
            get_recording,
            "Stream a recording (WAV, decrypted when kept encrypted); 410 once its retention purged it",
            LISTENERS,
            errors=(404, 410),
        ),
    ]


async def _exists(path: Path) -> bool:
    return await asyncio.to_thread(path.is_file)


async def _stream(
    request: web.Request, kept: RecordingsAtRest, path: Path, headers: dict[str, str]
) -> web.StreamResponse:
    """The plaintext, decrypted chunk by chunk off the loop; a file that fails before the first byte is an
    error answer, one that fails later (altered on disk) cuts the response short."""
    chunks = kept.chunks(path)
    try:
        block = await asyncio.to_thread(next, chunks, None)
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        while block is not None:
            await response.write(block)
            block = await asyncio.to_thread(next, chunks, None)
        await response.write_eof()
        return response
    finally:
        await asyncio.to_thread(chunks.close)
