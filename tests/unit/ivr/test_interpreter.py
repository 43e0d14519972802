from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from gateway.acd.specs import SkillRequirement
from gateway.ivr import (
    DIGIT_WORDS,
    Action,
    CallerHungUp,
    CollectDigits,
    DigitsCollected,
    End,
    Flow,
    FlowRun,
    Goto,
    Hangup,
    LookupCustomer,
    LookupResult,
    MediaDone,
    NoInput,
    PauseRecording,
    Play,
    QueueExit,
    QueueExited,
    RecordVoicemail,
    ResumeRecording,
    RunFinishedError,
    Say,
    SpeechRecognized,
    StartQueue,
    Step,
    Target,
    TargetKind,
    TransferCall,
    TransferFailed,
    UnexpectedInputError,
    UnknownFlowError,
    parse_flows,
)
from tests.unit.ivr._fixtures import GOOD, parse_file

NOW = datetime(2024, 3, 4, 10, 30, tzinfo=UTC)  # a Monday morning
CALLER = "+15551234567"
FRONT_DESK = TransferCall("sip:frontdesk@pbx.example.com:5060;transport=tcp")


@pytest.fixture(scope="module")
def flows() -> Mapping[str, Flow]:
    return parse_file(next(p for p in GOOD if p.stem == "main_menu"))


class Hours:
    """The business-hours check the gateway injects: here, a fixed set of open calendars."""

    def __init__(self, *open_sets: str) -> None:
        self.open_sets = set(open_sets)
        self.asked: list[tuple[str, datetime]] = []

    def __call__(self, name: str, now: datetime) -> bool:
        self.asked.append((name, now))
        return name in self.open_sets


def _run(
    flows: Mapping[str, Flow],
    start: str = "main",
    *,
    caller: str = CALLER,
    open_: bool = True,
    hours: Hours | None = None,
) -> FlowRun:
    check = hours or (Hours("office") if open_ else Hours())
    return FlowRun(flows, start, caller=caller, called="+15550001111", now=NOW, is_open=check)


def _to_main_menu(run: FlowRun, customer: Mapping[str, str] | None = None) -> Action:
    assert run.start() == Play("prompts/welcome.wav")
    assert run.feed(MediaDone()) == LookupCustomer("caller", run.attributes["caller"])
    menu = run.feed(LookupResult(customer or {}))
    assert isinstance(menu, CollectDigits) and menu.max_digits == 1
    return menu


def _digit_press(run: FlowRun, digits: str) -> Action:
    return run.feed(DigitsCollected(digits))


# Menus ---------------------------------------------------------------------------------------------


def test_given_office_open_when_caller_presses_2_then_support_queue_with_its_priority(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows)
    _to_main_menu(run)

    action = _digit_press(run, "2")

    assert isinstance(action, StartQueue)
    assert (action.queue, action.priority, action.skills) == ("support", 3, (SkillRequirement("support"),))
    assert action.allow_voicemail == "*" and action.announcements is not None
    assert [str(h) for h in run.history if h.verb == "menu"] == ["main[3] menu chose '2'"]


def test_given_main_menu_when_caller_says_help_then_speech_keyword_picks_support(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows)
    menu = _to_main_menu(run)
    assert isinstance(menu, CollectDigits) and "help" in menu.speech

    action = run.feed(SpeechRecognized("I need help with my router"))

    assert isinstance(action, StartQueue) and action.queue == "support"


def test_given_menu_when_caller_presses_invalid_digits_until_retries_run_out_then_on_invalid(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows)
    _to_main_menu(run)

    assert _digit_press(run, "7") == Say("Sorry, that is not a valid choice.")
    assert isinstance(run.feed(MediaDone()), CollectDigits)
    assert _digit_press(run, "8") == Say("Sorry, that is not a valid choice.")
    assert isinstance(run.feed(MediaDone()), CollectDigits)

    assert _digit_press(run, "5") == FRONT_DESK
    assert [h.value for h in run.history if h.event == "invalid_input"] == ["7", "8", "5"]


def test_given_one_retry_when_invalid_digit_twice_then_on_invalid_label_is_followed() -> None:
    flows = parse_flows(
        {
            "main": [
                {"menu": {"prompt": "Press 1", "options": {"1": "done"}, "retries": 1, "on_invalid": "oops"}},
                {"id": "done", "hangup": "done"},
                {"id": "oops", "say": "Let me get someone for you."},
                {"transfer": "sip:operator@example.com"},
            ]
        },
        queues=set(),
        business_hours=set(),
    )
    run = _run(flows)
    run.start()

    assert isinstance(_digit_press(run, "4"), CollectDigits)  # no invalid_prompt: the menu replays
    assert _digit_press(run, "4") == Say("Let me get someone for you.")
    assert run.feed(MediaDone()) == TransferCall("sip:operator@example.com")


def test_given_menu_when_caller_stays_silent_then_retried_then_hung_up(flows: Mapping[str, Flow]) -> None:
    run = _run(flows)
    _to_main_menu(run)

    for _ in range(2):
        assert run.feed(NoInput()) == Say("Sorry, I did not hear a choice.")
        assert isinstance(run.feed(MediaDone()), CollectDigits)
    action = run.feed(NoInput())

    assert action == Hangup("no_input")
    assert run.finished
    assert [h.event for h in run.history if h.verb == "menu"] == ["no_input"] * 3


def test_given_menu_when_caller_presses_repeat_then_the_menu_is_replayed_with_fresh_retries(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows)
    menu = _to_main_menu(run)
    _digit_press(run, "6")  # invalid
    run.feed(MediaDone())

    again = _digit_press(run, "9")

    assert again == menu
    assert run.feed(NoInput()) == Say("Sorry, I did not hear a choice.")  # retries counted afresh


# Collect -------------------------------------------------------------------------------------------


def test_given_sensitive_collect_when_account_number_entered_then_recording_paused_around_it(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows, "billing")

    assert run.start() == PauseRecording()
    ask = run.feed(MediaDone())
    assert isinstance(ask, CollectDigits)
    assert (ask.min_digits, ask.max_digits, ask.terminator, ask.sensitive) == (8, 8, "#", True)
    assert _digit_press(run, "12345678#") == ResumeRecording()
    assert run.feed(MediaDone()) == LookupCustomer("account_number", "12345678")

    assert run.attributes["account_number"] == "12345678"
    assert run.sensitive_attributes == {"account_number"}
    assert [(h.event, h.value) for h in run.history if h.verb == "collect"] == [("collected", "********")]


def test_given_collect_when_entry_too_short_then_caller_is_told_and_asked_again(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows, "billing")
    run.start()
    run.feed(MediaDone())

    assert _digit_press(run, "123#") == Say("That account number is not valid.")
    assert isinstance(run.feed(MediaDone()), CollectDigits)
    assert _digit_press(run, "87654321") == ResumeRecording()

    assert run.attributes["account_number"] == "87654321"
    assert [h.event for h in run.history if h.verb == "collect"] == ["rejected", "collected"]


def test_given_collect_when_every_attempt_fails_then_recording_resumes_and_on_failure_follows(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows, "billing")
    run.start()
    run.feed(MediaDone())
    for _ in range(2):
        run.feed(NoInput())
        run.feed(MediaDone())

    assert run.feed(DigitsCollected("12ab5678")) == ResumeRecording()
    assert run.feed(MediaDone()) == FRONT_DESK
    assert "account_number" not in run.attributes


def test_given_billing_when_account_entered_then_queue_gets_ivr_attributes_and_announcements(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows, "billing")
    run.start()
    run.feed(MediaDone())
    _digit_press(run, "12345678")
    run.feed(MediaDone())

    action = run.feed(LookupResult({"name": "Ada", "tier": "gold"}))

    assert isinstance(action, StartQueue)
    assert (action.queue, action.priority, action.music_on_hold) == ("billing", 5, "moh/default.wav")
    assert action.skills == (SkillRequirement("billing"), SkillRequirement("english", 2))
    assert action.announcements is not None and action.announcements.every_seconds == 45
    assert (action.allow_callback, action.allow_voicemail) == ("1", "2")
    assert {k: action.attributes[k] for k in ("account_number", "customer.name", "reason")} == {
        "account_number": "12345678",
        "customer.name": "Ada",
        "reason": "billing",
    }


# Branch and lookup ---------------------------------------------------------------------------------


def test_given_office_closed_when_caller_calls_then_voicemail_then_goodbye(flows: Mapping[str, Flow]) -> None:
    hours = Hours()
    run = _run(flows, hours=hours)
    run.start()
    run.feed(MediaDone())

    assert run.feed(LookupResult({})) == Say("Our office is closed. Please leave a message after the tone.")
    record = run.feed(MediaDone())
    assert isinstance(record, RecordVoicemail) and (record.max_seconds, record.beep) == (180, True)
    assert run.feed(MediaDone()) == Say("Thank you, goodbye.")
    assert run.feed(MediaDone()) == Hangup("after_hours")
    assert hours.asked == [("office", NOW)]


def test_given_lookup_says_premium_when_office_open_then_premium_queue_with_raised_priority(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows)
    run.start()
    run.feed(MediaDone())

    greeting = run.feed(LookupResult({"tier": "premium", "name": "Grace"}))
    action = run.feed(MediaDone())

    assert isinstance(greeting, Say) and greeting.voice == "en-us+f3"
    assert isinstance(action, StartQueue)
    assert (action.queue, action.priority, action.skills) == (
        "premium",
        50,
        (SkillRequirement("premium", 3),),
    )
    assert run.attributes["customer.tier"] == "premium" and run.attributes["customer.found"] == "true"


def test_given_unknown_caller_when_lookup_returns_nothing_then_customer_found_is_false(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows)
    _to_main_menu(run, {})

    assert run.attributes["customer.found"] == "false"
    assert "customer.tier" not in run.attributes


def test_given_french_caller_when_support_chosen_then_language_is_set_to_french(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows, caller="+33123456789")
    _to_main_menu(run)

    action = _digit_press(run, "2")

    assert isinstance(action, StartQueue) and action.attributes["language"] == "fr"
    assert [h.value for h in run.history if h.verb == "branch"] == ["next", "support.support_fr"]


def test_given_conditions_flow_when_code_is_above_threshold_then_vip_queue() -> None:
    flows = parse_file(next(p for p in GOOD if p.stem == "conditions"))
    run = _run(flows, hours=Hours("office"))
    run.start()

    action = _digit_press(run, "9500")

    assert isinstance(action, StartQueue) and (action.queue, action.priority) == ("vip", 100)


@pytest.mark.parametrize(
    ("caller", "code", "queue"),
    [("+15551230001", "5555", "vip"), ("+15550000000", "1234", "vip"), ("+15550000000", "5555", "general")],
)
def test_given_conditions_flow_when_caller_and_code_vary_then_first_matching_rule_wins(
    caller: str, code: str, queue: str
) -> None:
    flows = parse_file(next(p for p in GOOD if p.stem == "conditions"))
    run = _run(flows, caller=caller, hours=Hours("office"))
    run.start()

    action = _digit_press(run, code)

    assert isinstance(action, StartQueue) and action.queue == queue


# Queue exits, transfer, end of the call ------------------------------------------------------------


def test_given_queued_caller_when_agent_answers_then_the_run_ends(flows: Mapping[str, Flow]) -> None:
    run = _run(flows, "sales")
    run.start()

    assert run.feed(QueueExited(QueueExit.ANSWERED)) == End("answered")
    assert run.finished
    with pytest.raises(RunFinishedError):
        run.feed(MediaDone())


def test_given_billing_queue_when_caller_asks_for_callback_then_confirmation_and_hangup(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows, "billing")
    run.start()
    run.feed(MediaDone())
    _digit_press(run, "12345678")
    run.feed(MediaDone())
    run.feed(LookupResult({}))

    assert run.feed(QueueExited(QueueExit.CALLBACK)) == Say(
        "We will call you back as soon as an agent is free. Goodbye."
    )
    assert run.feed(MediaDone()) == Hangup("callback")


def test_given_support_queue_when_caller_presses_voicemail_digit_then_default_voicemail(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows, "support")
    assert isinstance(run.start(), StartQueue)

    record = run.feed(QueueExited(QueueExit.VOICEMAIL))

    assert isinstance(record, RecordVoicemail) and record.prompt is None
    assert run.feed(MediaDone()) == Hangup("voicemail")


def test_given_premium_queue_when_it_gives_up_then_on_exit_transfers_to_front_desk(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows)
    run.start()
    run.feed(MediaDone())
    run.feed(LookupResult({"tier": "premium"}))
    run.feed(MediaDone())

    assert run.feed(QueueExited(QueueExit.GAVE_UP)) == FRONT_DESK
    assert run.feed(MediaDone()) == End("transferred")


def test_given_transfer_when_it_fails_then_caller_is_back_at_the_main_menu(flows: Mapping[str, Flow]) -> None:
    run = _run(flows)
    menu = _to_main_menu(run)
    assert _digit_press(run, "0") == FRONT_DESK

    assert run.feed(TransferFailed("486 Busy Here")) == menu
    assert ("transfer", "failed", "486 Busy Here") in [(h.verb, h.event, h.value) for h in run.history]


def test_given_any_step_when_caller_hangs_up_then_the_run_ends_at_once(flows: Mapping[str, Flow]) -> None:
    run = _run(flows)
    _to_main_menu(run)

    assert run.feed(CallerHungUp()) == End("caller_hangup")
    assert run.finished


def test_given_last_step_is_not_final_when_it_completes_then_the_call_is_hung_up() -> None:
    flows = parse_flows({"main": [{"say": "Hello"}]}, queues=set(), business_hours=set())
    run = _run(flows)
    run.start()

    assert run.feed(MediaDone()) == Hangup("end_of_flow")


# Driving the run wrongly ---------------------------------------------------------------------------


def test_given_run_waits_for_digits_when_fed_media_done_then_rejected_and_nothing_changes(
    flows: Mapping[str, Flow],
) -> None:
    run = _run(flows)
    _to_main_menu(run)

    with pytest.raises(UnexpectedInputError):
        run.feed(MediaDone())

    assert isinstance(_digit_press(run, "2"), StartQueue)


def test_given_unknown_start_flow_when_run_created_then_error_names_known_flows(
    flows: Mapping[str, Flow],
) -> None:
    with pytest.raises(UnknownFlowError, match=r"'nope'.*billing, main, sales, support"):
        _run(flows, "nope")


def test_given_flows_built_without_the_validator_when_they_loop_then_the_run_hangs_up() -> None:
    loop = Flow("main", (Step(Goto(Target(TargetKind.STEP, "main")), None),))
    run = FlowRun({"main": loop}, "main", caller=CALLER, now=NOW, is_open=Hours(), max_instant_steps=50)

    assert run.start() == Hangup("loop_detected")


def test_given_lookup_by_attribute_when_attribute_was_never_collected_then_no_lookup_is_asked() -> None:
    flows = parse_flows(
        {"main": [{"lookup": {"by": "attribute", "attribute": "account"}}, {"say": "Hello"}]},
        queues=set(),
        business_hours=set(),
    )
    run = _run(flows)

    assert run.start() == Say("Hello")
    assert run.attributes["customer.found"] == "false"


# Collect by voice ------------------------------------------------------------------------------------

YES_NO = {
    "main": [
        {
            "collect": {
                "attribute": "confirmed",
                "prompt": "Is this about your last order? Say yes or no, or press 1 or 2.",
                "max_length": 1,
                "retries": 1,
                "invalid_prompt": "Sorry.",
                "speech": {"1": ["yes", "yeah"], "2": ["no"]},
            }
        },
        {"set": {"asked": "yes"}},
    ]
}


def _yes_no() -> FlowRun:
    flows = parse_flows(YES_NO, queues=set(), business_hours=set(), path="flows")
    return FlowRun(flows, "main", caller=CALLER, now=NOW, is_open=Hours())


def test_given_a_spoken_yes_no_collect_when_the_caller_says_yeah_then_the_value_is_1() -> None:
    run = _yes_no()
    ask = run.start()
    assert isinstance(ask, CollectDigits) and ask.speech == ("yes", "yeah", "no") and not ask.number

    run.feed(SpeechRecognized("yeah"))

    assert run.attributes["confirmed"] == "1"
    assert run.history[-1].event == "collected"


def test_given_a_spoken_collect_when_the_caller_says_no_keyword_then_it_asks_again_and_takes_a_key() -> None:
    run = _yes_no()
    run.start()

    assert run.feed(SpeechRecognized("[unk]")) == Say("Sorry.")
    assert isinstance(run.feed(MediaDone()), CollectDigits)
    run.feed(DigitsCollected("2"))

    assert run.attributes["confirmed"] == "2"
    assert [(h.event, h.value) for h in run.history] == [("rejected", "[unk]"), ("collected", "2")]


ACCOUNT = {
    "main": [
        {
            "collect": {
                "attribute": "account",
                "prompt": "Your account number: key it, or say it digit by digit.",
                "min_length": 4,
                "max_length": 6,
                "retries": 2,
                "invalid_prompt": "Sorry.",
                "speech": "digits",
            }
        },
        {"set": {"asked": "yes"}},
    ]
}


def _account(language: str = "ko") -> FlowRun:
    flows = parse_flows(ACCOUNT, queues=set(), business_hours=set(), language=language)
    return FlowRun(flows, "main", caller=CALLER, now=NOW, is_open=Hours())


def test_given_a_spoken_digits_collect_then_the_recogniser_listens_for_the_languages_digit_words() -> None:
    ask = _account("ko").start()

    assert isinstance(ask, CollectDigits) and ask.number  # a pause between groups of digits is no end
    assert {"영", "공", "일", "하나", "구", "아홉"} <= set(ask.speech)
    assert len(ask.speech) == sum(len(words) for words in DIGIT_WORDS["ko"].values())
    english = _account("en-us").start()
    assert isinstance(english, CollectDigits) and "oh" in english.speech and "영" not in english.speech


def test_given_a_spoken_digits_collect_when_the_caller_says_a_number_then_it_is_the_attribute() -> None:
    run = _account()
    run.start()

    run.feed(SpeechRecognized("여덟 넷 여섯 셋 공"))

    assert run.attributes["account"] == "84630"
    assert [(h.event, h.value) for h in run.history] == [("collected", "84630")]


def test_given_a_spoken_digits_collect_when_too_few_or_unsure_digits_are_said_then_it_asks_again() -> None:
    run = _account()
    run.start()

    assert run.feed(SpeechRecognized("여덟 넷")) == Say("Sorry.")  # min_length 4
    run.feed(MediaDone())
    assert run.feed(SpeechRecognized("여덟 [unk] 여섯 셋 둘")) == Say("Sorry.")  # a digit not understood
    run.feed(MediaDone())
    assert run.feed(SpeechRecognized("일 이 삼 사 오 육 칠")) == Hangup("collect_failed")  # max_length 6

    assert "account" not in run.attributes
    assert [(h.event, h.value) for h in run.history] == [
        ("rejected", "84"),
        ("rejected", "여덟 [unk] 여섯 셋 둘"),
        ("rejected", "1234567"),
    ]


def test_given_a_spoken_digits_collect_when_the_caller_keys_the_number_then_dtmf_still_counts() -> None:
    run = _account()
    run.start()

    run.feed(DigitsCollected("2468#"))

    assert run.attributes["account"] == "2468"
