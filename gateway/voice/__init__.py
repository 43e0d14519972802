"""Helpline voice: the gateway-side call control that joins the media workers, the IVR and routing (through
the routing port, `gateway.acd_server.RoutingPort`; `AcdServer` is the one the gateway passes).

Wiring (the composition root does this):

    relay = EventRelay()
    pool = WorkerPool(size=..., base_port=..., on_event=relay.on_event, on_worker_lost=relay.on_worker_lost)
    voice = VoiceService(pool, flows, routing, prompts=PromptCache(dir), recordings_dir=..., agent_uri=...,
                         is_open=..., recording_sink=..., dial_uri=trunk.uri_for,
                         own_numbers=OwnNumbers({"+442079460100": "demo_line"}, worker_uri=..., trunk=...))
    relay.connect(voice)
    await pool.start(); await voice.start()
    ...
    await voice.hold(interaction_id); await voice.resume(interaction_id)
    await voice.transfer(interaction_id, "queue:support" | "agent:bob" | "sip:desk@pbx" | "+4420...")
    await voice.click_to_dial("alice", "+442079460000", attributes={...})   # needs dial_uri (a trunk)
    await voice.monitor(interaction_id, "sam", MonitorMode.LISTEN)    # sam's phone rings, then listens
    await voice.monitor_mode(interaction_id, "sam", MonitorMode.BARGE); await voice.stop_monitoring(...)
    await voice.stop(); await pool.stop()
"""

from __future__ import annotations

from gateway.voice._agents import AgentUri
from gateway.voice._at_rest import SEALED_SUFFIX, RecordingsAtRest, load_key
from gateway.voice._control import DialUri, TargetKind, TransferTarget, parse_target
from gateway.voice._ivr import CustomerLookup
from gateway.voice._listening import SpeechHeard, SpeechListener, SpeechStarted
from gateway.voice._monitor import MonitorStatus
from gateway.voice._numbers import OwnNumbers
from gateway.voice._prompts import RATES, PromptCache
from gateway.voice._recording import RecordingInfo, RecordingKind, RecordingSink
from gateway.voice._retention import TRANSCRIPT_FILE, RecordingRetention, transcript_url
from gateway.voice._service import EventRelay, VoiceService
from gateway.voice._session import MonitorMode
from gateway.voice.errors import (
    AlreadyMonitored,
    CallNotFoundError,
    DialError,
    DialRefusal,
    MonitorError,
    NoRoomForSupervisor,
    NoSupervisorPhone,
    NotMonitoring,
    PromptError,
    RecordingError,
    RecordingUnreadable,
    VoiceError,
)

__all__ = [
    "RATES",
    "SEALED_SUFFIX",
    "TRANSCRIPT_FILE",
    "AgentUri",
    "AlreadyMonitored",
    "CallNotFoundError",
    "CustomerLookup",
    "DialError",
    "DialRefusal",
    "DialUri",
    "EventRelay",
    "MonitorError",
    "MonitorMode",
    "MonitorStatus",
    "NoRoomForSupervisor",
    "NoSupervisorPhone",
    "NotMonitoring",
    "OwnNumbers",
    "PromptCache",
    "PromptError",
    "RecordingError",
    "RecordingInfo",
    "RecordingKind",
    "RecordingRetention",
    "RecordingSink",
    "RecordingUnreadable",
    "RecordingsAtRest",
    "SpeechHeard",
    "SpeechListener",
    "SpeechStarted",
    "TargetKind",
    "TransferTarget",
    "VoiceError",
    "VoiceService",
    "load_key",
    "parse_target",
    "transcript_url",
]
