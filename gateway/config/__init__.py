"""Helpline's configuration: one YAML file, validated whole at load, exposed as frozen typed values."""

from __future__ import annotations

from gateway.config._chat import ChatConfig, ChatEntryConfig, QuickTextConfig
from gateway.config._flows import parsed_flows
from gateway.config._load import format_path, load_config, parse_config, read_yaml
from gateway.config._redact import REDACTED, redact_secrets, secret_values
from gateway.config._schema import (
    BusinessHoursConfig,
    Config,
    QueueConfig,
    Role,
    ServerConfig,
    SpeechConfig,
    TrunkConfig,
    UserConfig,
)
from gateway.config._specs import agent_specs, business_hours_specs, queue_specs
from gateway.config.errors import ConfigError, ConfigProblem

__all__ = [
    "REDACTED",
    "BusinessHoursConfig",
    "ChatConfig",
    "ChatEntryConfig",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "QueueConfig",
    "QuickTextConfig",
    "Role",
    "ServerConfig",
    "SpeechConfig",
    "TrunkConfig",
    "UserConfig",
    "agent_specs",
    "business_hours_specs",
    "format_path",
    "load_config",
    "parse_config",
    "parsed_flows",
    "queue_specs",
    "read_yaml",
    "redact_secrets",
    "secret_values",
]
