"""Recordings (and the transcripts beside them) at rest: owner-only files and folders, and AES-256-GCM
encryption when a key is configured.

A sealed file is a chunked AEAD stream (the STREAM construction: every chunk is its own AES-GCM message
whose nonce is a random per-file prefix, the chunk's number and a last-chunk flag, with the file header as
associated data), so files are encrypted and decrypted chunk by chunk and never sit whole in memory, and a
chunk that was altered, dropped, reordered or cut off fails authentication instead of playing.

    header  b"HLREC1" | nonce prefix (7 bytes) | plaintext chunk size (4 bytes, big-endian)
    chunks  AES-GCM(chunk) + 16-byte tag, each but the last holding exactly `chunk size` bytes
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import secrets
import struct
from collections.abc import Generator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.voice.errors import RecordingUnreadable

__all__ = ["SEALED_SUFFIX", "RecordingsAtRest", "load_key", "private_dirs"]

SEALED_SUFFIX = ".enc"
_MAGIC = b"HLREC1"
_PREFIX_BYTES = 7
_HEADER = struct.Struct(f">{len(_MAGIC)}s{_PREFIX_BYTES}sI")
_TAG_BYTES = 16
_CHUNK_BYTES = 64 * 1024
_KEY_BYTES = 32


def load_key(path: Path) -> bytes:
    """A 256-bit key from a file holding it base64-encoded (`head -c 32 /dev/urandom | base64 > key`)."""
    try:
        key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (OSError, UnicodeDecodeError, binascii.Error) as exc:
        raise ValueError(f"recordings encryption key {path}: cannot read a base64 key: {exc}") from exc
    if len(key) != _KEY_BYTES:
        raise ValueError(f"recordings encryption key {path}: need {_KEY_BYTES} bytes, found {len(key)}")
    return key


def private_dirs(root: Path, folder: Path) -> None:
    """Create `folder` (under `root`) and every folder between them, each readable by the owner alone."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        current.mkdir(mode=0o700, exist_ok=True)
        current.chmod(0o700)


class RecordingsAtRest:
    """Makes a finished recording owner-only and, with a key, replaces it by its sealed (encrypted) form."""

    def __init__(self, key: bytes | None = None, *, chunk_bytes: int = _CHUNK_BYTES) -> None:
        if key is not None and len(key) != _KEY_BYTES:
            raise ValueError(f"recordings at rest: the key must be {_KEY_BYTES} bytes, got {len(key)}")
        if chunk_bytes <= 0:
            raise ValueError("recordings at rest: chunk_bytes must be > 0")
        self._aead = AESGCM(key) if key is not None else None
        self._chunk = chunk_bytes

    @property
    def encrypts(self) -> bool:
        return self._aead is not None

    def keep(self, path: Path) -> Path:
        """Blocking: the file as it is kept (sealed next to it and the plaintext deleted when encrypting)."""
        if self._aead is None:
            path.chmod(0o600)
            return path
        sealed = path.with_name(path.name + SEALED_SUFFIX)
        try:
            with path.open("rb") as source, _create_private(sealed) as target:
                self._seal(self._aead, source, target)
        except BaseException:
            sealed.unlink(missing_ok=True)
            raise
        path.unlink()
        return sealed

    def write(self, path: Path, data: bytes) -> Path:
        """Blocking: store `data` (a transcript) as `keep` would keep a file at `path`, never in clear on disk
        when encrypting; written whole or not at all. Returns the path it is kept at."""
        kept = path.with_name(path.name + SEALED_SUFFIX) if self._aead is not None else path
        partial = kept.with_name(kept.name + ".partial")
        try:
            with _create_private(partial) as target:
                if self._aead is None:
                    target.write(data)
                else:
                    self._seal(self._aead, io.BytesIO(data), target)
            partial.replace(kept)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return kept

    def read(self, path: Path) -> bytes:
        """Blocking: the whole plaintext of a small kept file (a transcript)."""
        return b"".join(self.chunks(path))

    def chunks(self, path: Path) -> Generator[bytes]:
        """Blocking iterator over the plaintext of a kept file, decrypted chunk by chunk when sealed."""
        with path.open("rb") as source:
            if not path.name.endswith(SEALED_SUFFIX):
                while block := source.read(self._chunk):
                    yield block
                return
            if self._aead is None:
                raise RecordingUnreadable(path.name, "it is encrypted and no recordings key is configured")
            yield from self._open(self._aead, source, path)

    def _seal(self, aead: AESGCM, source: BinaryIO, target: BinaryIO) -> None:
        header = _HEADER.pack(_MAGIC, secrets.token_bytes(_PREFIX_BYTES), self._chunk)
        target.write(header)
        current, index = source.read(self._chunk), 0
        while True:
            following = source.read(self._chunk)
            last = not following
            target.write(aead.encrypt(_nonce(header, index, last), current, header))
            if last:
                return
            current, index = following, index + 1

    def _open(self, aead: AESGCM, source: BinaryIO, path: Path) -> Generator[bytes]:
        header = source.read(_HEADER.size)
        try:
            magic, _, chunk = _HEADER.unpack(header)
        except struct.error:
            magic, chunk = b"", 0
        if magic != _MAGIC:
            raise RecordingUnreadable(path.name, "not a sealed recording")
        current, index = source.read(chunk + _TAG_BYTES), 0
        while True:
            following = source.read(chunk + _TAG_BYTES)
            last = not following
            try:
                yield aead.decrypt(_nonce(header, index, last), current, header)
            except InvalidTag:
                raise RecordingUnreadable(path.name, f"chunk {index} fails authentication") from None
            if last:
                return
            current, index = following, index + 1


def _nonce(header: bytes, index: int, last: bool) -> bytes:
    prefix = header[len(_MAGIC) : len(_MAGIC) + _PREFIX_BYTES]
    return prefix + struct.pack(">I?", index, last)


def _create_private(path: Path) -> BinaryIO:
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
