"""The OpenAPI document is generated from the same route table the server routes with: they cannot drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.app import ServeOptions, build_app, resolve_settings
from gateway.config import load_config

DEMO = Path(__file__).parents[3] / "gateway" / "demo" / "helpline.yaml"


def _app(tmp_path: Path) -> web.Application:
    config = load_config(DEMO)
    return build_app(config, resolve_settings(config, ServeOptions(config_path=DEMO, data_dir=tmp_path)))


async def _document(app: web.Application) -> dict[str, Any]:
    resource = next(r for r in app.router.resources() if r.canonical == "/api/v1/openapi.json")
    route = next(iter(resource))
    response = await route.handler(None)  # type: ignore[arg-type]
    import json

    return dict(json.loads(response.body))


async def test_given_server_routes_when_compared_to_openapi_then_every_api_route_is_documented_and_no_more(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    served = {
        (route.method, resource.canonical)
        for resource in app.router.resources()
        for route in resource
        if resource.canonical.startswith("/api/v1/")
        and resource.canonical != "/api/v1/openapi.json"
        and route.method != "HEAD"
    }
    document = await _document(app)
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert served == documented


async def test_given_guarded_routes_when_documented_then_they_declare_bearer_security_and_roles(
    tmp_path: Path,
) -> None:
    document = await _document(_app(tmp_path))
    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert "security" not in login
    presence = document["paths"]["/api/v1/agents/{agent_id}/presence"]["put"]
    assert presence["security"] == [{"bearer": []}]
    assert set(presence["x-roles"]) == {"agent", "supervisor", "admin", "integration"}
    assert {"400", "401", "403", "404"} <= set(presence["responses"])
    create = document["paths"]["/api/v1/interactions"]["post"]
    assert set(create["x-roles"]) == {"admin", "integration"}
    assert "201" in create["responses"]


async def test_given_schemas_when_documented_then_every_reference_resolves(tmp_path: Path) -> None:
    document = await _document(_app(tmp_path))
    schemas = document["components"]["schemas"]

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    missing = {r for r in refs(document) if r.rsplit("/", 1)[-1] not in schemas}
    assert not missing
