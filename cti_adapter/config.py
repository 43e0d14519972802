"""The `crm:` section of the configuration file, for `gateway.config.Config` to embed as `crm: CrmConfig`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["CrmConfig", "NoEntitlementConfig", "RetryConfig"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class NoEntitlementConfig(_Frozen):
    """What happens to an interaction no entitlement covers (unknown callers included)."""

    priority_delta: int = Field(default=0, ge=-100, le=100)
    queue: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class RetryConfig(_Frozen):
    """Outbox retries: the first delay, doubling up to the cap."""

    first_delay_seconds: float = Field(default=0.5, gt=0, le=60)
    max_delay_seconds: float = Field(default=60.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _cap_above_first(self) -> RetryConfig:
        if self.max_delay_seconds < self.first_delay_seconds:
            raise ValueError("max_delay_seconds must be >= first_delay_seconds")
        return self


class CrmConfig(_Frozen):
    """`kind: builtin` keeps customers and cases in Helpline's database; `kind: rest` talks to `base_url`."""

    kind: Literal["builtin", "rest"] = "builtin"
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    token: str | None = None
    timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    lookup_timeout_seconds: float = Field(default=0.5, gt=0, le=10)
    default_region: str = Field(default="GB", pattern=r"^[A-Z]{2}$")
    levels: tuple[str, ...] = Field(default=("premium", "standard", "basic"), min_length=1)
    level_priority: dict[str, int] = Field(default_factory=lambda: {"premium": 10})
    no_entitlement: NoEntitlementConfig = NoEntitlementConfig()
    webhook_url: str | None = Field(default=None, pattern=r"^https?://")
    webhook_secret: str | None = Field(default=None, min_length=16)
    retry: RetryConfig = RetryConfig()

    @model_validator(mode="after")
    def _consistent(self) -> CrmConfig:
        if self.kind == "rest" and self.base_url is None:
            raise ValueError("kind 'rest' needs base_url")
        if (self.webhook_url is None) != (self.webhook_secret is None):
            raise ValueError("webhook_url and webhook_secret go together")
        unknown = sorted(set(self.level_priority) - set(self.levels))
        if unknown:
            raise ValueError(f"level_priority names levels not in levels: {', '.join(unknown)}")
        return self
