"""The gateway's collector settings: cyclic garbage is still freed, on the timer."""

from __future__ import annotations

import asyncio
import gc
import weakref

from gateway.collector import collect_fully_every


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


async def test_given_cyclic_garbage_when_the_full_collection_timer_fires_then_it_is_freed() -> None:
    a, b = _Node(), _Node()
    a.other, b.other = b, a  # a cycle: reference counting alone never frees it
    freed = asyncio.Event()
    weakref.finalize(a, freed.set)
    del a, b
    gc.disable()  # only the timer's collections may free it
    timer = asyncio.create_task(collect_fully_every(0.05))
    try:
        assert not freed.is_set()
        await asyncio.wait_for(freed.wait(), 2.0)
    finally:
        gc.enable()
        timer.cancel()
        await asyncio.gather(timer, return_exceptions=True)
