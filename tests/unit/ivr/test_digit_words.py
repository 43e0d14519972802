"""Digit words by language: the numbers a caller says to a `collect` with `speech: digits`."""

from __future__ import annotations

import pytest

from gateway.ivr import DIGIT_WORDS, digit_words, digits_said

KO = DIGIT_WORDS["ko"]
EN = DIGIT_WORDS["en"]


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("여덟 넷 여섯 셋", "8463"),  # native numerals
        ("공 일 영 구 팔 칠", "010987"),  # Sino-Korean, 공 and 영 both 0
        ("삼 하나 사 둘", "3142"),  # the two mixed
        ("육 륙 여섯", "666"),
        ("넷", "4"),
        ("사 5 칠", "457"),  # a model that writes a digit as a digit
    ],
)
def test_given_korean_digit_words_when_read_then_they_are_the_digits_in_order(said: str, digits: str) -> None:
    assert digits_said(KO, said) == digits


@pytest.mark.parametrize(
    ("said", "digits"),
    [("four oh seven", "407"), ("Zero Nine", "09"), ("one two three four five six seven eight", "12345678")],
)
def test_given_english_digit_words_when_read_then_they_are_the_digits(said: str, digits: str) -> None:
    assert digits_said(EN, said) == digits


@pytest.mark.parametrize("said", ["", "[unk]", "여덟 [unk] 셋", "여덟 넷 상담", "four and two", "12", "٣"])
def test_given_a_word_that_is_no_digit_when_read_then_nothing_is_entered(said: str) -> None:
    # a digit heard too unsurely arrives as [unk]: the number must not come out a digit shorter
    assert digits_said(KO, said) == ""
    assert digits_said(EN, said) == ""


def test_given_a_language_with_a_region_when_looked_up_then_its_language_table_is_used() -> None:
    assert digit_words("ko-KR") is KO
    assert digit_words("en-us") is EN
    assert digit_words("EN") is EN
    assert digit_words("de") is None


@pytest.mark.parametrize("language", sorted(DIGIT_WORDS))
def test_given_any_language_then_it_names_every_digit_and_no_word_means_two_digits(language: str) -> None:
    table = DIGIT_WORDS[language]
    words = [word for spoken in table.values() for word in spoken]

    assert sorted(table) == list("0123456789")
    assert all(table[digit] for digit in table)
    assert len(words) == len(set(words))
