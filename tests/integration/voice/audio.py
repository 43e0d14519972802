"""Reading the recordings back: which tone a file carries, and where it is silent."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float64]


def read(path: Path) -> tuple[Samples, int]:
    """Samples as floats in [-1, 1], one row per channel, and the sample rate."""
    with wave.open(str(path), "rb") as reader:
        assert reader.getsampwidth() == 2, f"{path.name}: expected 16-bit samples"
        channels, rate = reader.getnchannels(), reader.getframerate()
        data = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").astype(np.float64)
    return data.reshape(-1, channels).T / 32768.0, rate


def share_at(samples: Samples, rate: int, hz: float, width: float = 40.0) -> float:
    """The share of the signal's energy within `width` Hz of `hz` (1.0: a pure tone at hz)."""
    if samples.size == 0:
        return 0.0
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    total = float(spectrum[freqs > 50].sum())
    band = float(spectrum[(freqs > hz - width) & (freqs < hz + width)].sum())
    return band / total if total else 0.0


def level_at(samples: Samples, rate: int, hz: float, width: float = 40.0) -> float:
    """The RMS level of what lies within `width` Hz of `hz` (a tone of amplitude A alone: A / sqrt 2).
    Unlike `share_at` it does not depend on what else is heard, so a mix of voices can be checked tone by
    tone, and a gap in the audio does not make an absent tone look present."""
    if samples.size == 0:
        return 0.0
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    band = float(spectrum[(freqs > hz - width) & (freqs < hz + width)].sum())
    return float(np.sqrt(2 * band)) / samples.size


def peak_level(samples: Samples, rate: int, hz: float, *, window_s: float = 0.25) -> float:
    """The loudest `level_at(hz)` of any `window_s` stretch: a voice that came through at all, even between
    the gaps a loaded machine puts in RTP streams, has at least one stretch at nearly its full level."""
    size = int(rate * window_s)
    windows = [samples[i : i + size] for i in range(0, samples.size - size + 1, size)]
    return max((level_at(w, rate, hz) for w in windows), default=0.0)


def carries(samples: Samples, rate: int, hz: float, *, not_hz: float) -> bool:
    """The audio is mostly the tone at `hz` (packet loss and concealment under load spread some energy)
    and holds next to nothing of the other party's tone at `not_hz`."""
    return share_at(samples, rate, hz) > 0.5 and share_at(samples, rate, not_hz) < 0.05


def rms(samples: Samples) -> float:
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def silent_runs(
    samples: Samples, rate: int, *, frame_s: float = 0.02, level: float = 1e-3
) -> list[tuple[float, float]]:
    """(start, end) in seconds of every stretch whose 20 ms frames all stay below `level` RMS."""
    frame = int(rate * frame_s)
    count = samples.size // frame
    quiet = [rms(samples[i * frame : (i + 1) * frame]) < level for i in range(count)]
    runs: list[tuple[float, float]] = []
    start: int | None = None
    for index, is_quiet in enumerate([*quiet, False]):
        if is_quiet and start is None:
            start = index
        elif not is_quiet and start is not None:
            runs.append((start * frame_s, index * frame_s))
            start = None
    return runs


def best_match(recording: Samples, reference: Samples) -> float:
    """The highest normalised cross-correlation of `reference` against any stretch of `recording`
    (1.0: that stretch is the reference, up to loudness); both at the same sample rate."""
    n = recording.size + reference.size
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(recording, size) * np.conj(np.fft.rfft(reference, size))
    raw = np.fft.irfft(spectrum, size)[: recording.size - reference.size + 1]
    energy = np.concatenate(([0.0], np.cumsum(recording**2)))
    window = energy[reference.size :] - energy[: recording.size - reference.size + 1]
    norms = np.sqrt(np.maximum(window, 1e-12)) * float(np.sqrt(np.sum(reference**2)))
    return float(np.max(raw / norms))


def telephone_band(samples: Samples, rate: int, low: float = 300.0, high: float = 3400.0) -> Samples:
    """Only what a G.711 call carries."""
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, samples.size)


def worst_part(
    recording: Samples, reference: Samples, rate: int, *, parts: int = 8, spared: int = 0
) -> float:
    """How well the least recognisable of `parts` consecutive pieces of `reference` (about half a second
    of speech each) is found in `recording`, the `spared` worst pieces left out. Pieces, not the whole: the
    phone's jitter buffer shifts the audio by a few milliseconds now and then, which breaks a whole-sentence
    correlation."""
    heard, said = telephone_band(recording, rate), telephone_band(reference, rate)
    n = said.size
    found = sorted(best_match(heard, said[i * n // parts : (i + 1) * n // parts]) for i in range(parts))
    return found[spared]


def resample(samples: Samples, rate: int, to: int) -> Samples:
    """Linear interpolation to another rate (enough for comparing speech that went through G.711)."""
    if rate == to:
        return samples
    times = np.arange(int(samples.size * to / rate)) / to
    return np.interp(times, np.arange(samples.size) / rate, samples)
