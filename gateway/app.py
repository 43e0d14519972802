"""The composition root: builds every service from the configuration and wires them into one aiohttp app."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from sqlalchemy import MetaData

import gateway
from cti_adapter import metadata as crm_metadata
from cti_adapter._runtime import CtiRuntime
from cti_adapter.importer import seed_demo_customers
from gateway import admin
from gateway.acd._hours import is_open
from gateway.acd_server import AcdServer
from gateway.acd_server import http as routing_http
from gateway.analytics import StatsFeed, engine_for
from gateway.analytics import http as stats_http
from gateway.auth import TOKENS, TokenService, UserDirectory, guard, load_or_create_secret
from gateway.auth import http as auth_http
from gateway.config import Config, business_hours_specs, load_config, parsed_flows
from gateway.cti import CrmDesk, answer_lookup_by
from gateway.cti import http as cti_http
from gateway.logs import configure_logging
from gateway.metrics import Metrics
from gateway.panel import add_routes as add_panel_routes
from gateway.realtime import RealtimeServer
from gateway.sip import WorkerPool
from gateway.sip.front import SipFront
from gateway.storage import Database
from gateway.storage import metadata as storage_metadata
from gateway.supervisor import Board, Console
from gateway.supervisor import add_routes as add_console_routes
from gateway.supervisor import routes as console_routes
from gateway.voice import OwnNumbers, PromptCache, VoiceService
from gateway.voice import http as voice_http
from gateway.web import ApiRoute, error_middleware_for, openapi_document

__all__ = ["DATABASE_METADATA", "ServeOptions", "Settings", "build_app", "resolve_settings", "serve"]

# Every table in the gateway's database: its own and the CRM's. The migrations create them all; comparing
# the models with a migrated database (autogenerate, `alembic check`, the schema tests) needs this list.
DATABASE_METADATA: tuple[MetaData, ...] = (storage_metadata, crm_metadata)

logger = logging.getLogger("helpline.app")


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


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": gateway.__version__})


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
    )


def _voice_service(
    config: Config,
    settings: Settings,
    pool: WorkerPool,
    hub: AcdServer,
    database: Database,
    sip: SipFront,
    cti: CtiRuntime,
) -> VoiceService:
    sip_users = {u.id: u.sip.user for u in config.agents if u.sip is not None}
    hours = business_hours_specs(config)
    music = Path(config.server.sip.music_on_hold) if config.server.sip.music_on_hold else None
    trunk = config.server.sip.trunk

    def agent_uri(agent_id: str) -> str | None:
        user = sip_users.get(agent_id)
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
        recording_sink=voice_http.DatabaseRecordings(database),
        music_on_hold=music,
        media_root=settings.config_dir,
        lookup=answer_lookup_by(cti.service),
        dial_uri=numbers.dial_uri if trunk is not None or config.server.sip.numbers else None,
        outbound_queue=trunk.queue if trunk is not None else None,
        own_numbers=numbers,
    )


def build_app(config: Config, settings: Settings) -> web.Application:
    metrics = Metrics()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            metrics.middleware(),
            error_middleware_for(routing_http.ERRORS, cti_http.ERRORS, voice_http.ERRORS, stats_http.ERRORS),
        ],
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "recordings").mkdir(exist_ok=True)
    tokens = TokenService(
        secret=load_or_create_secret(settings.data_dir), ttl_seconds=settings.token_ttl_seconds
    )
    users = UserDirectory(config.users)
    database = Database(settings.database_url)
    sip = _sip_front(config, settings) if settings.sip_enabled else None
    voices: list[VoiceService] = []

    def voice() -> VoiceService | None:
        return voices[0] if voices else None

    dialer = voice_http.VoiceDialer(voice) if sip is not None else None
    cti = CtiRuntime(config.crm, engine=lambda: database.engine, dialer=dialer)
    realtime = RealtimeServer(tokens=tokens, redis_url=settings.redis_url)
    stats = StatsFeed(engine_for(config))
    metrics.watch_engine(stats.engine)
    if cti.worker is not None:
        metrics.watch_outbox(cti.worker.outbox.pending)
    hub = AcdServer(
        config=config,
        database=database,
        metrics=metrics,
        sockets=realtime,
        desk=CrmDesk(cti.service),
        stats=stats,
    )
    app[STATS] = stats

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
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/metrics", metrics.handle)
    add_panel_routes(app)
    add_console_routes(app)
    _add_routes(
        app,
        auth_http.routes(users, tokens)
        + routing_http.routes(hub, config)
        + admin.routes(config)
        + (cti_http.routes(cti.builtin, cti.service) if cti.builtin else [])
        + voice_http.routes(voice, hub, database)
        + stats_http.routes(
            stats.engine,
            queue_names={q.id: q.name for q in config.queues},
            agent_names={a.id: a.name for a in config.agents},
        )
        + console_routes(hub, config, database),
    )

    async def attach_voice(pool: WorkerPool) -> None:
        assert sip is not None
        metrics.watch_media_workers(pool.status)
        if not config.flows:
            logger.warning("no IVR flows in the configuration: inbound calls are refused with 480")
            return
        voice = _voice_service(config, settings, pool, hub, database, sip, cti)
        sip.attach(voice)
        await voice.start()
        voices.append(voice)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await database.start()
        cti.start()
        if settings.seed_demo_customers and cti.builtin is not None:
            await seed_demo_customers(cti.builtin)
        await hub.start()
        if sip is not None:
            await sip.start(before_calls=attach_voice)
        # The routing state built at start lives as long as the process: keep the collector off it.
        gc.collect()
        gc.freeze()
        logger.info("gateway ready on http://%s:%d", settings.http_host, settings.http_port)
        yield
        for voice in voices:
            await voice.stop()
        if sip is not None:
            await sip.stop()
        await hub.stop()
        await console.close()
        await realtime.close()
        await cti.stop()
        await database.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def _banner(settings: Settings, demo: bool) -> str:
    base = f"http://{settings.http_host}:{settings.http_port}"
    lines = [
        f"Helpline {gateway.__version__} is up{' (demo)' if demo else ''}",
        f"  agent panel  {base}/agent",
        f"  supervisor   {base}/supervisor",
        f"  health       {base}/healthz",
        f"  REST API     {base}/api/v1  (OpenAPI: {base}/api/v1/openapi.json)",
        f"  real time    {base}/socket.io  namespaces /agent and /supervisor",
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
            "  demo phones  1001/alice-sip-secret, 1002/bob-sip-secret, 1003/carol-sip-secret (UDP); "
            f"the IVR: sip:helpline@{sip}; the demo line: sip:+442079460100@{sip}"
        )
    return "\n".join(lines)


def serve(options: ServeOptions) -> int:
    configure_logging(options.log_level)
    config = load_config(options.config_path)
    settings = resolve_settings(config, options)
    app = build_app(config, settings)

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
