"""Run Kamailio as a child of the gateway: write its files, check them, start it, watch it, stop it.

Kamailio runs in the foreground (`-DD -E`) in a session of its own, as the gateway's user, with its pid
file and runtime files in the runtime directory. Its log lines go to the `helpline.sip.kamailio` logger,
rate-limited per source (see `_output`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from gateway.sip.kamailio._config import (
    RPC_SOCKET_NAME,
    USRLOC_DB_NAME,
    KamailioFiles,
    SipAddress,
)
from gateway.sip.kamailio._output import OutputRelay
from gateway.sip.kamailio._probe import sip_ping
from gateway.sip.kamailio._rpc import KamailioRpc
from gateway.sip.kamailio.errors import KamailioConfigError, KamailioRpcError, KamailioStartError

__all__ = ["ExitHandler", "KamailioProcess", "find_kamailio", "group_members"]

logger = logging.getLogger("helpline.sip.kamailio")

ExitHandler = Callable[[int, str], Awaitable[None]]
"""Receives (exit code, Kamailio's last output lines) when Kamailio exits without being asked to."""

PID_FILE_NAME = "kamailio.pid"
SQLITE_SCHEMA_DIR = Path("/usr/share/kamailio/db_sqlite")
SQLITE_SCHEMA_FILES = ("standard-create.sql", "usrloc-create.sql")
_SBIN_PATH = "/usr/sbin:/usr/local/sbin:/sbin"
_TAIL_LINES = 40
_POLL_SECONDS = 0.1


def find_kamailio() -> str | None:
    """Kamailio's binary, also looked for in the sbin folders a non-root PATH often lacks; None if absent."""
    found = shutil.which("kamailio")
    if found is None:
        found = shutil.which("kamailio", path=_SBIN_PATH)
    return found


class KamailioProcess:
    """One Kamailio instance serving `files`; `start()` returns once it answers on its SIP port."""

    def __init__(
        self,
        files: KamailioFiles,
        *,
        binary: str,
        on_exit: ExitHandler | None = None,
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
    ) -> None:
        if start_timeout <= 0 or stop_timeout <= 0:
            raise ValueError("kamailio process: start_timeout and stop_timeout must be > 0")
        self._files = files
        self._binary = binary
        self._on_exit = on_exit
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._process: asyncio.subprocess.Process | None = None
        self._output: deque[str] = deque(maxlen=_TAIL_LINES)
        self._relay = OutputRelay(logger)
        self._reader: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid_file(self) -> Path:
        return self._files.runtime_dir / PID_FILE_NAME

    def output(self) -> str:
        """Kamailio's last output lines (for error reports)."""
        return "\n".join(self._output)

    async def end_calls_through(self, worker: SipAddress) -> int:
        """BYE to both ends of every answered call through `worker` (one that died): how many were ended."""
        if not self.running:
            return 0
        rpc = KamailioRpc(self._files.runtime_dir / RPC_SOCKET_NAME)
        try:
            return await rpc.end_calls_through(f"sip:{worker}")
        except KamailioRpcError as exc:
            logger.warning("calls through media worker %s not ended: %s", worker, exc)
            return 0

    # --- life cycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Write, check and start; KamailioConfigError or KamailioStartError (with its output) on failure."""
        if self.running:
            raise KamailioStartError("kamailio is already running", exit_code=None)
        self._stopping = False
        await asyncio.to_thread(_write_files, self._files)
        await self.check()
        await _stop_leftover(self.pid_file, self._files.config_path, self._stop_timeout)
        process = await self._spawn()
        self._process = process
        self._output.clear()
        self._reader = asyncio.create_task(self._read_output(process), name="kamailio-output")
        try:
            await self._wait_listening(process)
        except BaseException:
            await self.stop()
            raise
        self._watcher = asyncio.create_task(self._watch(process), name="kamailio-watch")
        logger.info("kamailio (pid %d) answers on udp %s", process.pid, self._files.listen)

    async def check(self) -> None:
        """Run `kamailio -c` on the written configuration; KamailioConfigError carries its complaint."""
        files = self._files
        checker = await asyncio.create_subprocess_exec(
            self._binary, "-c", "-f", str(files.config_path), "-Y", str(files.runtime_dir),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            async with asyncio.timeout(self._start_timeout):
                output, _ = await checker.communicate()
        except TimeoutError:
            checker.kill()
            await checker.wait()
            raise KamailioStartError(f"`kamailio -c` did not finish in {self._start_timeout:.0f} s") from None
        if checker.returncode != 0:
            raise KamailioConfigError(files.config_path, _complaint(output.decode(errors="replace")))

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL to its whole process group after `stop_timeout`; idempotent."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            await self._terminate(process)
        for task in (self._watcher, self._reader):
            if task is not None and task is not asyncio.current_task():
                await _finish(task)
        self._watcher = self._reader = None
        self._relay.flush()

    # --- internals --------------------------------------------------------------------------------

    async def _spawn(self) -> asyncio.subprocess.Process:
        files = self._files
        argv = [
            self._binary, "-DD", "-E", "-f", str(files.config_path), "-P", str(self.pid_file),
            "-Y", str(files.runtime_dir), "-w", str(files.runtime_dir),
        ]  # fmt: skip
        try:
            return await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise KamailioStartError(f"could not run {self._binary}: {exc}") from exc

    async def _wait_listening(self, process: asyncio.subprocess.Process) -> None:
        ping = asyncio.create_task(
            sip_ping(self._files.listen, within=self._start_timeout, token=self._files.probe_token)
        )
        exited = asyncio.create_task(_main_exited(process))
        try:
            await asyncio.wait({ping, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
        if ping.done() and ping.exception() is None:
            return
        ping.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await ping
        if exited.done() and not exited.cancelled():
            await _reap(process)
        await self._drain_output()
        if process.returncode is not None:
            raise KamailioStartError(
                f"kamailio exited with {process.returncode} while starting", output=self.output(),
                exit_code=process.returncode,
            )  # fmt: skip
        raise KamailioStartError(
            f"kamailio did not answer on udp {self._files.listen} within {self._start_timeout:.0f} s",
            output=self.output(),
        )

    async def _read_output(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while True:
            try:
                line = await process.stdout.readline()
            except ValueError:  # over the stream's 64 KB limit: readline has dropped it
                self._relay.overlong()
                continue
            if not line:
                return
            text = line.decode(errors="replace").rstrip()
            if text:
                self._output.append(text)
                self._relay.relay(text)

    async def _drain_output(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await asyncio.shield(self._reader)

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        await _main_exited(process)
        if self._stopping:
            return
        code = await _reap(process)
        await self._drain_output()
        self._relay.flush()
        logger.error(
            "kamailio (pid %d) exited with %d; agents' phones and callers are cut off", process.pid, code
        )
        if self._on_exit is not None:
            try:
                await self._on_exit(code, self.output())
            except Exception:
                logger.exception("kamailio exit handler failed")

    async def _terminate(self, process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(self._stop_timeout):
                await _main_exited(process)
        except TimeoutError:
            logger.warning(
                "kamailio (pid %d) did not stop in %.0f s: killing it", process.pid, self._stop_timeout
            )
        await _reap(process)


async def _main_exited(process: asyncio.subprocess.Process) -> None:
    """Return once Kamailio's main process has exited.

    `Process.wait()` also waits for the output pipe to close, and the children of a killed main process
    keep it open (and keep the SIP port), so the exit is watched through a pidfd instead.
    """
    if process.returncode is not None:
        return
    try:
        pidfd = os.pidfd_open(process.pid)
    except ProcessLookupError:
        return
    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()
    loop.add_reader(pidfd, _resolve, readable)
    try:
        await readable
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _reap(process: asyncio.subprocess.Process) -> int:
    """Kill whatever is left of Kamailio's process group, then collect the main process's exit code."""
    _kill_group(process.pid)
    return await process.wait()


async def _finish(task: asyncio.Task[None]) -> None:
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _write_files(files: KamailioFiles) -> None:
    files.runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path, text in ((files.dispatcher_path, files.dispatcher_list), (files.config_path, files.config)):
        # The configuration holds password hashes: readable by the gateway's user only.
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(text)
    _create_registrations_db(files.runtime_dir / USRLOC_DB_NAME)


def _create_registrations_db(path: Path) -> None:
    """The SQLite file Kamailio's usrloc writes registrations to, from the schema Kamailio ships; kept if
    present (it holds the registrations of the previous run)."""
    if path.exists():
        return
    try:
        schema = "\n".join((SQLITE_SCHEMA_DIR / name).read_text() for name in SQLITE_SCHEMA_FILES)
    except OSError as exc:
        raise KamailioStartError(
            f"kamailio's SQLite schema is missing ({exc}): install the Debian package kamailio-sqlite-modules"
        ) from exc
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    with contextlib.closing(sqlite3.connect(partial)) as connection:
        connection.executescript(schema)
    partial.rename(path)


async def _stop_leftover(pid_file: Path, config_path: Path, grace: float) -> None:
    """A Kamailio left running on our configuration by a gateway that died holds the SIP port: end it."""
    group = await asyncio.to_thread(_leftover_group, pid_file, config_path)
    if group is None:
        return
    logger.warning("stopping kamailio (process group %d) left running from an earlier start", group)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    for _ in range(max(1, round(grace / _POLL_SECONDS))):
        if not await asyncio.to_thread(group_members, group):
            return
        await asyncio.sleep(_POLL_SECONDS)
    _kill_group(group)


def _leftover_group(pid_file: Path, config_path: Path) -> int | None:
    """The process group named in the pid file if one of its processes runs Kamailio on `config_path`."""
    try:
        group = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    for pid in group_members(group):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-f" in command and str(config_path).encode() in command:
            return group
    return None


def group_members(group: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # Fields after the parenthesised command: state, ppid, pgrp, ...
            state, _, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue
        if int(pgrp) == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def _complaint(output: str) -> str:
    """Kamailio's error lines, without the start-up chatter."""
    lines = [line for line in output.splitlines() if "ERROR" in line or "CRITICAL" in line]
    return "\n".join(lines) if lines else output.strip()
