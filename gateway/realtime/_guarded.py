"""A Socket.IO server that does not trust its clients' frames.

A frame that is not valid Engine.IO or Socket.IO, an event to a namespace the connection has not joined, or
a reserved name (`connect`, `disconnect`) sent as an ordinary event is dropped and logged as one line per
connection, with the lines of all connections rate-limited; a connection that keeps sending them is closed.
Errors inside the servers' own loops are logged as one line too (their traceback only at DEBUG), so a hostile
client cannot fill the log.
"""

from __future__ import annotations

import logging
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import engineio
import socketio
from engineio.async_drivers import aiohttp as engineio_aiohttp

from gateway.logs import LineBudget, suppressed_note

__all__ = ["BadFrames", "GuardedServer"]

logger = logging.getLogger("helpline.realtime")

_RESERVED = frozenset({"connect", "connect_error", "disconnect"})


class BadFrames:
    """Logs a connection's first bad frame; all these lines, and the Socket.IO libraries' own warnings, share
    one budget of `lines_per_minute` (what is over it is counted and reported with the next line)."""

    def __init__(
        self,
        *,
        lines_per_minute: int = 20,
        close_after: int = 50,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._close_after = close_after
        self._budget = LineBudget(lines_per_minute=lines_per_minute, clock=clock)
        self._counts: dict[str, int] = {}

    def report(self, eio_sid: str, address: str, reason: str) -> bool:
        """Count a bad frame on `eio_sid`; True when the connection has sent too many and must be closed."""
        count = self._counts.get(eio_sid, 0) + 1
        self._counts[eio_sid] = count
        if count == 1 and (suppressed := self.allow_line()) is not None:
            logger.warning(
                "socket %s from %s: bad frame dropped (%s); later ones on this connection are not logged%s",
                eio_sid,
                address,
                reason[:200],
                suppressed_note(suppressed),
            )
        return count >= self._close_after

    def forget(self, eio_sid: str) -> None:
        self._counts.pop(eio_sid, None)

    def allow_line(self) -> int | None:
        """None when the budget is spent; else how many lines were suppressed since the last one."""
        return self._budget.allow_line()


class _OneLineLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Engine.IO's and Socket.IO's logger: warnings and errors only (they log every packet at INFO), within
    the bad frames' line budget, and `exception()` as one line naming the error (its traceback at DEBUG)."""

    def __init__(self, name: str, frames: BadFrames) -> None:
        super().__init__(logging.getLogger(name), {})
        self._frames = frames

    def isEnabledFor(self, level: int) -> bool:
        return level >= logging.WARNING and self.logger.isEnabledFor(level)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        suppressed = self._frames.allow_line()
        if suppressed is None:
            return
        error = sys.exc_info()[1] if kwargs.pop("exc_info", None) else None
        text = str(msg) % args if args else str(msg)
        if error is not None:
            self.logger.debug("%s", text, exc_info=error)
            text = f"{text}: {error!r}"[:300]
        self.logger.log(level, "%s%s", text, suppressed_note(suppressed))

    def exception(self, msg: object, *args: object, exc_info: object = True, **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, *args, exc_info=True, **kwargs)


def _environ_sid(environ: Mapping[str, Any]) -> str:
    query = urllib.parse.parse_qs(str(environ.get("QUERY_STRING", "")))
    return query.get("sid", ["?"])[0]


def _address(environ: Mapping[str, Any]) -> str:
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote) if remote else "unknown"


def _websocket_class(frames: BadFrames) -> type[Any]:
    class CheckedWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]
        """Closes the connection on a frame that is not an Engine.IO packet, instead of raising in
        Engine.IO's receive loop (which would log a traceback and leave the session half-open)."""

        async def wait(self) -> Any:
            data = await super().wait()
            try:
                packet = engineio.packet.Packet(encoded_packet=data)
                if not 0 <= packet.packet_type < len(engineio.packet.packet_names):
                    raise ValueError(f"unknown packet type {packet.packet_type}")
            except Exception as exc:
                frames.report(_environ_sid(self.environ), _address(self.environ), f"engine.io: {exc!r}")
                return None
            return data

    return CheckedWebSocket


class _GuardedEngineIO(engineio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *args: Any, frames: BadFrames, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        drivers: dict[str, Any] = getattr(self, "_async")  # noqa: B009 (Engine.IO's own driver table)
        drivers = {**drivers, "websocket": _websocket_class(frames)}
        setattr(self, "_async", drivers)  # noqa: B010


class GuardedServer(socketio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *, frames: BadFrames, **kwargs: Any) -> None:
        self._frames = frames
        quiet = _OneLineLogger("helpline.realtime.socketio", frames)
        super().__init__(logger=quiet, engineio_logger=quiet, **kwargs)

    def _engineio_server_class(self) -> Callable[..., Any]:
        frames = self._frames

        def make(*args: Any, **kwargs: Any) -> _GuardedEngineIO:
            return _GuardedEngineIO(*args, frames=frames, **kwargs)

        return make

    async def _bad_frame(self, eio_sid: str, reason: str) -> None:
        if self._frames.report(eio_sid, _address(self.environ.get(eio_sid, {})), reason):
            await self.eio.disconnect(eio_sid)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except Exception as exc:
            self._binary_packet.pop(eio_sid, None)
            await self._bad_frame(eio_sid, f"socket.io: {exc!r}")

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: Any) -> None:
        namespace = namespace or "/"
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            await self._bad_frame(eio_sid, "an event must be a list starting with its name")
            return
        if data[0] in _RESERVED:
            await self._bad_frame(eio_sid, f"reserved name {data[0]!r} sent as an event")
            return
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not self.manager.is_connected(sid, namespace):
            await self._bad_frame(eio_sid, f"event to {namespace} before connecting to it")
            return
        await super()._handle_event(eio_sid, namespace, id, data)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        self._frames.forget(eio_sid)
        await super()._handle_eio_disconnect(eio_sid, reason)
