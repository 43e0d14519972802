"""The server's edges against a real running process: health, login, tokens, OpenAPI, metrics, bad input."""

from __future__ import annotations

import io

import aiohttp

from tests.integration.server.conftest import Server, bearer, login


async def test_given_running_server_when_healthz_then_ok(server: Server, http: aiohttp.ClientSession) -> None:
    async with http.get(server.base + "/healthz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


async def test_given_demo_user_when_login_then_token_role_and_user(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        server.base + "/api/v1/auth/login", json={"username": "sam", "password": "sam-demo"}
    ) as r:
        assert r.status == 200
        body = await r.json()
    assert body["role"] == "supervisor"
    assert body["user"] == {"id": "sam", "name": "Sam Patel", "role": "supervisor"}
    assert body["token"].count(".") == 2


async def test_given_wrong_password_when_login_then_401_bad_credentials(
    server: Server, http: aiohttp.ClientSession
) -> None:
    for username in ("sam", "nobody"):
        async with http.post(
            server.base + "/api/v1/auth/login", json={"username": username, "password": "x"}
        ) as r:
            assert r.status == 401
            assert (await r.json())["error_id"] == "bad_credentials"


async def test_given_no_token_when_listing_agents_then_401_missing_token(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.get(server.base + "/api/v1/agents") as r:
        assert r.status == 401
        body = await r.json()
    assert body["error_id"] == "missing_token"
    assert set(body) == {"error_id", "message", "details"}


async def test_given_forged_token_when_listing_agents_then_401_invalid_token(
    server: Server, http: aiohttp.ClientSession
) -> None:
    token = await login(http, server, "sam")
    head, payload, _sig = token.split(".")
    async with http.get(server.base + "/api/v1/agents", headers=bearer(f"{head}.{payload}.AAAA")) as r:
        assert r.status == 401
        assert (await r.json())["error_id"] == "invalid_token"


async def test_given_malformed_json_when_login_then_400_malformed_json(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        server.base + "/api/v1/auth/login", data=b"{not json", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400
        assert (await r.json())["error_id"] == "malformed_json"


async def test_given_unknown_field_and_wrong_type_when_login_then_400_names_each_field(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        server.base + "/api/v1/auth/login", json={"username": 42, "password": "x", "remember": True}
    ) as r:
        assert r.status == 400
        body = await r.json()
    assert body["error_id"] == "invalid_body"
    fields = {e["field"] for e in body["details"]["errors"]}
    assert fields == {"username", "remember"}


async def test_given_huge_body_when_posted_then_413_and_server_still_up(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        server.base + "/api/v1/auth/login",
        data=io.BytesIO(b"x" * (2 * 1024 * 1024)),
        headers={"Content-Type": "application/json"},
    ) as r:
        assert r.status == 413
        assert (await r.json())["error_id"] == "body_too_large"
    async with http.get(server.base + "/healthz") as r:
        assert r.status == 200


async def test_given_unknown_path_when_requested_then_json_404(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.get(server.base + "/api/v1/nope") as r:
        assert r.status == 404
        assert (await r.json())["error_id"] == "not_found"


async def test_given_metrics_when_scraped_then_prometheus_text_counts_requests(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.get(server.base + "/healthz"):
        pass
    async with http.get(server.base + "/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        text = await r.text()
    assert 'helpline_http_requests_total{method="GET",route="/healthz",status="200"}' in text


async def test_given_openapi_when_fetched_then_documents_every_api_route(
    server: Server, http: aiohttp.ClientSession
) -> None:
    async with http.get(server.base + "/api/v1/openapi.json") as r:
        assert r.status == 200
        document = await r.json()
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    expected = {
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/agents"),
        ("PUT", "/api/v1/agents/{agent_id}/presence"),
        ("GET", "/api/v1/queues"),
        ("GET", "/api/v1/stats/queues"),
        ("GET", "/api/v1/stats/agents"),
        ("GET", "/api/v1/stats/intervals"),
        ("POST", "/api/v1/interactions"),
        ("GET", "/api/v1/interactions"),
        ("GET", "/api/v1/interactions/{interaction_id}"),
    }
    assert expected <= documented
    login_op = document["paths"]["/api/v1/auth/login"]["post"]
    schema_name = login_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][schema_name]["properties"]) == {"username", "password"}
