"""The dialogue a transcript is built from: turns, talk/silence/overtalk, keyword hits, redaction."""

from __future__ import annotations

import pytest

from gateway.speech._dialogue import Leg, Word, build_transcript, redact


def words(text: str, start: float, step: float = 0.5) -> tuple[Word, ...]:
    return tuple(Word(w, start + i * step, start + i * step + 0.4) for i, w in enumerate(text.split()))


CALLER = Leg(
    "caller",
    words("주문 을 취소 하고 싶어요", 0.5) + words("카드 번호 는 일 이 삼 사 오 육 입니다", 6.0),
    ((0.5, 3.0), (6.0, 11.0)),
    14.0,
)
AGENT = Leg("agent", words("네 고객 님 확인 하겠습니다", 3.5), ((3.5, 6.5), (12.0, 13.0)), 14.0)


def test_given_two_legs_when_merged_then_turns_alternate_in_time_order_with_digits_redacted() -> None:
    t = build_transcript([CALLER, AGENT], {})
    assert [(x.speaker, x.start) for x in t.turns] == [
        ("caller", 0.5),
        ("agent", 3.5),
        ("caller", 6.0),
        ("agent", 12.0),
    ]
    assert t.turns[2].text == "카드 번호 는 [redacted] 입니다"
    assert "일 이 삼" not in t.text()


def test_given_the_layout_when_measured_then_talk_silence_and_overtalk_are_those_of_the_timeline() -> None:
    t = build_transcript([CALLER, AGENT], {})
    caller, agent = t.sides
    assert caller.talk_seconds == pytest.approx(7.5) and agent.talk_seconds == pytest.approx(4.0)
    # silent: 0-0.5, 3.0-3.5, 11.0-12.0, 13.0-14.0
    assert t.silence_seconds == pytest.approx(3.0) and t.longest_silence == pytest.approx(1.0)
    assert t.silence_share == pytest.approx(3.0 / 14.0)
    assert (t.overtalk_count, t.overtalk_seconds) == (1, pytest.approx(0.5))  # 6.0-6.5
    assert caller.words_per_minute == pytest.approx(15 / 7.5 * 60)


def test_given_keyword_categories_when_spoken_then_each_hit_has_its_speaker_and_time() -> None:
    t = build_transcript([CALLER, AGENT], {"cancel": ["취소"], "identity": ["카드 번호"], "none": ["환불"]})
    assert [(h.category, h.speaker, h.at) for h in t.keyword_hits] == [
        ("cancel", "caller", 1.5),
        ("identity", "caller", 6.0),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card is 4111 1111 1111 1111 thanks", "my card is [redacted] thanks"),
        ("one two three four five", "[redacted]"),
        ("room 12 floor 3", "room 12 floor 3"),  # short runs are not numbers worth hiding
        ("이 일 은 중요 해요", "이 일 은 중요 해요"),  # Korean words that are also digits, but only two
        ("번호 는 여덟 넷 공 이 예요", "번호 는 [redacted] 예요"),  # native and Sino-Korean digits mixed
        ("four oh seven two", "[redacted]"),
    ],
)
def test_given_digit_runs_when_redacted_then_only_runs_of_four_digits_or_more_go(
    text: str, expected: str
) -> None:
    assert " ".join(redact(words(text, 0.0))) == expected
