"""The shape of the YAML configuration file, parsed once at the edge into frozen, typed values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cti_adapter.config import CrmConfig
from gateway.acd.specs import Channel, ExitKind, Strategy
from gateway.config._chat import ChatConfig
from gateway.sip.kamailio import SipLimits, SipTls, SipTransports

__all__ = [
    "BusinessHoursConfig",
    "CapacityConfig",
    "Config",
    "ExitConfig",
    "HttpConfig",
    "LoginLimitsConfig",
    "MaxWaitConfig",
    "QueueConfig",
    "QueueMemberConfig",
    "RelaxationConfig",
    "Role",
    "ServerConfig",
    "ServiceLevelConfig",
    "SipAccountConfig",
    "SipLimitsConfig",
    "SkillConfig",
    "SkillRequirementConfig",
    "SpeechConfig",
    "TrunkConfig",
    "UserConfig",
    "WallboardConfig",
    "WallboardThresholds",
    "is_e164",
]

Role = Literal["agent", "supervisor", "admin", "integration"]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Level = Annotated[int, Field(ge=1, le=10)]
_E164 = re.compile(r"^\+[1-9][0-9]{2,14}$")
_HOURS_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z]{2,3})?$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class HttpConfig(_Frozen):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    max_body_bytes: int = Field(default=1_048_576, gt=0)


class TrunkConfig(_Frozen):
    """The route to phone numbers: transfers to a number, callbacks and click-to-dial go this way."""

    uri: str = Field(
        min_length=8,
        max_length=256,
        description="a SIP URI template: {number} becomes the number, e.g. sip:{number}@10.0.0.5:5060",
    )
    strip_plus: bool = Field(default=False, description="dial 442079460000 rather than +442079460000")
    queue: Identifier | None = Field(
        default=None,
        description="the queue click-to-dial calls are filed under; default: the agent's first voice queue",
    )

    @field_validator("uri")
    @classmethod
    def _template(cls, value: str) -> str:
        if not value.startswith(("sip:", "sips:")):
            raise ValueError("must be a sip: or sips: URI")
        if value.count("{number}") != 1:
            raise ValueError("must contain {number} exactly once (where the dialled number goes)")
        if any(c in value for c in ' <>"\r\n'):
            raise ValueError("must not contain spaces, quotes or angle brackets")
        rest = value.replace("{number}", "")
        if "{" in rest or "}" in rest:
            raise ValueError("only {number} may be written in braces")
        return value

    def uri_for(self, number: str) -> str:
        """The URI that reaches `number` (E.164 or plain digits) through this trunk."""
        return self.uri.replace("{number}", number.removeprefix("+") if self.strip_plus else number)


_LIMITS = SipLimits()


class SipLimitsConfig(_Frozen):
    """Flood and password-guessing limits Kamailio applies to phones, trunks and callers."""

    flood_requests: int = Field(
        default=_LIMITS.flood_requests,
        ge=10,
        le=100_000,
        description="requests one address may send per flood_window_seconds; beyond: 503",
    )
    flood_window_seconds: int = Field(default=_LIMITS.flood_window_seconds, ge=1, le=60)
    auth_failures_per_user: int = Field(
        default=_LIMITS.auth_failures_per_user,
        ge=1,
        le=1000,
        description="failed digest attempts on one SIP user before it is refused (403)",
    )
    auth_failures_per_address: int = Field(
        default=_LIMITS.auth_failures_per_address,
        ge=1,
        le=10_000,
        description="failed digest attempts from one address, any user, before it is refused (403)",
    )
    auth_block_seconds: int = Field(
        default=_LIMITS.auth_block_seconds,
        ge=1,
        le=86_400,
        description="how long a user or address stays refused after its last counted failure",
    )

    def to_limits(self) -> SipLimits:
        return SipLimits(**self.model_dump())


class SipTlsConfig(_Frozen):
    """SIP over TLS for phones (Kamailio's `tls` module); `helpline sip make-cert` writes a demo pair."""

    port: int = Field(default=5061, ge=1, le=65535, description="TLS port; must differ from server.sip.port")
    certificate: str = Field(
        min_length=1, description="PEM certificate (chain) file; relative paths start at this file's folder"
    )
    private_key: str = Field(min_length=1, description="PEM private key file, readable by the gateway only")

    def to_tls(self, base: Path) -> SipTls:
        return SipTls(
            port=self.port,
            certificate=(base / self.certificate).resolve(),
            private_key=(base / self.private_key).resolve(),
        )


def is_e164(number: str) -> bool:
    """`+` and a valid number for its country (click-to-dial refuses any other): how `server.sip.numbers`
    are written."""
    import phonenumbers

    if _E164.match(number) is None:
        return False
    return phonenumbers.is_valid_number(phonenumbers.parse(number))


class SipServerConfig(_Frozen):
    enabled: bool = True
    host: str = Field(default="127.0.0.1", description="IP address Kamailio listens on and puts in Via")
    port: int = Field(default=5060, ge=1, le=65535)
    domain: str = Field(default="helpline.local", min_length=1, max_length=253, description="digest realm")
    workers: int = Field(default=2, ge=1, le=64, description="media worker processes")
    entry_flow: str = Field(
        default="main", min_length=1, description="the IVR flow every inbound call starts in"
    )
    music_on_hold: str | None = Field(default=None, description="a WAV file; default: a generated soft chime")
    prompt_voice: str = Field(default="en-us", min_length=1, max_length=32, description="espeak-ng voice")
    trunk: TrunkConfig | None = Field(default=None, description="route to phone numbers (none: no calls out)")
    limits: SipLimitsConfig = SipLimitsConfig()
    tcp: bool = Field(default=False, description="also accept phones over TCP on server.sip.port")
    tls: SipTlsConfig | None = Field(default=None, description="also accept phones over TLS (none: off)")

    numbers: dict[str, str] = Field(
        default={},
        description="phone numbers the gateway answers itself, E.164 -> IVR flow: dialled out or in, "
        "they run that flow (no trunk needed)",
    )

    @field_validator("host")
    @classmethod
    def _ip_literal(cls, value: str) -> str:
        import ipaddress

        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address") from None
        if address.is_unspecified:
            raise ValueError(
                "must be a concrete address (phones see it in Via and Record-Route), not 0.0.0.0"
            )
        return value

    @model_validator(mode="after")
    def _tls_port(self) -> SipServerConfig:
        if self.tls is not None and self.tls.port == self.port:
            raise ValueError(f"tls.port {self.tls.port} must differ from port (TCP and UDP share it)")
        return self

    def to_transports(self, base: Path) -> SipTransports:
        """TCP and TLS as Kamailio takes them; `base`: the folder relative certificate paths start at."""
        return SipTransports(tcp=self.tcp, tls=self.tls.to_tls(base) if self.tls is not None else None)


class LoginLimitsConfig(_Frozen):
    """Failed REST logins before the user name or the address is refused (429 with Retry-After)."""

    failures_per_user: int = Field(
        default=5, ge=1, le=1000, description="failed logins for one user name within window_seconds"
    )
    failures_per_address: int = Field(
        default=20, ge=1, le=100_000, description="failed logins from one address, any user, in the window"
    )
    window_seconds: int = Field(default=300, ge=1, le=86_400)
    block_seconds: int = Field(
        default=300, ge=1, le=86_400, description="how long a user name or address is refused"
    )


class RecordingsConfig(_Frozen):
    """Recordings at rest: always owner-only; encrypted (AES-256-GCM, streamed) when a key file is given."""

    encryption_key_file: str | None = Field(
        default=None,
        min_length=1,
        description="a file holding a base64 256-bit key (relative paths: to the configuration file)",
    )
    retention_check_seconds: float = Field(
        default=3600.0,
        gt=0,
        le=86400,
        description="how often recordings past their queue's retention are purged",
    )


class ServerConfig(_Frozen):
    http: HttpConfig = HttpConfig()
    sip: SipServerConfig = SipServerConfig()
    recordings: RecordingsConfig = RecordingsConfig()
    data_dir: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    token_ttl_seconds: int = Field(default=12 * 3600, gt=0)
    login_limits: LoginLimitsConfig = LoginLimitsConfig()


class SipAccountConfig(_Frozen):
    user: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8)


class CapacityConfig(_Frozen):
    """Units an agent has and what each channel costs (Omni-Channel style)."""

    total: int = Field(default=4, gt=0, le=100)
    voice: int = Field(default=4, gt=0)
    chat: int = Field(default=1, gt=0)
    email: int = Field(default=1, gt=0)
    case: int = Field(default=1, gt=0)
    exclusive: tuple[Channel, ...] = (Channel.VOICE,)


class UserConfig(_Frozen):
    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password_hash: str = Field(min_length=1)
    skills: dict[Identifier, Level] = {}
    capacity: CapacityConfig = CapacityConfig()
    sip: SipAccountConfig | None = None

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, value: str) -> str:
        if not value.startswith("$argon2"):
            raise ValueError("must be an argon2 hash (make one with `helpline hash-password`)")
        return value


class SkillConfig(_Frozen):
    id: Identifier
    name: str = ""


class SkillRequirementConfig(_Frozen):
    skill: Identifier
    min_level: Level = 1


class QueueMemberConfig(_Frozen):
    agent: Identifier
    priority: int = Field(default=0, ge=0, le=100)
    weight: int = Field(default=1, ge=1, le=100)


class ServiceLevelConfig(_Frozen):
    """Answered within `threshold_seconds`, over what `definition` says (see docs/metrics.md); abandons
    after less than `short_abandon_seconds` are "short" (0: none is)."""

    threshold_seconds: float = Field(default=20.0, gt=0)
    target_percent: float = Field(default=80.0, gt=0, le=100)
    definition: Literal[
        "answered",
        "offered",
        "offered_minus_short",
        "abandoned_after_threshold",
        "abandoned_after_threshold_minus_short",
    ] = "offered"
    short_abandon_seconds: float = Field(default=0.0, ge=0, le=3600)


class RelaxationConfig(_Frozen):
    after_seconds: float = Field(gt=0)
    lower_level: SkillRequirementConfig | None = None
    drop_skill: Identifier | None = None
    widen_to_queue: Identifier | None = None
    drop_preferred_agent: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> RelaxationConfig:
        chosen = [
            self.lower_level is not None,
            self.drop_skill is not None,
            self.widen_to_queue is not None,
            self.drop_preferred_agent,
        ]
        if sum(chosen) != 1:
            raise ValueError(
                "give exactly one of lower_level, drop_skill, widen_to_queue, drop_preferred_agent"
            )
        return self


class ExitConfig(_Frozen):
    action: ExitKind
    queue: Identifier | None = None

    @model_validator(mode="after")
    def _overflow_needs_queue(self) -> ExitConfig:
        if (self.action is ExitKind.OVERFLOW) != (self.queue is not None):
            raise ValueError("an overflow exit names a queue, and only an overflow exit does")
        return self


class MaxWaitConfig(_Frozen):
    seconds: float = Field(gt=0)
    exit: ExitConfig = ExitConfig(action=ExitKind.DISCONNECT)


class QueueConfig(_Frozen):
    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    channel: Channel = Channel.VOICE
    strategy: Strategy = Strategy.LONGEST_IDLE
    skills: tuple[SkillRequirementConfig, ...] = ()
    members: tuple[QueueMemberConfig, ...] = ()
    service_level: ServiceLevelConfig = ServiceLevelConfig()
    relaxation: tuple[RelaxationConfig, ...] = ()
    priority_aging_seconds: float | None = Field(default=None, gt=0)
    max_wait: MaxWaitConfig | None = None
    max_length: int | None = Field(default=None, gt=0)
    wrap_up_seconds: float = Field(default=0.0, ge=0, le=3600)
    offer_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    business_hours: Identifier | None = None
    closed_exit: ExitConfig = ExitConfig(action=ExitKind.VOICEMAIL)
    recording_retention_days: float | None = Field(
        default=None, gt=0, description="recordings of this queue's calls are purged this long after the call"
    )


class BusinessHoursConfig(_Frozen):
    id: Identifier
    timezone: str = "UTC"
    weekly: dict[str, tuple[str, ...]] = {}
    closed_dates: tuple[str, ...] = ()

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown day {day!r}; use one of {', '.join(WEEKDAYS)}")
            for span in ranges:
                if not _HOURS_RANGE.match(span):
                    raise ValueError(f"{day}: {span!r} is not a HH:MM-HH:MM range")
                start, end = span.split("-")
                if end <= start:
                    raise ValueError(f"{day}: {span!r} ends before it starts")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return _known_zone(value)

    @field_validator("closed_dates")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from datetime import date

        for item in value:
            try:
                date.fromisoformat(item)
            except ValueError:
                raise ValueError(f"{item!r} is not an ISO date (YYYY-MM-DD)") from None
        return value


class WallboardThresholds(_Frozen):
    """When the supervisor's wallboard colours a figure: above these (service level: below the queue's own
    `service_level.target_percent`). Leave one out (null) to never colour that figure."""

    waiting: int | None = Field(default=5, ge=1)
    longest_wait_seconds: float | None = Field(default=60.0, gt=0)
    asa_seconds: float | None = Field(default=30.0, gt=0)
    aht_seconds: float | None = Field(default=600.0, gt=0)
    abandonment_percent: float | None = Field(default=10.0, gt=0, le=100)
    occupancy_percent: float | None = Field(default=90.0, gt=0, le=100)
    not_ready_seconds: float | None = Field(default=900.0, gt=0)


class WallboardConfig(_Frozen):
    thresholds: WallboardThresholds = WallboardThresholds()


def _known_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class MonitoringConfig(_Frozen):
    """Supervisors listening in on calls (listen / whisper / barge)."""

    show_to_agent: bool = Field(
        default=False,
        description="the agent's panel shows that a supervisor is on the call (and in which mode)",
    )


class SpeechConfig(_Frozen):
    """Speech recognition (Vosk). Without a model, speech is off and the gateway says so once at start."""

    language: str = "en"
    # default: the newest model `helpline speech install-model LANG` put in <data_dir>/speech
    model_dir: str | None = None
    # queue id -> category -> words or phrases spotted in that queue's call transcripts
    keywords: dict[Identifier, dict[Identifier, tuple[Annotated[str, Field(min_length=1)], ...]]] = {}
    # speech menus: a word heard with a lower confidence (0..1) counts as not understood
    menu_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5

    @field_validator("language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        if not _LANGUAGE.match(value):
            raise ValueError(f"{value!r} is not a language code such as ko, en-us or de")
        return value


class Config(_Frozen):
    server: ServerConfig = ServerConfig()
    wallboard: WallboardConfig = WallboardConfig()
    timezone: str = "UTC"  # where "today" and report intervals begin (statistics)
    users: tuple[UserConfig, ...] = ()
    skills: tuple[SkillConfig, ...] = ()
    queues: tuple[QueueConfig, ...] = ()
    business_hours: tuple[BusinessHoursConfig, ...] = ()
    flows: dict[str, Any] = {}
    crm: CrmConfig = CrmConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    speech: SpeechConfig = SpeechConfig()
    chat: ChatConfig = ChatConfig()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return _known_zone(value)

    @model_validator(mode="after")
    def _chat_queues(self) -> Config:
        hours = {b.id for b in self.business_hours}
        for entry in self.chat.entries:
            topics = [(f"topic {name!r}", t.queue) for name, t in entry.topics.items() if t.queue]
            for where, queue_id in [("queue", entry.queue), *topics]:
                queue = self.queue(queue_id)
                if queue is None or queue.channel is not Channel.CHAT:
                    raise ValueError(f"chat entry {entry.id!r}: {where} {queue_id!r} is not a chat queue")
            if entry.business_hours is not None and entry.business_hours not in hours:
                raise ValueError(f"chat entry {entry.id!r}: unknown business_hours {entry.business_hours!r}")
        return self

    def user(self, user_id: str) -> UserConfig | None:
        return next((u for u in self.users if u.id == user_id), None)

    def queue(self, queue_id: str) -> QueueConfig | None:
        return next((q for q in self.queues if q.id == queue_id), None)

    @property
    def agents(self) -> tuple[UserConfig, ...]:
        return tuple(u for u in self.users if u.role == "agent")
