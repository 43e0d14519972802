"""IVR steps go into the routing event log like any event: numbered in order with the rest, stored, folded
into the metrics engine at once, and replayed from the database at the next start into the same report."""

from __future__ import annotations

import time
from pathlib import Path

from gateway.acd import Channel, IvrStep, IvrStepKind, NewInteraction
from gateway.acd_server import AcdServer
from gateway.analytics import Granularity
from gateway.config import parse_config
from gateway.metrics import Metrics
from gateway.storage import Database

CONFIG = {"queues": [{"id": "support", "name": "Support"}]}
K = IvrStepKind


def _to_support(call: str) -> list[IvrStep]:
    return [
        IvrStep(call=call, kind=K.CHOSE, node="main.menu", verb="menu", option="2", by="dtmf"),
        IvrStep(call=call, kind=K.REACHED, node="support[0]", verb="queue"),
        IvrStep(call=call, kind=K.LEFT, node="support[0]", verb="queue", left="queue", queue="support"),
    ]


async def _server(db: Database) -> AcdServer:
    hub = AcdServer(config=parse_config(CONFIG), database=db, metrics=Metrics())
    await hub.start()
    return hub


async def test_given_ivr_steps_when_the_server_restarts_then_the_report_is_rebuilt_from_the_log(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'helpline.db'}", connect_timeout=10)
    await db.start()
    hub = await _server(db)
    await hub.record_ivr([IvrStep(call="c1", kind=K.STARTED, node="main")])
    await hub.record_ivr(_to_support("c1"))
    await hub.enqueue(NewInteraction(id="i1", queue="support", channel=Channel.VOICE))
    await hub.record_ivr([IvrStep(call="c2", kind=K.STARTED, node="main")])
    await hub.record_ivr([IvrStep(call="c2", kind=K.LEFT, node="main.menu", verb="menu", left="hung_up")])
    await hub.caught_up()
    day = hub.stats.engine.today(time.time())
    live = hub.stats.engine.ivr_intervals(*day, Granularity.DAY)
    await hub.stop()

    stored = await db.events_since(0)
    hub = await _server(db)
    replayed = hub.stats.engine.ivr_intervals(*day, Granularity.DAY)
    await hub.stop()
    await db.close()

    assert [e.type for e in stored] == ["ivr", "ivr", "ivr", "ivr", "received", "queued", "ivr", "ivr"]
    assert [e.seq for e in stored] == list(range(1, 9))
    assert stored[3].payload == {
        "call": "c1", "step": "left", "node": "support[0]", "verb": "queue",
        "left": "queue", "queue": "support",
    }  # fmt: skip
    [totals] = live[0]
    assert (totals.calls, totals.hung_up, totals.queued) == (2, 1, {"support": 1})
    assert replayed == live
