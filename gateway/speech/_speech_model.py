"""Where the Vosk model is, or why speech is off: decided once at start from `speech:` and the data dir."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from gateway.config import SpeechConfig

__all__ = ["SpeechStatus", "is_vosk_model", "speech_status"]


@dataclass(frozen=True, slots=True)
class SpeechStatus:
    language: str
    model_dir: Path | None  # None: speech is off, `reason` says why
    reason: str = ""

    @property
    def on(self) -> bool:
        return self.model_dir is not None

    def describe(self) -> str:
        if self.model_dir is not None:
            return f"speech is on: Vosk model {self.model_dir} ({self.language})"
        return (
            f"speech is off: {self.reason}; calls are not transcribed and speech menus take DTMF only "
            f"(install a model with `helpline speech install-model {self.language}`)"
        )


def is_vosk_model(path: Path) -> bool:
    """A Vosk model directory holds its acoustic model and its configuration."""
    return (path / "am" / "final.mdl").is_file() and (path / "conf").is_dir()


def speech_status(config: SpeechConfig, data_dir: Path) -> SpeechStatus:
    language = config.language
    if importlib.util.find_spec("vosk") is None:
        return SpeechStatus(
            language, None, "the vosk package is not installed (pip install 'helpline[speech]')"
        )
    if config.model_dir is not None:
        path = Path(config.model_dir).expanduser().resolve()
        if not is_vosk_model(path):
            return SpeechStatus(language, None, f"speech.model_dir {path} is not a Vosk model directory")
        return SpeechStatus(language, path)
    installed = installed_models(data_dir / "speech", language)
    if not installed:
        return SpeechStatus(
            language, None, f"no {language!r} model in {data_dir / 'speech'} and no speech.model_dir"
        )
    return SpeechStatus(language, installed[-1])


def installed_models(root: Path, language: str) -> list[Path]:
    """Models `install-model` unpacked for `language` (`vosk-model[-small]-LANG-VER`), by name."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and is_vosk_model(p) and _speaks(p.name, language)]
    return sorted(found, key=lambda p: p.name)


def _speaks(name: str, language: str) -> bool:
    # vosk-model-small-ko-0.22, vosk-model-en-us-0.22-lgraph: the language follows the prefix
    rest = name.removeprefix("vosk-model-").removeprefix("small-")
    return rest.startswith(f"{language}-")
