"""Digit words by language: what a caller says for each digit. The one table that a `collect` with
`speech: digits` listens for, and that transcripts redact spoken digit runs by.

Users install their own language's model: a language missing here is one table entry away.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DIGIT_WORDS", "digit_words", "digits_said"]

DIGIT_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "en": MappingProxyType(
            {
                "0": ("zero", "oh"),
                "1": ("one",),
                "2": ("two",),
                "3": ("three",),
                "4": ("four",),
                "5": ("five",),
                "6": ("six",),
                "7": ("seven",),
                "8": ("eight",),
                "9": ("nine",),
            }
        ),
        # Sino-Korean first (phone and account numbers are read with them), then native numerals;
        # 공 is 0 as said in phone numbers, 륙 the form 육 takes after some sounds
        "ko": MappingProxyType(
            {
                "0": ("영", "공"),
                "1": ("일", "하나"),
                "2": ("이", "둘"),
                "3": ("삼", "셋"),
                "4": ("사", "넷"),
                "5": ("오", "다섯"),
                "6": ("육", "륙", "여섯"),
                "7": ("칠", "일곱"),
                "8": ("팔", "여덟"),
                "9": ("구", "아홉"),
            }
        ),
    }
)


def digit_words(language: str) -> Mapping[str, tuple[str, ...]] | None:
    """`language`'s digit -> words ('ko-KR' and 'en-us' read as 'ko' and 'en'); None when not known."""
    code = language.lower()
    return DIGIT_WORDS.get(code) or DIGIT_WORDS.get(code.split("-")[0].split("_")[0])


def digits_said(words: Mapping[str, tuple[str, ...]], text: str) -> str:
    """The digits a caller said, in order (`"여덟 넷 삼"` -> `"843"`); "" unless every word said is a
    digit word of `words` or a written digit: a word not understood must not make a number shorter."""
    digit_of = {d: d for d in "0123456789"} | {w: digit for digit, spoken in words.items() for w in spoken}
    said = [digit_of.get(word.lower(), "") for word in text.split()]
    return "".join(said) if said and all(said) else ""
