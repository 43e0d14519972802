"""How well a transcript matches what was said: word error rate, and the two rates Korean is scored by.

Korean spacing is loose (a stem and its ending, a noun and its particle, are one word or two depending on
who writes), and the Korean Vosk model's vocabulary splits many words there (`확인하 겠습니다`). So beside the
plain word error rate: the space-normalised one (KsponSpeech's sWER: the hypothesis is re-spaced where the
reference has its spaces, over a character alignment, then scored by words) and the character error rate
(spaces ignored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Accuracy", "accuracy", "edit_distance", "respaced"]


@dataclass(frozen=True, slots=True)
class Accuracy:
    words: int  # in the reference
    word_errors: int
    spaced_word_errors: int  # after re-spacing the hypothesis as the reference is spaced
    characters: int  # in the reference, spaces left out
    character_errors: int

    @property
    def wer(self) -> float:
        return self.word_errors / self.words

    @property
    def swer(self) -> float:
        return self.spaced_word_errors / self.words

    @property
    def cer(self) -> float:
        return self.character_errors / self.characters

    def __add__(self, other: Accuracy) -> Accuracy:
        return Accuracy(
            self.words + other.words,
            self.word_errors + other.word_errors,
            self.spaced_word_errors + other.spaced_word_errors,
            self.characters + other.characters,
            self.character_errors + other.character_errors,
        )

    def describe(self) -> str:
        return f"WER {self.wer:.0%}, sWER {self.swer:.0%}, CER {self.cer:.0%}"


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance: substitutions, deletions and insertions, each costing 1."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]


def respaced(reference: str, hypothesis: str) -> str:
    """`hypothesis` spaced where `reference` is: its characters aligned to the reference's (spaces left
    out of both), a space put before each hypothesis character aligned at or after a reference word's
    first character (or at the next one the hypothesis has, where that one was not heard)."""
    ref = reference.split()
    starts, at = set(), 0
    for word in ref:
        starts.add(at)
        at += len(word)
    r, h = "".join(ref), "".join(hypothesis.split())
    out: list[str] = []
    word_starts = False
    for ri, hj in _alignment(r, h):
        word_starts = word_starts or ri in starts
        if hj is None:
            continue
        if word_starts and out:
            out.append(" ")
        word_starts = False
        out.append(h[hj])
    return "".join(out)


def accuracy(reference: str, hypothesis: str) -> Accuracy:
    ref, hyp = reference.split(), hypothesis.split()
    chars = "".join(ref)
    return Accuracy(
        words=len(ref),
        word_errors=edit_distance(ref, hyp),
        spaced_word_errors=edit_distance(ref, respaced(reference, hypothesis).split()),
        characters=len(chars),
        character_errors=edit_distance(chars, "".join(hyp)),
    )


def _alignment(r: str, h: str) -> list[tuple[int | None, int | None]]:
    """One cheapest Levenshtein alignment of `r` and `h` as (index in r, index in h) pairs."""
    cost = [[i + j if i == 0 or j == 0 else 0 for j in range(len(h) + 1)] for i in range(len(r) + 1)]
    for i in range(1, len(r) + 1):
        for j in range(1, len(h) + 1):
            cost[i][j] = min(
                cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (r[i - 1] != h[j - 1])
            )
    pairs: list[tuple[int | None, int | None]] = []
    i, j = len(r), len(h)
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (r[i - 1] != h[j - 1]):
            i, j = i - 1, j - 1
            pairs.append((i, j))
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
            pairs.append((i, None))
        else:
            j -= 1
            pairs.append((None, j))
    return pairs[::-1]
