"""Speech (Vosk): models and their installation, and transcripts of recorded calls.

service = TranscriptionService(model_dir=model, keywords={"support": {"cancel": ["취소"]}})
sink = TranscribingSink(recordings, service, queue_of=...)   # the recording clerk's sink, transcribing
status = speech_status(config.speech, data_dir)               # on, or off and why
live = LiveRecogniser(model_dir=model)                         # speech menus: VoiceService(speech=live)

Recognition runs in spawned worker processes (transcripts behind a bounded backlog; speech menus in one
process holding the model for every call), never on the event loop.
"""

from __future__ import annotations

from ._filing import TRANSCRIPT_FILE, TranscribingSink, TranscriptStored, transcript_url
from ._hearing import Hearing
from ._live import LiveRecogniser
from ._model_install import MODEL_LIST_URL, ModelEntry, choose_model, install_model, read_model_list
from ._speech_model import SpeechStatus, is_vosk_model, speech_status
from ._transcription import LegFile, TranscriptionJob, TranscriptionService, transcript_document
from .errors import ModelInstallError, SpeechError

__all__ = [
    "MODEL_LIST_URL",
    "TRANSCRIPT_FILE",
    "Hearing",
    "LegFile",
    "LiveRecogniser",
    "ModelEntry",
    "ModelInstallError",
    "SpeechError",
    "SpeechStatus",
    "TranscribingSink",
    "TranscriptStored",
    "TranscriptionJob",
    "TranscriptionService",
    "choose_model",
    "install_model",
    "is_vosk_model",
    "read_model_list",
    "speech_status",
    "transcript_document",
    "transcript_url",
]
