"""The composition root: builds every service from the configuration and wires them into one aiohttp app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import MetaData

import gateway
from cti_adapter import metadata as crm_metadata
from cti_adapter._runtime import CtiRuntime
from cti_adapter.importer import seed_demo_customers
from gateway import admin
from gateway.acd import Channel
from gateway.acd._hours import is_open
from gateway.acd_server import AcdServer
from gateway.acd_server import http as routing_http
from gateway.analytics import StatsFeed, engine_for
from gateway.analytics import http as stats_http
from gateway.auth import (
    TOKENS,
    LoginLimits,
    LoginThrottle,
    RevocationList,
    TokenService,
    UserDirectory,
    guard,
    load_or_create_secret,
)
from gateway.auth import http as auth_http
from gateway.auth import metadata as auth_metadata
from gateway.chat import ChatService, ChatSockets, CtiOffline, VisitorTokens
from gateway.chat import http as chat_http
from gateway.collector import collect_fully_every, keep_for_good, tune_collector
from gateway.config import (
    Config,
    ConfigError,
    ConfigProblem,
    business_hours_specs,
    load_config,
    parsed_flows,
    secret_values,
)
from gateway.cti import CrmDesk, answer_lookup_by
from gateway.cti import http as cti_http
from gateway.health import Check, HealthService, database_check, redis_check, sip_check
from gateway.health import http as health_http
from gateway.ivr import takes_speech
from gateway.logs import configure_logging, hide_in_logs
from gateway.metrics import Metrics
from gateway.panel import add_routes as add_panel_routes
from gateway.panel import dist_dir as panel_dist_dir
from gateway.realtime import RealtimeServer
from gateway.sip import WorkerPool
from gateway.sip.front import SipFront
from gateway.speech import (
    Hearing,
    LiveRecogniser,
    SpeechStatus,
    TranscribingSink,
    TranscriptionService,
    TranscriptStored,
    speech_status,
)
from gateway.speech import http as speech_http
from gateway.storage import ChatRecords, Database
from gateway.storage import metadata as storage_metadata
from gateway.supervisor import Board, Console
from gateway.supervisor import add_routes as add_console_routes
from gateway.supervisor import routes as console_routes
from gateway.voice import (
    OwnNumbers,
    PromptCache,
    RecordingRetention,
    RecordingsAtRest,
    RecordingSink,
    VoiceService,
    load_key,
)
from gateway.voice import http as voice_http
from gateway.web import ApiRoute, error_middleware_for, openapi_document

__all__ = ["DATABASE_METADATA", "ServeOptions", "Settings", "build_app", "resolve_settings", "serve"]

# Every table in the gateway's database: its own and the CRM's. The migrations create them all; comparing
# the models with a migrated database (autogenerate, `alembic check`, the schema tests) needs this list.
DATABASE_METADATA: tuple[MetaData, ...] = (storage_metadata, crm_metadata, auth_metadata)

logger = logging.getLogger("helpline.app")

# How soon a node sees a revocation made on another node (its own take effect at once).
_REVOCATION_REFRESH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What the command line said; None means "use the configuration file or the default"."""

    config_path: Path
    http_host: str | None = None
    http_port: int | None = None
    sip_port: int | None = None
    data_dir: Path | None = None
    database_url: str | None = None
    redis_url: str | None = None
    log_level: str = "INFO"
    demo: bool = False
    sip: bool = True


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective settings: command line, then the configuration file's `server` section, then defaults."""

    http_host: str
    http_port: int
    sip_port: int
    data_dir: Path
    database_url: str
    redis_url: str | None
    max_body_bytes: int
    token_ttl_seconds: int
    sip_enabled: bool
    sip_host: str
    sip_domain: str
    sip_workers: int
    seed_demo_customers: bool
    config_dir: Path


def resolve_settings(config: Config, options: ServeOptions) -> Settings:
    server = config.server
    data_dir = (options.data_dir or Path(server.data_dir or "data")).resolve()
    database_url = (
        options.database_url or server.database_url or f"sqlite+aiosqlite:///{data_dir / 'helpline.db'}"
    )
    return Settings(
        http_host=options.http_host or server.http.host,
        http_port=options.http_port if options.http_port is not None else server.http.port,
        sip_port=options.sip_port if options.sip_port is not None else server.sip.port,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=options.redis_url or server.redis_url,
        max_body_bytes=server.http.max_body_bytes,
        token_ttl_seconds=server.token_ttl_seconds,
        sip_enabled=options.sip and server.sip.enabled,
        sip_host=server.sip.host,
        sip_domain=server.sip.domain,
        sip_workers=server.sip.workers,
        seed_demo_customers=options.demo,
        config_dir=options.config_path.resolve().parent,
    )


CONFIG = web.AppKey("config", Config)
SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
ACD = web.AppKey("acd_server", AcdServer)
METRICS = web.AppKey("metrics", Metrics)
STATS = web.AppKey("stats", StatsFeed)  # the metrics engine, live: snapshot() and subscribe() for consoles


def _add_routes(app: web.Application, routes: list[ApiRoute]) -> None:
    for route in routes:
        handler = route.handler if route.roles is None else guard(route.handler, route.roles)
        app.router.add_route(route.method, route.path, handler)
    document = openapi_document(routes, version=gateway.__version__)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(document)

    app.router.add_get("/api/v1/openapi.json", openapi)


def _sip_front(config: Config, settings: Settings) -> SipFront:
    agents = {u.sip.user: u.sip.password for u in config.users if u.sip is not None}
    return SipFront(
        host=settings.sip_host,
        port=settings.sip_port,
        domain=settings.sip_domain,
        workers=settings.sip_workers,
        agents=agents,
        runtime_dir=settings.data_dir / "kamailio",
        limits=config.server.sip.limits.to_limits(),
        transports=config.server.sip.to_transports(settings.config_dir),
    )


def _voice_service(
    config: Config,
    settings: Settings,
    pool: WorkerPool,
    hub: AcdServer,
    database: Database,
    sip: SipFront,
    cti: CtiRuntime,
    transcriber: TranscriptionService | None,
    at_rest: RecordingsAtRest,
    listener: LiveRecogniser | None,
    transcript_stored: TranscriptStored,
) -> VoiceService:
    sip_users = {u.id: u.sip.user for u in config.agents if u.sip is not None}
    phones = {u.id: u.sip.user for u in config.users if u.sip is not None}  # supervisors' too
    hours = business_hours_specs(config)
    music = Path(config.server.sip.music_on_hold) if config.server.sip.music_on_hold else None
    trunk = config.server.sip.trunk

    def agent_uri(agent_id: str) -> str | None:
        user = sip_users.get(agent_id)
        return sip.agent_uri(user) if user is not None else None

    def user_uri(user_id: str) -> str | None:
        user = phones.get(user_id)
        return sip.agent_uri(user) if user is not None else None

    numbers = OwnNumbers(
        config.server.sip.numbers,
        worker_uri=sip.worker_uri,
        trunk=trunk.uri_for if trunk is not None else None,
    )

    return VoiceService(
        pool,
        parsed_flows(config),
        hub,
        entry_flow=config.server.sip.entry_flow,
        prompts=PromptCache(settings.data_dir / "prompts", voice=config.server.sip.prompt_voice),
        recordings_dir=settings.data_dir / "recordings",
        agent_uri=agent_uri,
        is_open=lambda name, now: is_open(hours[name], now.timestamp()),
        recording_sink=_recording_sink(database, hub, transcriber, transcript_stored),
        speech=listener,
        music_on_hold=music,
        media_root=settings.config_dir,
        lookup=answer_lookup_by(cti.service),
        dial_uri=numbers.dial_uri if trunk is not None or config.server.sip.numbers else None,
        outbound_queue=trunk.queue if trunk is not None else None,
        own_numbers=numbers,
        user_uri=user_uri,
        at_rest=at_rest,
    )


def _recording_sink(
    database: Database,
    hub: AcdServer,
    transcriber: TranscriptionService | None,
    transcript_stored: TranscriptStored,
) -> RecordingSink:
    sink = voice_http.DatabaseRecordings(database)
    if transcriber is None:
        return sink

    def queue_of(interaction_id: str) -> str | None:
        view = hub.interaction(interaction_id)
        return view.queue if view is not None else None

    return TranscribingSink(sink, transcriber, queue_of=queue_of, on_stored=transcript_stored)


def _private_dir(path: Path) -> None:
    # The data directory holds the database, recordings and secrets: the owner alone may list or read it.
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        path.chmod(0o700)
    except PermissionError:  # another user's folder, shared on purpose: leave its mode to them
        logger.warning("%s belongs to another user: its mode is left as it is", path)


def _recordings_key(config: Config, settings: Settings) -> bytes | None:
    key_file = config.server.recordings.encryption_key_file
    if key_file is None:
        return None
    try:
        return load_key(settings.config_dir / key_file)
    except ValueError as exc:
        problem = ConfigProblem("server.recordings.encryption_key_file", str(exc))
        raise ConfigError(str(settings.config_dir), [problem]) from None


def _chat_service(
    config: Config,
    hub: AcdServer,
    database: Database,
    realtime: RealtimeServer,
    cti: CtiRuntime,
    desk: CrmDesk,
    secret: bytes,
) -> ChatService:
    hours = business_hours_specs(config)
    sockets = ChatSockets(realtime)
    chat = ChatService(
        config=config.chat,
        routing=hub,
        store=ChatRecords(database),
        push=sockets,
        tokens=VisitorTokens(secret=secret, ttl_seconds=config.chat.visitor_token_ttl_seconds),
        agent_names={u.id: u.name for u in config.agents},
        staff_names={u.id: u.name for u in config.users if u.role in ("supervisor", "admin")},
        queues=[q.id for q in config.queues if q.channel is Channel.CHAT],
        is_open=lambda name: is_open(hours[name], time.time()),
        offline=CtiOffline(cti.service),
        identify=desk.identify,
    )
    sockets.attach(chat)
    return chat


def build_app(config: Config, settings: Settings) -> web.Application:
    metrics = Metrics()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            metrics.middleware(),
            error_middleware_for(
                routing_http.ERRORS,
                cti_http.ERRORS,
                voice_http.ERRORS,
                auth_http.ERRORS,
                stats_http.ERRORS,
                chat_http.ERRORS,
            ),
        ],
    )
    _private_dir(settings.data_dir)
    _private_dir(settings.data_dir / "recordings")
    recordings_key = _recordings_key(config, settings)
    at_rest = RecordingsAtRest(recordings_key)
    database = Database(settings.database_url)
    revocations = RevocationList(database, ttl_seconds=settings.token_ttl_seconds)
    secret = load_or_create_secret(settings.data_dir)
    tokens = TokenService(
        secret=secret,
        ttl_seconds=settings.token_ttl_seconds,
        revocations=revocations,
    )
    users = UserDirectory(config.users)
    throttle = LoginThrottle(LoginLimits(**config.server.login_limits.model_dump()))
    sip = _sip_front(config, settings) if settings.sip_enabled else None
    voices: list[VoiceService] = []
    transcribers: list[TranscriptionService] = []  # one when speech is on (known once the loop runs)
    listeners: list[LiveRecogniser] = []  # one when speech is on and some IVR step listens

    def voice() -> VoiceService | None:
        return voices[0] if voices else None

    dialer = voice_http.VoiceDialer(voice) if sip is not None else None
    cti = CtiRuntime(config.crm, engine=lambda: database.engine, dialer=dialer)
    realtime = RealtimeServer(
        tokens=tokens, redis_url=settings.redis_url, allowed_origins=config.chat.allowed_origins
    )
    stats = StatsFeed(engine_for(config))
    metrics.watch_engine(stats.engine)
    if cti.worker is not None:
        metrics.watch_outbox(cti.worker.outbox.pending)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    desk = CrmDesk(cti.service)
    hub = AcdServer(
        config=config,
        database=database,
        metrics=metrics,
        sockets=realtime,
        desk=desk,
        stats=stats,
    )
    app[STATS] = stats
    chat = _chat_service(config, hub, database, realtime, cti, desk, secret)

    app[CONFIG], app[SETTINGS], app[DATABASE], app[ACD], app[METRICS], app[TOKENS] = (
        config,
        settings,
        database,
        hub,
        metrics,
        tokens,
    )
    console = Console(Board(hub, stats.engine, config), realtime)
    hub.watch(console.saw)
    realtime.attach(app, actions=hub, console=console)
    checks: dict[str, Check] = {"database": database_check(database)}
    if redis is not None:
        checks["redis"] = redis_check(redis)
    if sip is not None:
        checks["sip"] = sip_check(sip)
    health_http.add_routes(app, HealthService(checks))
    app.router.add_get("/metrics", metrics.handle)
    add_panel_routes(app)
    add_console_routes(app)
    chat_http.add_widget_routes(app, panel_dist_dir() / "assets")
    _add_routes(
        app,
        auth_http.routes(users, tokens, throttle, revocations)
        + routing_http.routes(hub, config)
        + admin.routes(config)
        + (
            cti_http.routes(
                cti.builtin,
                cti.service,
                interactions=database,
                agents=frozenset(a.id for a in config.agents),
            )
            if cti.builtin
            else []
        )
        + voice_http.routes(voice, hub, database, at_rest=at_rest)
        + stats_http.routes(
            stats.engine,
            queue_names={q.id: q.name for q in config.queues},
            agent_names={a.id: a.name for a in config.agents},
        )
        + speech_http.routes(settings.data_dir / "recordings", hub, database, at_rest=at_rest)
        + chat_http.routes(chat)
        + console_routes(hub, config, database),
    )

    async def attach_voice(pool: WorkerPool) -> None:
        assert sip is not None
        metrics.watch_media_workers(pool.status)
        if not config.flows:
            logger.warning("no IVR flows in the configuration: inbound calls are refused with 480")
            return
        transcriber = transcribers[0] if transcribers else None
        listener = listeners[0] if listeners else None
        voice = _voice_service(
            config,
            settings,
            pool,
            hub,
            database,
            sip,
            cti,
            transcriber,
            at_rest,
            listener,
            desk.transcript_stored,
        )
        sip.attach(voice)
        await voice.start()
        voices.append(voice)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await database.start()
        await revocations.refresh()
        refresh = asyncio.create_task(revocations.run_refresh(_REVOCATION_REFRESH_SECONDS))
        cti.start()
        if settings.seed_demo_customers and cti.builtin is not None:
            await seed_demo_customers(cti.builtin)
        await hub.start()
        realtime.start()
        speech = await _announce_speech(config, settings)
        if speech.model_dir is not None:
            transcriber = TranscriptionService(
                model_dir=speech.model_dir, keywords=config.speech.keywords, recordings_key=recordings_key
            )
            await transcriber.start()
            transcribers.append(transcriber)
        if speech.model_dir is not None and sip is not None and takes_speech(parsed_flows(config)):
            # the model loads in the background; until it has, menus take DTMF only
            listener = LiveRecogniser(
                model_dir=speech.model_dir, hearing=Hearing(confidence=config.speech.menu_confidence)
            )
            await listener.start()
            listeners.append(listener)
        await chat.start()
        if sip is not None:
            await sip.start(before_calls=attach_voice)
        # The routing state built at start lives as long as the process: keep the collector off it.
        keep_for_good()
        logger.info("gateway ready on http://%s:%d", settings.http_host, settings.http_port)
        yield
        for voice in voices:
            await voice.stop()
        if sip is not None:
            await sip.stop()
        await chat.stop()
        for transcriber in transcribers:
            await transcriber.stop()
        for listener in listeners:
            await listener.close()
        await hub.stop()
        await console.close()
        await realtime.close()
        refresh.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresh
        await cti.stop()
        await database.close()
        if redis is not None:
            await redis.aclose()

    app.cleanup_ctx.append(lifecycle)
    retention = RecordingRetention(
        database,
        retention_days={
            q.id: q.recording_retention_days for q in config.queues if q.recording_retention_days
        },
        every_seconds=config.server.recordings.retention_check_seconds,
        expire_link=cti.builtin.expire_recording if cti.builtin is not None else None,
        expire_transcript=cti.builtin.expire_transcript if cti.builtin is not None else None,
    )

    async def purging(app: web.Application) -> AsyncIterator[None]:
        retention.start()  # after `lifecycle` has started the database; stopped before it closes it
        yield
        await retention.stop()

    app.cleanup_ctx.append(purging)
    return app


async def _collecting(app: web.Application) -> AsyncIterator[None]:
    collector = asyncio.create_task(collect_fully_every(), name="full-collections")
    yield
    collector.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await collector


async def _announce_speech(config: Config, settings: Settings) -> SpeechStatus:
    """Once at start: which model speech uses, or why it is off (the gateway runs either way)."""
    status = await asyncio.to_thread(speech_status, config.speech, settings.data_dir)
    log = logging.getLogger("helpline.speech")
    log.log(logging.INFO if status.on else logging.WARNING, "%s", status.describe())
    return status


def _banner(settings: Settings, demo: bool) -> str:
    base = f"http://{settings.http_host}:{settings.http_port}"
    lines = [
        f"Helpline {gateway.__version__} is up{' (demo)' if demo else ''}",
        f"  agent panel  {base}/agent",
        f"  supervisor   {base}/supervisor",
        f"  health       {base}/healthz",
        f"  REST API     {base}/api/v1  (OpenAPI: {base}/api/v1/openapi.json)",
        f"  real time    {base}/socket.io  namespaces /agent, /supervisor, /agent-chat and /chat",
        f'  chat widget  <script src="{base}/chat/widget.js" data-entry="website"></script>',
        f"  metrics      {base}/metrics",
        f"  SIP          udp:{settings.sip_host}:{settings.sip_port}"
        if settings.sip_enabled
        else "  SIP          off",
        f"  data         {settings.data_dir}",
    ]
    if demo:
        lines.append(
            "  demo logins  alice/alice-demo, bob/bob-demo, carol/carol-demo (agents), "
            "sam/sam-demo (supervisor), ada/ada-demo (admin)"
        )
    if demo and settings.sip_enabled:
        sip = f"{settings.sip_host}:{settings.sip_port}"
        lines.append(
            "  demo phones  1001/alice-sip-secret, 1002/bob-sip-secret, 1003/carol-sip-secret, "
            "2001/sam-sip-secret (UDP); "
            f"the IVR: sip:helpline@{sip}; the demo line: sip:+442079460100@{sip}"
        )
    return "\n".join(lines)


def serve(options: ServeOptions) -> int:
    # Everything the gateway and its child processes create (database, recordings, Kamailio's files) is
    # the owner's alone; build_app also tightens a data directory made before.
    os.umask(0o077)
    configure_logging(options.log_level)
    config = load_config(options.config_path)
    settings = resolve_settings(config, options)
    hide_in_logs(secret_values([config.model_dump(mode="json"), settings.database_url, settings.redis_url]))
    app = build_app(config, settings)
    tune_collector()  # full collections on a timer, not every few seconds under traffic (gateway.collector)
    app.cleanup_ctx.append(_collecting)

    async def announce(app: web.Application) -> None:
        print(_banner(settings, options.demo), flush=True)

    app.on_startup.append(announce)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    web.run_app(
        app,
        host=settings.http_host,
        port=settings.http_port,
        print=None,
        loop=loop,
        handle_signals=True,
        shutdown_timeout=5,
        access_log=None,
    )
    return 0
