"""Keep Kamailio running: restart it when it exits, at once after a long run, with a growing pause otherwise.

A Kamailio that ran for `stable_uptime` seconds and then died is restarted at once (one crash is not
punished); one that keeps dying soon after each start waits `restart_delay`, then twice as long each time,
up to `max_restart_delay`. Registrations survive the restart (see the usrloc files in `_template`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from dataclasses import dataclass

from gateway.sip.kamailio._config import KamailioFiles, SipAddress
from gateway.sip.kamailio._probe import sip_ping
from gateway.sip.kamailio._process import KamailioProcess
from gateway.sip.kamailio.errors import KamailioError

__all__ = ["KamailioHealth", "KamailioState", "KamailioSupervisor"]

logger = logging.getLogger("helpline.sip.kamailio")


class KamailioState(enum.Enum):
    STOPPED = "stopped"
    UP = "up"
    RESTARTING = "restarting"


@dataclass(frozen=True, slots=True, kw_only=True)
class KamailioHealth:
    state: KamailioState
    pid: int | None
    restarts: int
    """Restarts since the gateway started it."""
    answers: bool
    """Kamailio answered an OPTIONS on its SIP port just now."""


class KamailioSupervisor:
    """Runs one `KamailioProcess` for `files` and restarts it whenever it exits unasked."""

    def __init__(
        self,
        files: KamailioFiles,
        *,
        binary: str,
        restart_delay: float = 0.5,
        max_restart_delay: float = 30.0,
        stable_uptime: float = 30.0,
        start_timeout: float = 10.0,
    ) -> None:
        if restart_delay <= 0 or max_restart_delay < restart_delay:
            raise ValueError("kamailio supervisor: need 0 < restart_delay <= max_restart_delay")
        if stable_uptime <= 0:
            raise ValueError("kamailio supervisor: stable_uptime must be > 0")
        self._listen = files.listen
        self._probe_token = files.probe_token
        self._process = KamailioProcess(
            files, binary=binary, on_exit=self._exited, start_timeout=start_timeout
        )
        self._restart_delay = restart_delay
        self._max_restart_delay = max_restart_delay
        self._stable_uptime = stable_uptime
        self._delay = 0.0
        self._started_at = 0.0
        self._restarts = 0
        self._state = KamailioState.STOPPED
        self._restarter: asyncio.Task[None] | None = None

    @property
    def process(self) -> KamailioProcess:
        return self._process

    @property
    def listen(self) -> SipAddress:
        return self._listen

    @property
    def state(self) -> KamailioState:
        return self._state

    async def start(self) -> None:
        """The first start: its errors (configuration, port taken) are the caller's to report."""
        await self._process.start()
        self._started_at = time.monotonic()
        self._state = KamailioState.UP

    async def stop(self) -> None:
        self._state = KamailioState.STOPPED
        if self._restarter is not None:
            await _cancel(self._restarter)
            self._restarter = None
        await self._process.stop()

    async def health(self, *, within: float = 1.0) -> KamailioHealth:
        """Kamailio's state, and whether it answers on its SIP port within `within` seconds."""
        state, pid, restarts = self._state, self._process.pid, self._restarts
        answers = False
        if state is KamailioState.UP:
            with contextlib.suppress(TimeoutError, OSError):
                await sip_ping(self._listen, within=within, token=self._probe_token)
                answers = True
        # An answer from a Kamailio restarted while the ping was out does not mean the one asked was up.
        answers = answers and (self._state, self._process.pid, self._restarts) == (state, pid, restarts)
        return KamailioHealth(state=state, pid=pid, restarts=restarts, answers=answers)

    async def _exited(self, code: int, output: str) -> None:
        if self._state is KamailioState.STOPPED:
            return
        self._state = KamailioState.RESTARTING
        self._restarter = asyncio.create_task(self._restart(), name="kamailio-restart")

    async def _restart(self) -> None:
        while self._state is KamailioState.RESTARTING:
            delay = self._next_delay()
            logger.warning("restarting kamailio in %.1f s", delay)
            await asyncio.sleep(delay)
            self._restarts += 1
            try:
                await self.start()
            except KamailioError as exc:
                logger.error("kamailio did not restart: %s\n%s", exc, getattr(exc, "output", ""))
                self._started_at = time.monotonic()  # a failed start counts as a crash right after one
                continue
            logger.info("kamailio restarted (pid %s); registrations kept", self._process.pid)

    def _next_delay(self) -> float:
        if time.monotonic() - self._started_at >= self._stable_uptime:
            self._delay = 0.0
        else:
            self._delay = min(max(self._delay * 2, self._restart_delay), self._max_restart_delay)
        return self._delay


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
