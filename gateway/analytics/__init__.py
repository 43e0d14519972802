"""Analytics: the what-if simulator over the routing core, Erlang C, and speech (Vosk) models.

team = Team.build(queue_specs, Staffing(pooled=12))
arrivals = poisson_arrivals([QueueLoad("support", calls_per_hour=200, handle_seconds=180)], hours=8, seed=1)
result = Simulation(team=team, arrivals=arrivals, start=epoch, hours=8).run()
result.total("support").service_level
"""

from __future__ import annotations

from ._erlang import ErlangC, erlang_c, erlang_c_agents
from ._filing import TRANSCRIPT_FILE, TranscribingSink
from ._model_install import MODEL_LIST_URL, ModelEntry, choose_model, install_model, read_model_list
from ._simulator import IntervalFigures, Simulation, SimulationResult
from ._speech_model import SpeechStatus, is_vosk_model, speech_status
from ._transcription import LegFile, TranscriptionJob, TranscriptionService, transcript_document
from ._workload import Arrival, QueueLoad, Staffing, Team, log_arrivals, poisson_arrivals

__all__ = [
    "MODEL_LIST_URL",
    "TRANSCRIPT_FILE",
    "Arrival",
    "ErlangC",
    "IntervalFigures",
    "LegFile",
    "ModelEntry",
    "QueueLoad",
    "Simulation",
    "SimulationResult",
    "SpeechStatus",
    "Staffing",
    "Team",
    "TranscribingSink",
    "TranscriptionJob",
    "TranscriptionService",
    "choose_model",
    "erlang_c",
    "erlang_c_agents",
    "install_model",
    "is_vosk_model",
    "log_arrivals",
    "poisson_arrivals",
    "read_model_list",
    "speech_status",
    "transcript_document",
]
