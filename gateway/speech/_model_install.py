"""`helpline speech install-model`: a model from the official Vosk list, checked (MD5) and unpacked."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ._speech_model import is_vosk_model
from .errors import ModelInstallError

__all__ = ["MODEL_LIST_URL", "ModelEntry", "choose_model", "install_model", "read_model_list"]

MODEL_LIST_URL = "https://alphacephei.com/vosk/models/model-list.json"
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class ModelEntry:
    name: str
    language: str
    kind: str  # "small" (fits a laptop, grammar-capable) or "big"
    url: str
    md5: str
    size: int
    obsolete: bool


def read_model_list(url: str, *, timeout: float = 30.0) -> list[ModelEntry]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            raw = json.load(response)
    except (OSError, ValueError) as exc:
        raise ModelInstallError(f"cannot read the model list {url}: {exc}") from None
    if not isinstance(raw, list):
        raise ModelInstallError(f"the model list {url} is not a JSON list")
    return [e for item in raw if (e := _entry(item)) is not None]


def _entry(item: object) -> ModelEntry | None:
    if not isinstance(item, dict):
        return None
    try:
        return ModelEntry(
            name=str(item["name"]),
            language=str(item["lang"]),
            kind=str(item.get("type", "")),
            url=str(item["url"]),
            md5=str(item["md5"]).lower(),
            size=int(item.get("size", 0)),
            obsolete=str(item.get("obsolete", "false")).lower() == "true",
        )
    except (KeyError, TypeError, ValueError):
        return None  # an entry this version cannot read is skipped, not fatal


def choose_model(entries: list[ModelEntry], language: str, name: str | None = None) -> ModelEntry:
    """The named model, else the language's current small model (else its current big one)."""
    if name is not None:
        for e in entries:
            if e.name == name:
                return e
        raise ModelInstallError(f"no model named {name!r} in the list")
    current = [e for e in entries if e.language == language and not e.obsolete]
    for kind in ("small", "big"):
        for e in current:
            if e.kind == kind:
                return e
    if current:
        return current[0]
    languages = ", ".join(sorted({e.language for e in entries}))
    raise ModelInstallError(f"no current model for language {language!r} (the list has: {languages})")


def install_model(entry: ModelEntry, root: Path, *, progress: Callable[[float], None] | None = None) -> Path:
    """Download, check the MD5, unpack into `root/<name>`; on any failure nothing is left behind."""
    target = root / entry.name
    if target.exists():
        raise ModelInstallError(f"{target} already exists: remove it to install again")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".install-") as tmp:
        archive = Path(tmp) / "model.zip"
        digest = _download(entry, archive, progress)
        if digest != entry.md5:
            raise ModelInstallError(
                f"{entry.name}: checksum mismatch (MD5 {digest}, the list says {entry.md5}); "
                "nothing installed"
            )
        unpacked = _unpack(archive, Path(tmp) / "unpacked", entry.name)
        unpacked.rename(target)
    return target


def _download(entry: ModelEntry, archive: Path, progress: Callable[[float], None] | None) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(entry.url, timeout=60) as response, archive.open("wb") as out:
            total = int(response.headers.get("Content-Length") or entry.size or 0)
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                md5.update(chunk)
                done += len(chunk)
                if progress is not None and total:
                    progress(done / total)
    except OSError as exc:
        raise ModelInstallError(f"cannot download {entry.url}: {exc}") from None
    return md5.hexdigest()


def _unpack(archive: Path, into: Path, name: str) -> Path:
    """The archive holds one folder (the model); members escaping it are refused."""
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                parts = PurePosixPath(member).parts
                if member.startswith("/") or ".." in parts:
                    raise ModelInstallError(f"{name}: the archive has an unsafe path {member!r}")
            zf.extractall(into)
    except zipfile.BadZipFile:
        raise ModelInstallError(f"{name}: the download is not a zip archive") from None
    folders = [p for p in into.iterdir() if p.is_dir()]
    model = folders[0] if len(folders) == 1 and not any(p.is_file() for p in into.iterdir()) else into
    if not is_vosk_model(model):
        shutil.rmtree(into)
        raise ModelInstallError(f"{name}: the archive holds no Vosk model (am/final.mdl and conf/)")
    return model
