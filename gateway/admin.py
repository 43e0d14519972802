"""Admin-only REST: the effective configuration (secrets redacted) and validation of a candidate file."""

from __future__ import annotations

from typing import Any

import yaml
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from gateway.config import Config, ConfigError, parse_config, read_yaml, redact_secrets
from gateway.web import ApiRoute, BadRequest, read_body

__all__ = ["routes"]

ADMIN = ("admin",)


class ConfigCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    yaml: str = Field(max_length=512 * 1024, description="a whole configuration file")


class ConfigProblemOut(BaseModel):
    path: str
    message: str


class ConfigCheckOut(BaseModel):
    valid: bool
    problems: list[ConfigProblemOut]


class ConfigOut(BaseModel):
    config: dict[str, Any]


def routes(config: Config) -> list[ApiRoute]:
    async def get_config(request: web.Request) -> web.StreamResponse:
        return web.Response(
            text=ConfigOut(config=redact_secrets(config.model_dump(mode="json"))).model_dump_json(),
            content_type="application/json",
        )

    async def check_config(request: web.Request) -> web.StreamResponse:
        body = await read_body(request, ConfigCheckIn)
        try:
            raw = read_yaml(body.yaml)
        except yaml.YAMLError as exc:
            raise BadRequest(f"not valid YAML: {exc}", error_id="invalid_yaml") from None
        try:
            parse_config(raw, source="request")
        except ConfigError as exc:
            problems = [ConfigProblemOut(path=p.path, message=p.message) for p in exc.problems]
            return web.Response(
                text=ConfigCheckOut(valid=False, problems=problems).model_dump_json(),
                content_type="application/json",
            )
        return web.Response(
            text=ConfigCheckOut(valid=True, problems=[]).model_dump_json(), content_type="application/json"
        )

    return [
        ApiRoute(
            "GET",
            "/api/v1/config",
            get_config,
            "The running configuration, secrets redacted",
            ADMIN,
            response=ConfigOut,
        ),
        ApiRoute(
            "POST",
            "/api/v1/config/check",
            check_config,
            "Validate a configuration file without applying it",
            ADMIN,
            request=ConfigCheckIn,
            response=ConfigCheckOut,
        ),
    ]
