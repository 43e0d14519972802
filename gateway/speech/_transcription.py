"""Transcribing recorded calls: legs recognised in worker processes, merged into a dialogue, stored
beside the recording. A bounded backlog pushes back on whoever submits (the recording clerk's task),
so a backlog delays transcripts and never a call; the event loop only waits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from gateway.acd import JSON
from gateway.voice import RecordingsAtRest

from ._dialogue import Leg, Transcript, Word, build_transcript
from ._recognise import LegAudio, recognise_leg

__all__ = ["LegFile", "TranscriptionJob", "TranscriptionService", "transcript_document"]

logger = logging.getLogger("helpline.speech")


@dataclass(frozen=True, slots=True)
class LegFile:
    speaker: str  # caller | agent | supervisor
    path: Path  # 16-bit mono WAV, or its sealed form (encrypted at rest)
    offset: float = 0.0  # seconds between the call's first recorded instant and this file's start


@dataclass(frozen=True, slots=True)
class TranscriptionJob:
    interaction_id: str
    queue: str | None
    legs: tuple[LegFile, ...]
    out: Path  # the transcript's JSON file, beside the recording (sealed beside it when a key is set)


class TranscriptionService:
    def __init__(
        self,
        *,
        model_dir: Path,
        keywords: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        workers: int = 1,
        backlog: int = 16,
        recordings_key: bytes | None = None,
    ) -> None:
        if workers < 1 or backlog < 1:
            raise ValueError("speech: workers and backlog must be >= 1")
        self._model_dir = str(model_dir)
        self._keywords = keywords or {}
        self._recordings_key = recordings_key  # legs sealed at rest are opened with it, in the worker
        self._at_rest = RecordingsAtRest(recordings_key)  # and the transcript is sealed with it
        self._workers, self._backlog = workers, backlog
        self._queue: asyncio.Queue[tuple[TranscriptionJob, asyncio.Future[Transcript]]] | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        # spawn: a fork of the gateway would copy its threads (pjsua2, the loop) into the worker; creating
        # the pool (semaphores) and later submitting (which may start a worker) block, so threads do both
        self._pool = await asyncio.to_thread(
            ProcessPoolExecutor, self._workers, mp_context=get_context("spawn")
        )
        self._queue = asyncio.Queue(self._backlog)
        self._tasks = [
            asyncio.create_task(self._consume(), name=f"helpline.speech.transcriber.{n}")
            for n in range(self._workers)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pool is not None:
            await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
        self._tasks, self._pool, self._queue = [], None, None

    @property
    def waiting(self) -> int:
        return 0 if self._queue is None else self._queue.qsize()

    async def submit(self, job: TranscriptionJob) -> asyncio.Future[Transcript]:
        """Queue `job`, waiting while the backlog is full; the future resolves when it is stored."""
        if self._queue is None:
            raise RuntimeError("TranscriptionService.start() must run first")
        done: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
        await self._queue.put((job, done))
        return done

    async def _consume(self) -> None:
        assert self._queue is not None
        while True:
            job, done = await self._queue.get()
            try:
                transcript = await self._transcribe(job)
            except asyncio.CancelledError:
                done.cancel()
                raise
            except Exception as exc:
                logger.exception("interaction %s: transcription failed", job.interaction_id)
                done.set_exception(exc)
            else:
                done.set_result(transcript)
            finally:
                self._queue.task_done()

    async def _recognise(self, path: Path) -> LegAudio:
        assert self._pool is not None
        submitted = await asyncio.to_thread(
            self._pool.submit, recognise_leg, self._model_dir, str(path), self._recordings_key
        )
        return await asyncio.wrap_future(submitted)

    async def _transcribe(self, job: TranscriptionJob) -> Transcript:
        heard: list[LegAudio] = await asyncio.gather(*(self._recognise(leg.path) for leg in job.legs))
        legs = [_shifted(leg, audio) for leg, audio in zip(job.legs, heard, strict=True)]
        categories = self._keywords.get(job.queue or "", {})
        transcript = build_transcript(legs, categories)
        document = json.dumps(
            transcript_document(job.interaction_id, job.queue, transcript), ensure_ascii=False, indent=1
        )
        stored = await asyncio.to_thread(self._at_rest.write, job.out, document.encode())
        speed = min(a.audio_seconds_per_cpu_second for a in heard) if heard else 0.0
        logger.info(
            "interaction %s: transcript stored in %s (%.2fx real time)", job.interaction_id, stored, speed
        )
        return transcript


def transcript_document(interaction_id: str, queue: str | None, transcript: Transcript) -> dict[str, JSON]:
    """What is stored beside the recording (and what `GET .../transcript` returns)."""
    return {"interaction_id": interaction_id, "queue": queue, **transcript.to_dict()}


def _shifted(leg: LegFile, audio: LegAudio) -> Leg:
    """The leg on the call's timeline: an agent's file starts when the agent answered."""
    at = leg.offset
    words = tuple(Word(w.text, w.start + at, w.end + at, w.confidence) for w in audio.words)
    speech = tuple((s + at, e + at) for s, e in audio.speech)
    return Leg(leg.speaker, words, speech, audio.duration + at)
