"""Statistics through a running server: work items created over REST, offered on agents' sockets, answered,
transferred and ended; the figures over REST and Prometheus are the ones the interactions' own records
give, agents see only their own, bad queries are refused, and a restart rebuilds the same figures from the
event log."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.server.conftest import DEMO, Server, bearer, login, start_server, stop_server
from tests.integration.server.test_routing_api import Listener, all_offline, create, presence
from tests.services import free_port

pytestmark = pytest.mark.timeout(180)


def _config(folder: Path) -> Path:
    config = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    config["timezone"] = "Asia/Kolkata"  # +05:30: local intervals are not UTC's
    chat = next(q for q in config["queues"] if q["id"] == "web-chat")
    chat["service_level"] = {"threshold_seconds": 20, "target_percent": 50, "definition": "answered"}
    # webhooks to a port nobody listens on: every screen pop's webhook stays in the outbox
    config["crm"] = {"webhook_url": f"http://127.0.0.1:{free_port()}/hooks", "webhook_secret": "s" * 24}
    path = folder / "helpline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stats")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Server]:
    srv = start_server(folder, config=_config(folder))
    yield srv
    stop_server(srv)


async def _tokens(http: aiohttp.ClientSession, server: Server) -> dict[str, str]:
    tokens = {n: await login(http, server, n) for n in ("alice", "sam")}
    tokens["crm"] = await login(http, server, "crm", "crm-demo-secret")
    return tokens


async def _get(http: aiohttp.ClientSession, server: Server, token: str, path: str) -> tuple[int, Any]:
    async with http.get(f"{server.base}/api/v1{path}", headers=bearer(token)) as r:
        return r.status, await (r.json() if r.content_type == "application/json" else r.text())


async def _handled_chat(
    http: aiohttp.ClientSession, server: Server, tokens: dict[str, str], alice: Listener, reason: str
) -> tuple[str, float]:
    """A chat alice answers and ends with `reason`, then ends her wrap-up; the most its wrap-up can be."""
    status, created = await create(http, server, tokens["crm"], channel="chat", queue="web-chat")
    assert status == 201, created
    await alice.next("offer", match={"interaction_id": created["id"]})
    assert (await alice.call("accept", {"interaction_id": created["id"]}))["ok"] is True
    await alice.next("assigned", match={"interaction_id": created["id"]})
    before_end = time.time()
    async with http.post(
        f"{server.base}/api/v1/interactions/{created['id']}/end",
        json={"reason": reason},
        headers=bearer(tokens["alice"]),
    ) as r:
        assert r.status == 200, await r.text()
    assert (await presence(http, server, tokens["alice"], "alice", "available")).status == 200
    return created["id"], time.time() - before_end


async def _scenario(http: aiohttp.ClientSession, server: Server, tokens: dict[str, str]) -> dict[str, Any]:
    """alice answers two chats (transfers one), goes on a break; a third chat waits."""
    await all_offline(http, server, tokens["sam"])
    alice = Listener("/agent")
    await alice.connect(server, tokens["alice"])
    try:
        assert (await presence(http, server, tokens["alice"], "alice", "available")).status == 200
        first, wrap1 = await _handled_chat(http, server, tokens, alice, "transferred")
        second, wrap2 = await _handled_chat(http, server, tokens, alice, "completed")
    finally:
        await alice.close()
    assert (await presence(http, server, tokens["alice"], "alice", "not_ready", "break")).status == 200
    status, third = await create(http, server, tokens["crm"], channel="chat", queue="web-chat")
    assert status == 201, third
    return {"answered": [first, second], "wrap_at_most": wrap1 + wrap2, "waiting": third["id"]}


async def test_given_chats_handled_through_rest_when_stats_are_read_then_they_are_the_records_figures(
    server: Server,
) -> None:
    async with aiohttp.ClientSession() as http:
        tokens = await _tokens(http, server)
        done = await _scenario(http, server, tokens)
        records = [
            (await _get(http, server, tokens["sam"], f"/interactions/{i}"))[1] for i in done["answered"]
        ]
        status, body = await _get(http, server, tokens["sam"], "/stats/queues?queue=web-chat")
    assert status == 200, body
    (chat,) = body["items"]
    assert (chat["offered"], chat["answered"], chat["abandoned"], chat["transfers"], chat["handled"]) == (
        3,
        2,
        0,
        1,
        2,
    )
    waits = [r["answered_at"] - r["created_at"] for r in records]
    assert chat["asa_seconds"] == pytest.approx(sum(waits) / 2, abs=1e-3)
    talk = sum(r["ended_at"] - r["answered_at"] for r in records)
    wrap = chat["aht_seconds"] * 2 - talk
    assert 0 < wrap <= done["wrap_at_most"] + 1e-3, (chat, talk, done)
    assert (chat["service_level_percent"], chat["service_level_met"], chat["service_level_definition"]) == (
        100.0,
        True,
        "answered",
    )
    assert chat["waiting"] == 1 and chat["oldest_wait_seconds"] > 0
    assert chat["agents_by_state"] == {"not_ready": 1, "offline": 2}  # alice, bob, carol speak English
    assert chat["name"] == "Web chat"


async def test_given_alices_day_when_she_and_a_supervisor_read_agent_stats_then_she_sees_only_hers(
    server: Server,
) -> None:
    async with aiohttp.ClientSession() as http:
        tokens = await _tokens(http, server)
        status, mine = await _get(http, server, tokens["alice"], "/stats/agents")
        refused, why = await _get(http, server, tokens["alice"], "/stats/agents?agent=bob")
        _, everyone = await _get(http, server, tokens["sam"], "/stats/agents")
    assert status == 200
    (alice,) = mine["items"]
    assert (alice["agent"], alice["answered"], alice["handled"], alice["transfers"]) == ("alice", 2, 2, 1)
    assert (alice["state"], alice["presence_reason"]) == ("not_ready", "break")
    assert alice["not_ready_seconds"]["break"] > 0 and alice["occupancy_percent"] is not None
    assert (refused, why["error_id"]) == (403, "not_your_statistics")
    assert [a["agent"] for a in everyone["items"]] == ["alice", "bob", "carol"]


async def test_given_the_day_when_scraped_then_prometheus_has_the_engines_figures_and_the_process_series(
    server: Server,
) -> None:
    async with aiohttp.ClientSession() as http:
        tokens = await _tokens(http, server)
        _, body = await _get(http, server, tokens["sam"], "/stats/queues?queue=web-chat")
        async with http.get(server.base + "/metrics") as r:
            assert r.status == 200
            text = await r.text()
    (chat,) = body["items"]
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("helpline_queue_answered_today", queue="web-chat") == chat["answered"]
    assert value("helpline_queue_waiting", queue="web-chat") == chat["waiting"] == 1
    oldest = value("helpline_queue_oldest_wait_seconds", queue="web-chat")
    assert oldest == pytest.approx(chat["oldest_wait_seconds"], abs=2.0) and oldest > 0  # read a moment apart
    assert value("helpline_queue_aht_seconds", queue="web-chat") == pytest.approx(chat["aht_seconds"])
    assert value("helpline_queue_asa_seconds", queue="web-chat") == pytest.approx(chat["asa_seconds"])
    assert value("helpline_queue_service_level_percent", queue="web-chat") == 100.0
    assert value("helpline_queue_abandonment_percent", queue="web-chat") == 0.0
    assert value("helpline_queue_agents", queue="web-chat", state="not_ready") == 1
    assert value("helpline_agents", state="not_ready") == 1
    assert value("helpline_agents", state="available") == 0
    assert value("helpline_crm_outbox_pending") >= 2  # the two offers' screen-pop webhooks, undeliverable
    assert value("process_cpu_seconds_total") > 0
    assert any(name == "python_gc_objects_collected_total" for name, _ in samples)
    assert any(name == "python_info" for name, _ in samples)


async def test_given_intervals_as_csv_when_read_with_the_csv_module_then_they_equal_the_json_ones(
    server: Server,
) -> None:
    query = "/stats/intervals?scope=agent&size=30"
    async with aiohttp.ClientSession() as http:
        tokens = await _tokens(http, server)
        _, as_json = await _get(http, server, tokens["sam"], query)
        _, today = await _get(http, server, tokens["sam"], "/stats/agents")
        async with http.get(f"{server.base}/api/v1{query}&format=csv", headers=bearer(tokens["sam"])) as r:
            assert r.status == 200 and r.content_type == "text/csv" and r.charset == "utf-8"
            raw = await r.read()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    items = as_json["agents"]
    assert len(rows) == len(items) == 3 * 48  # three agents, 30-minute intervals of one day
    assert rows[0]["start"].endswith("+05:30") and rows[0]["start"][11:19] == "00:00:00"
    for row, item in zip(rows, items, strict=True):
        assert (row["agent"], row["name"], int(row["handled"])) == (
            item["agent"],
            item["name"],
            item["handled"],
        )
        assert float(row["busy_seconds"]) == pytest.approx(item["busy_seconds"])
    # the day's intervals add up to the day's figures
    for agent in today["items"]:
        mine = [r for r in rows if r["agent"] == agent["agent"]]
        assert sum(int(r["handled"]) for r in mine) == agent["handled"]
        assert sum(int(r["answered"]) for r in mine) == agent["answered"]


async def test_given_bad_interval_queries_then_400_names_the_field(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        tokens = await _tokens(http, server)
        for query, field in [
            ("size=7", "size"),
            ("start=yesterday", "start"),
            ("scope=team", "scope"),
            ("start=2026-01-02&end=2026-01-01", "end"),
            ("scope=channel&id=fax", "id"),
            ("format=xml", "format"),
        ]:
            status, body = await _get(http, server, tokens["sam"], f"/stats/intervals?{query}")
            assert (status, body["error_id"], body["details"]["field"]) == (400, "invalid_query", field), (
                query
            )
        status, body = await _get(http, server, tokens["sam"], "/stats/queues?queue=nope")
        assert (status, body["error_id"]) == (404, "not_found")


async def test_given_a_day_of_work_when_the_server_restarts_then_replay_rebuilds_the_same_figures(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, config=_config(tmp_path))
    try:
        async with aiohttp.ClientSession() as http:
            tokens = await _tokens(http, server)
            await _scenario(http, server, tokens)
            _, queues = await _get(http, server, tokens["sam"], "/stats/queues")
            _, agents = await _get(http, server, tokens["sam"], "/stats/agents")
    finally:
        stop_server(server)
    server = start_server(tmp_path, config=_config(tmp_path))
    try:
        async with aiohttp.ClientSession() as http:
            tokens = await _tokens(http, server)
            _, queues_after = await _get(http, server, tokens["sam"], "/stats/queues")
            _, agents_after = await _get(http, server, tokens["sam"], "/stats/agents")
    finally:
        stop_server(server)
    for before_q, after_q in zip(queues["items"], queues_after["items"], strict=True):
        differ = {k: (v, after_q[k]) for k, v in before_q.items() if after_q[k] != v}
        assert set(differ) <= {"oldest_wait_seconds"}, differ  # only the clock moved on
    for before, after in zip(agents["items"], agents_after["items"], strict=True):
        for key in (
            "answered",
            "handled",
            "transfers",
            "offers",
            "state",
            "presence_reason",
            "since",
            "aht_seconds",
        ):
            assert before[key] == after[key], (key, before, after)
        assert after["not_ready_seconds"].get("break", 0) >= before["not_ready_seconds"].get("break", 0)
