"""Analytics: the one metrics engine every figure comes from (wallboard, REST, Prometheus, reports).

engine = MetricsEngine([QueueMetricsSpec("support", ServiceLevelSpec(20, 80, "offered"))],
                       agents=["alice"], timezone="Europe/Paris")
for event in log: engine.apply(event)          # pure fold, live or replayed: the same figures
engine.queue("support", now) / engine.agent("alice", now)    # today, with live state
engine.queue_intervals("support", start, end, Granularity.MIN15)
engine.snapshot(now)                           # the whole day, for a console on connect
engine.changes()                               # queues/agents touched since last asked (deltas)

The what-if simulator over the routing core, Erlang C, and speech (Vosk) models and transcripts:

team = Team.build(queue_specs, Staffing(pooled=12))
arrivals = poisson_arrivals([QueueLoad("support", calls_per_hour=200, handle_seconds=180)], hours=8, seed=1)
result = Simulation(team=team, arrivals=arrivals, start=epoch, hours=8).run()
result.total("support").service_level
"""

from __future__ import annotations

from ._calendar import Granularity
from ._configured import engine_for, metrics_specs
from ._engine import MetricsEngine
from ._erlang import ErlangC, erlang_c, erlang_c_agents
from ._feed import StatsFeed, StatsListener
from ._figures import AgentFigures, Changes, QueueFigures, Snapshot, service_level
from ._filing import TRANSCRIPT_FILE, TranscribingSink
from ._model_install import MODEL_LIST_URL, ModelEntry, choose_model, install_model, read_model_list
from ._simulator import IntervalFigures, Simulation, SimulationResult
from ._specs import QueueMetricsSpec, ServiceLevelDefinition, ServiceLevelSpec
from ._speech_model import SpeechStatus, is_vosk_model, speech_status
from ._transcription import LegFile, TranscriptionJob, TranscriptionService, transcript_document
from ._workload import Arrival, QueueLoad, Staffing, Team, log_arrivals, poisson_arrivals
from .errors import AnalyticsError, BadPeriod, UnknownScope

__all__ = [
    "MODEL_LIST_URL",
    "TRANSCRIPT_FILE",
    "AgentFigures",
    "AnalyticsError",
    "Arrival",
    "BadPeriod",
    "Changes",
    "ErlangC",
    "Granularity",
    "IntervalFigures",
    "LegFile",
    "MetricsEngine",
    "ModelEntry",
    "QueueFigures",
    "QueueLoad",
    "QueueMetricsSpec",
    "ServiceLevelDefinition",
    "ServiceLevelSpec",
    "Simulation",
    "SimulationResult",
    "Snapshot",
    "SpeechStatus",
    "Staffing",
    "StatsFeed",
    "StatsListener",
    "Team",
    "TranscribingSink",
    "TranscriptionJob",
    "TranscriptionService",
    "UnknownScope",
    "choose_model",
    "engine_for",
    "erlang_c",
    "erlang_c_agents",
    "install_model",
    "is_vosk_model",
    "log_arrivals",
    "metrics_specs",
    "poisson_arrivals",
    "read_model_list",
    "service_level",
    "speech_status",
    "transcript_document",
]
