"""A call's legs (words with timings, speech activity) merged into one dialogue with its figures: turns,
talk and silence, overtalk, words per minute, keyword hits and redacted digit runs. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gateway.acd import JSON
from gateway.ivr import DIGIT_WORDS

__all__ = ["KeywordHit", "Leg", "SideFigures", "Transcript", "Turn", "Word", "build_transcript", "redact"]

REDACTED = "[redacted]"
MIN_DIGITS = 4  # a run this long may be a card, account or phone number
# every language's digit words: a transcript may hold a number said in any of them
_DIGIT_WORDS = frozenset(word for table in DIGIT_WORDS.values() for words in table.values() for word in words)
_TURN_GAP = 1.0  # one speaker's segments closer than this are one turn


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float
    end: float
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Leg:
    speaker: str  # caller | agent | supervisor
    words: tuple[Word, ...]
    speech: tuple[tuple[float, float], ...]  # (start, end) of speech activity, seconds from the call's start
    duration: float


@dataclass(frozen=True, slots=True)
class Turn:
    speaker: str
    start: float
    end: float
    text: str  # redacted


@dataclass(frozen=True, slots=True)
class SideFigures:
    speaker: str
    talk_seconds: float
    words: int
    words_per_minute: float | None


@dataclass(frozen=True, slots=True)
class KeywordHit:
    category: str
    phrase: str
    speaker: str
    at: float


@dataclass(frozen=True, slots=True)
class Transcript:
    duration: float
    turns: tuple[Turn, ...]
    sides: tuple[SideFigures, ...]
    silence_seconds: float
    longest_silence: float
    overtalk_count: int
    overtalk_seconds: float
    keyword_hits: tuple[KeywordHit, ...]

    @property
    def silence_share(self) -> float:
        return self.silence_seconds / self.duration if self.duration > 0 else 0.0

    def text(self) -> str:
        return "\n".join(f"{t.speaker}: {t.text}" for t in self.turns)

    def to_dict(self) -> dict[str, JSON]:
        return {
            "duration": self.duration,
            "turns": [
                {"speaker": t.speaker, "start": t.start, "end": t.end, "text": t.text} for t in self.turns
            ],
            "sides": [
                {
                    "speaker": s.speaker,
                    "talk_seconds": s.talk_seconds,
                    "words": s.words,
                    "words_per_minute": s.words_per_minute,
                }
                for s in self.sides
            ],
            "silence_seconds": self.silence_seconds,
            "silence_share": self.silence_share,
            "longest_silence": self.longest_silence,
            "overtalk_count": self.overtalk_count,
            "overtalk_seconds": self.overtalk_seconds,
            "keyword_hits": [
                {"category": k.category, "phrase": k.phrase, "speaker": k.speaker, "at": k.at}
                for k in self.keyword_hits
            ],
        }


def build_transcript(legs: Sequence[Leg], categories: Mapping[str, Sequence[str]]) -> Transcript:
    duration = max((leg.duration for leg in legs), default=0.0)
    anyone = _union([s for leg in legs for s in leg.speech])
    gaps = _gaps(anyone, duration)
    both = _overlaps([_union(list(leg.speech)) for leg in legs])
    return Transcript(
        duration=duration,
        turns=tuple(sorted((t for leg in legs for t in _turns(leg)), key=lambda t: (t.start, t.speaker))),
        sides=tuple(_side(leg) for leg in legs),
        silence_seconds=sum(e - s for s, e in gaps),
        longest_silence=max((e - s for s, e in gaps), default=0.0),
        overtalk_count=len(both),
        overtalk_seconds=sum(e - s for s, e in both),
        keyword_hits=tuple(sorted((h for leg in legs for h in _hits(leg, categories)), key=lambda h: h.at)),
    )


def redact(words: Sequence[Word]) -> list[str]:
    """The words' texts with every run of at least MIN_DIGITS spoken or written digits replaced."""
    out: list[str] = []
    run: list[str] = []
    digits = 0
    for text in [w.text for w in words] + [""]:
        count = _digits_in(text)
        if count:
            run.append(text)
            digits += count
            continue
        out += [REDACTED] if digits >= MIN_DIGITS else run
        run, digits = [], 0
        if text:
            out.append(text)
    return out


def _digits_in(text: str) -> int:
    if text.isdigit():
        return len(text)
    return 1 if text.lower() in _DIGIT_WORDS else 0


def _turns(leg: Leg) -> list[Turn]:
    segments = _union(list(leg.speech), join=_TURN_GAP)
    turns = []
    for start, end in segments:
        inside = [w for w in leg.words if start - 0.25 <= (w.start + w.end) / 2 <= end + 0.25]
        turns.append(Turn(leg.speaker, start, end, " ".join(redact(inside))))
    return turns


def _side(leg: Leg) -> SideFigures:
    talk = sum(e - s for s, e in _union(list(leg.speech)))
    words = len(leg.words)
    return SideFigures(leg.speaker, talk, words, words / (talk / 60.0) if talk > 0 else None)


def _hits(leg: Leg, categories: Mapping[str, Sequence[str]]) -> list[KeywordHit]:
    texts = [w.text.lower() for w in leg.words]
    hits = []
    for category, phrases in categories.items():
        for phrase in phrases:
            wanted = phrase.lower().split()
            for i in range(len(texts) - len(wanted) + 1):
                if wanted and texts[i : i + len(wanted)] == wanted:
                    hits.append(KeywordHit(category, phrase, leg.speaker, leg.words[i].start))
    return hits


def _union(segments: list[tuple[float, float]], join: float = 0.0) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(segments):
        if merged and start - merged[-1][1] <= join:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _gaps(speech: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    gaps, cursor = [], 0.0
    for start, end in speech:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if duration > cursor:
        gaps.append((cursor, duration))
    return gaps


def _overlaps(sides: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Spans where at least two sides talk at once."""
    edges = sorted((t, d) for side in sides for s, e in side for t, d in ((s, 1), (e, -1)))
    spans, talking, since = [], 0, 0.0
    for t, d in edges:
        before, talking = talking, talking + d
        if before < 2 <= talking:
            since = t
        elif talking < 2 <= before and t > since:
            spans.append((since, t))
    return spans
