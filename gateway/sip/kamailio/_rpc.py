"""Kamailio's JSON-RPC on a Unix datagram socket in its runtime folder (module jsonrpcs, transport 4)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
from pathlib import Path
from typing import Any

from gateway.sip.kamailio.errors import KamailioRpcError

__all__ = ["KamailioRpc"]

_CONFIRMED = 4
"""The dialog module's state of an answered, acknowledged call."""
_REPLY_BYTES = 1 << 20
_ids = itertools.count(1)


class KamailioRpc:
    """Calls Kamailio's RPC methods; each call binds its own reply socket next to Kamailio's."""

    def __init__(self, socket_path: Path, *, timeout: float = 2.0) -> None:
        self._socket_path = socket_path
        self._timeout = timeout

    async def call(self, method: str, *params: str | int) -> Any:
        """The `result` of `method`; KamailioRpcError if there is none."""
        request = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": next(_ids)}
        answer = await asyncio.to_thread(self._exchange, json.dumps(request).encode())
        try:
            decoded = json.loads(answer)
        except ValueError:
            raise KamailioRpcError(f"kamailio rpc {method}: not JSON: {answer[:200]!r}") from None
        if "error" in decoded:
            raise KamailioRpcError(f"kamailio rpc {method}: {decoded['error']}")
        return decoded.get("result")

    async def end_calls_through(self, worker: str) -> int:
        """Send BYE both ways on every answered call that went through `worker` (a SIP URI); how many."""
        dialogs = await self.call("dlg.profile_list", "worker", worker) or []
        ended = 0
        for dialog in dialogs:
            if dialog.get("state") != _CONFIRMED:
                continue  # still ringing: the INVITE transaction ends it
            with contextlib.suppress(KamailioRpcError):  # ended meanwhile by a BYE of its own
                await self.call("dlg.end_dlg", dialog["h_entry"], dialog["h_id"])
                ended += 1
        return ended

    def _exchange(self, request: bytes) -> bytes:
        reply_path = self._socket_path.with_name(f"rpc-{os.getpid()}-{next(_ids)}.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as channel:
            try:
                channel.bind(str(reply_path))
                channel.settimeout(self._timeout)
                channel.sendto(request, str(self._socket_path))
                return channel.recv(_REPLY_BYTES)
            except OSError as exc:
                raise KamailioRpcError(f"kamailio rpc on {self._socket_path}: {exc}") from None
            finally:
                reply_path.unlink(missing_ok=True)
