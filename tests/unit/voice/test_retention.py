"""Recording retention on SQLite and PostgreSQL: old recordings of a queue go; rows and links say so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cti_adapter import Activity, NewCase
from cti_adapter.builtin import BuiltinCrm, NewCustomer
from gateway.storage import Database, InteractionRecord, RecordingRecord
from gateway.voice import RecordingRetention
from tests.unit.storage.conftest import fresh_postgres_database

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'helpline.db'}", connect_timeout=5)
        await db.start()
        yield db
        await db.close()
        return
    async with fresh_postgres_database() as url:
        db = Database(url, connect_timeout=5)
        await db.start()
        yield db
        await db.close()


def _on_disk(record: RecordingRecord) -> bool:
    return Path(record.path).exists()


async def _recorded(db: Database, tmp_path: Path, iid: str, queue: str, age: timedelta) -> RecordingRecord:
    started = NOW - age
    await db.save_interaction(InteractionRecord(id=iid, channel="voice", queue_id=queue, created_at=started))
    path = tmp_path / f"{iid}.wav.enc"
    path.write_bytes(b"sealed")
    record = RecordingRecord(
        id=f"rec-{iid}",
        interaction_id=iid,
        kind="stereo",
        path=str(path),
        started_at=started,
        duration_seconds=3.0,
        size_bytes=6,
        sha256="0" * 64,
    )
    await db.save_recording(record)
    return record


async def test_given_recordings_of_two_queues_when_purged_then_only_those_past_their_queue_retention_go(
    database: Database, tmp_path: Path
) -> None:
    crm = BuiltinCrm(lambda: database.engine)
    customer = await crm.create_customer(NewCustomer(name="Old Caller"))
    case = await crm.open_case(NewCase(customer_id=customer.id, subject="noise"))
    old = await _recorded(database, tmp_path, "old", "billing", timedelta(days=31))
    recent = await _recorded(database, tmp_path, "recent", "billing", timedelta(days=29))
    other = await _recorded(database, tmp_path, "other", "sales", timedelta(days=400))  # sales keeps forever
    link = f"/api/v1/recordings/{old.id}"
    await crm.log_activity(case.id, Activity(channel="voice", started_at=NOW, recording_url=link))
    retention = RecordingRetention(database, retention_days={"billing": 30}, expire_link=crm.expire_recording)

    assert await retention.purge(NOW) == 1
    assert await retention.purge(NOW) == 0  # a purged recording is not purged again

    assert [_on_disk(r) for r in (old, recent, other)] == [False, True, True]
    purged = await database.get_recording(old.id)
    assert purged is not None and purged.purged_at == NOW
    kept = await database.get_recording(recent.id)
    assert kept is not None and kept.purged_at is None
    [activity] = await crm.activities(case.id)
    assert (activity.recording_url, activity.recording_expired) == (link, True)
