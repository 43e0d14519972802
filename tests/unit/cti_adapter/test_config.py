"""The `crm:` configuration section: validated whole, with messages naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cti_adapter import CtiRuntime, Lane
from cti_adapter.config import CrmConfig


def test_given_no_crm_section_when_defaults_apply_then_the_builtin_crm_is_used_without_outbox() -> None:
    runtime = CtiRuntime(CrmConfig(), engine=lambda: None)  # type: ignore[arg-type,return-value]

    assert runtime.builtin is not None and runtime.worker is None
    assert runtime.service.lookup_timeout == 0.5


async def test_given_a_rest_crm_with_webhooks_when_built_then_writes_and_events_go_through_the_outbox() -> (
    None
):
    config = CrmConfig.model_validate(
        {
            "kind": "rest",
            "base_url": "https://crm.example.com/api",
            "token": "t",
            "webhook_url": "https://crm.example.com/hooks",
            "webhook_secret": "0123456789abcdef",
            "no_entitlement": {"priority_delta": -5, "queue": "general"},
        }
    )

    runtime = CtiRuntime(config, engine=lambda: None)  # type: ignore[arg-type,return-value]

    assert runtime.builtin is None and runtime.worker is not None
    assert runtime.worker.handles(Lane.CRM) and runtime.worker.handles(Lane.WEBHOOK)
    await runtime.stop()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"kind": "rest"}, "kind 'rest' needs base_url"),
        ({"webhook_url": "https://x.example"}, "webhook_url and webhook_secret go together"),
        ({"webhook_url": "https://x.example", "webhook_secret": "short"}, "webhook_secret"),
        ({"default_region": "gb"}, "default_region"),
        ({"lookup_timeout_seconds": 0}, "lookup_timeout_seconds"),
        ({"level_priority": {"gold": 5}}, "gold"),
        ({"retry": {"first_delay_seconds": 5, "max_delay_seconds": 1}}, "max_delay_seconds"),
        ({"no_entitlement": {"priorty_delta": 1}}, "priorty_delta"),
    ],
)
def test_given_a_bad_crm_section_when_validated_then_the_error_names_the_problem(
    section: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        CrmConfig.model_validate(section)
