"""The cyclic garbage collector tuned for a process holding thousands of long-lived connections.

With CPython's default thresholds, a gateway with 2,000 open chats ran a full collection (every object
traversed: 350-600 ms with the event loop stopped) every 1.5-9 s under chat traffic, because asyncio's
short-lived tasks and futures outlive the young collections and are counted as long-lived. Young
collections stay as they are; full ones run when a long pause is affordable: once every `FULL_EVERY`
seconds from a background task, or by CPython's own rule after `OLD_THRESHOLD` middle-generation
collections. What start-up built (modules, configuration) is frozen out of every collection.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

__all__ = ["FULL_EVERY", "collect_fully_every", "keep_for_good", "tune_collector"]

logger = logging.getLogger("helpline.collector")

YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD = 700, 10, 10_000  # CPython's: 700, 10, 10
FULL_EVERY = 600.0


def tune_collector() -> None:
    """Set the thresholds (for the whole process: its entry point calls this, not a library)."""
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)


def keep_for_good() -> None:
    """Move every object made so far out of the collector's way (once start-up is done: those objects
    live as long as the process)."""
    gc.collect()
    gc.freeze()


async def collect_fully_every(seconds: float = FULL_EVERY) -> None:
    """Run a full collection every `seconds` (a background task): cyclic garbage that reached the old
    generation is freed within that time, at one pause per interval instead of one every few seconds."""
    while True:
        await asyncio.sleep(seconds)
        started = time.perf_counter()
        found = gc.collect()
        spent = time.perf_counter() - started
        logger.debug("full collection: %d objects freed in %.0f ms", found, 1000 * spent)
