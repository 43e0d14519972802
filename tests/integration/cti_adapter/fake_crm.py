"""A small external CRM on loopback that speaks the REST API `RestCrm` expects, with switches to misbehave.

`mode`: "ok", "slow" (answers after `slow_seconds`), "fail" (HTTP 500), "lose_answers" (does the work,
then answers 500 as if the answer was lost on the way back); `failures_left` requests are answered 500
first, whatever the mode. `stop()`/`start()` take it down and back up on
the same port. It honours `Idempotency-Key`: a repeated key gets the first answer and changes nothing.
It also receives webhooks at /hooks, checking their signature.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from cti_adapter.external import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from tests.services import free_port

__all__ = ["FakeCrm"]


@dataclass
class _Stored:
    status: int
    body: Any


@dataclass
class FakeCrm:
    webhook_secret: str = "fake-crm-webhook-secret"
    mode: str = "ok"
    slow_seconds: float = 5.0
    failures_left: int = 0
    port: int = field(default_factory=free_port)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    entitlements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    activities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    requests: int = 0
    lookups: list[str] = field(default_factory=list)  # the phone or account of every customer search
    paths: list[str] = field(default_factory=list)  # every request's path as it arrives, answered or not
    replayed_keys: list[str] = field(default_factory=list)
    _answers: dict[str, _Stored] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._misbehave])
        app.router.add_get("/customers", self._find)
        app.router.add_get("/customers/{id}/entitlements", self._entitlements)
        app.router.add_get("/customers/{id}/cases", self._open_cases)
        app.router.add_post("/cases", self._idempotent(self._post_case))
        app.router.add_post("/cases/{id}/activities", self._idempotent(self._post_activity))
        app.router.add_patch("/cases/{id}", self._idempotent(self._patch_case))
        app.router.add_patch("/cases/{id}/activities/{interaction}", self._idempotent(self._patch_activity))
        app.router.add_post("/hooks", self._hook)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def add_customer(
        self, customer_id: str, name: str, phone: str, level: str | None = None, *, email: str | None = None
    ) -> None:
        self.customers[customer_id] = {
            "id": customer_id,
            "name": name,
            "account_id": f"acc-{customer_id}",
            "account_number": customer_id.upper(),
            "phone": phone,
            "email": email,
        }
        if level is not None:
            self.entitlements[customer_id] = [
                {
                    "id": f"ent-{customer_id}",
                    "account_id": f"acc-{customer_id}",
                    "level": level,
                    "products": [],
                    "starts": "2020-01-01",
                    "ends": None,
                }
            ]

    # -- misbehaviour

    @web.middleware
    async def _misbehave(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests += 1
        self.paths.append(request.path)
        if request.path == "/hooks":
            return await handler(request)  # webhooks have their own receiver: always up while the CRM is
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.json_response({"error": "boom, once"}, status=500)
        if self.mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        if self.mode == "fail":
            return web.json_response({"error": "boom"}, status=500)
        response: web.StreamResponse = await handler(request)
        if self.mode == "lose_answers":
            return web.json_response({"error": "answer lost"}, status=502)
        return response

    def _idempotent(self, handler: Any) -> Any:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            key = request.headers.get("Idempotency-Key")
            if key is not None and key in self._answers:
                self.replayed_keys.append(key)
                stored = self._answers[key]
                return web.json_response(stored.body, status=stored.status)
            status, body = await handler(request)
            if key is not None:
                self._answers[key] = _Stored(status, body)
            return web.json_response(body, status=status)

        return wrapped

    # -- the API

    async def _find(self, request: web.Request) -> web.Response:
        phone, account = request.query.get("phone"), request.query.get("account")
        email = request.query.get("email", "").lower()
        self.lookups.append(phone or account or request.query_string)
        items = [
            c
            for c in self.customers.values()
            if (phone and c["phone"] == phone)
            or (account and c["account_number"] == account)
            or (email and (c["email"] or "").lower() == email)
        ]
        return web.json_response({"items": items})

    async def _entitlements(self, request: web.Request) -> web.Response:
        customer_id = request.match_info["id"]
        if customer_id not in self.customers:
            return web.json_response({"error": "no customer"}, status=404)
        return web.json_response({"items": self.entitlements.get(customer_id, [])})

    async def _open_cases(self, request: web.Request) -> web.Response:
        customer_id = request.match_info["id"]
        items = [c for c in self.cases.values() if c["contact_id"] == customer_id and c["status"] != "closed"]
        return web.json_response({"items": items})

    async def _post_case(self, request: web.Request) -> tuple[int, Any]:
        body = await request.json()
        customer = self.customers.get(body["customer_id"])
        if customer is None:
            return 422, {"error": "no such customer"}
        if body.get("attach"):
            for case in self.cases.values():
                if (
                    case["contact_id"] == customer["id"]
                    and case["status"] != "closed"
                    and case["subject"].lower() == body["subject"].lower()
                ):
                    case["interaction_ids"].append(body["interaction_id"])
                    return 200, {"case": case, "attached": True}
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        case = {
            "id": f"case-{next(self._ids)}",
            "account_id": customer["account_id"],
            "contact_id": customer["id"],
            "subject": body["subject"],
            "status": "open",
            "priority": body.get("priority", 0),
            "created_at": now,
            "updated_at": now,
            "interaction_ids": [body["interaction_id"]],
            "disposition": None,
            "notes": None,
        }
        self.cases[case["id"]] = case
        return 201, {"case": case, "attached": False}

    async def _post_activity(self, request: web.Request) -> tuple[int, Any]:
        case_id = request.match_info["id"]
        if case_id not in self.cases:
            return 404, {"error": "no case"}
        self.activities.setdefault(case_id, []).append(await request.json())
        return 201, {}

    async def _patch_activity(self, request: web.Request) -> tuple[int, Any]:
        case_id, iid = request.match_info["id"], request.match_info["interaction"]
        found = [a for a in self.activities.get(case_id, []) if a.get("interaction_id") == iid]
        if not found:
            return 404, {"error": "no activity"}
        for activity in found:
            activity.update(await request.json())
        return 200, {}

    async def _patch_case(self, request: web.Request) -> tuple[int, Any]:
        case = self.cases.get(request.match_info["id"])
        if case is None:
            return 404, {"error": "no case"}
        case.update(await request.json())
        return 200, case

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        ok = verify_signature(
            self.webhook_secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        )
        if not ok:
            self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=401)
        event = json.loads(body)
        if all(e["id"] != event["id"] for e in self.webhooks):
            self.webhooks.append(event)
        return web.json_response({}, status=202)
