"""Parsers for the caller-facing verbs: say, play, menu, collect, set, voicemail, transfer, hangup, goto.

Each takes the value written after the verb (`- say: Hello` gives "Hello"), the path of that value and
the Scope, and returns the verb or None once the problems are recorded. A parser reads every property
even after a fatal one (standing in placeholders such as "-") so one pass reports every mistake; any
recorded mistake fails the whole parse, so a placeholder never reaches a Flow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from gateway.ivr._digit_words import DIGIT_WORDS, digit_words
from gateway.ivr._model import (
    HANGUP,
    Collect,
    Goto,
    Hangup,
    Menu,
    MenuOption,
    Play,
    Prompt,
    Say,
    SetAttributes,
    SpokenValue,
    Transfer,
    Voicemail,
)
from gateway.ivr._reader import (
    Props,
    Scope,
    child,
    describe,
    known_queue,
    read_digit,
    read_name,
    read_text,
)

__all__ = [
    "READ_ONLY_ATTRIBUTES",
    "parse_collect",
    "parse_goto",
    "parse_hangup",
    "parse_menu",
    "parse_play",
    "parse_prompt",
    "parse_say",
    "parse_set",
    "parse_transfer",
    "parse_voicemail",
    "scalar_text",
]

READ_ONLY_ATTRIBUTES = frozenset({"caller", "called"})
_SIP_URI = re.compile(
    r"^sips?:(?:[^@\s;?]+@)?"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>\d{1,5}))?(?:;[^;?\s]+)*(?:\?\S+)?$"
)


def scalar_text(value: object) -> str | None:
    """A YAML scalar as attribute text (`true`, `42`, `1.5`, `abc`); None for lists, mappings, null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def parse_say(scope: Scope, value: object, path: str) -> Say | None:
    if not isinstance(value, Mapping):
        text = read_text(scope, value, path)
        return Say(text) if text else None
    props = Props(scope, value, path, allowed=("text", "voice", "language"), required=("text",))
    text = props.text("text")
    return Say(text, props.optional_text("voice"), props.optional_text("language")) if text else None


def _wav(scope: Scope, value: object, path: str) -> str | None:
    file = read_text(scope, value, path)
    if file is not None and not file.lower().endswith(".wav"):
        scope.error(path, f"expected a .wav file, got {file!r}")
        return None
    return file


def parse_play(scope: Scope, value: object, path: str) -> Play | None:
    if isinstance(value, Mapping):
        props = Props(scope, value, path, allowed=("file",), required=("file",))
        value, path = props.get("file"), props.path("file")
        if value is None:
            return None
    file = _wav(scope, value, path)
    return Play(file) if file else None


def parse_prompt(scope: Scope, value: object, path: str) -> Prompt | None:
    """`"text"`, `{say: text, voice: ..., language: ...}` or `{play: file.wav}`."""
    if not isinstance(value, Mapping):
        return parse_say(scope, value, path)
    props = Props(scope, value, path, allowed=("say", "play", "voice", "language"))
    if props.has("say") == props.has("play"):
        scope.error(path, "expected exactly one of 'say' or 'play'")
        return None
    if props.has("play"):
        return parse_play(scope, props.get("play"), props.path("play"))
    text = props.text("say")
    return Say(text, props.optional_text("voice"), props.optional_text("language")) if text else None


def _optional_prompt(scope: Scope, props: Props, key: str) -> Prompt | None:
    return parse_prompt(scope, props.get(key), props.path(key)) if props.has(key) else None


_MENU_KEYS = (
    "prompt",
    "options",
    "timeout",
    "retries",
    "on_invalid",
    "on_no_input",
    "invalid_prompt",
    "no_input_prompt",
)


def parse_menu(scope: Scope, value: object, path: str) -> Menu | None:
    props = Props.of(scope, value, path, allowed=_MENU_KEYS, required=("prompt", "options"))
    if props is None:
        return None
    prompt = _optional_prompt(scope, props, "prompt")
    options = _menu_options(scope, props.get("options"), props.path("options"))
    menu = Menu(
        prompt=prompt or Say("-"),
        options=options,
        timeout_seconds=props.number("timeout", 5.0, maximum=120),
        retries=props.integer("retries", 2, maximum=10),
        on_invalid=props.target("on_invalid", HANGUP),
        on_no_input=props.target("on_no_input", HANGUP),
        invalid_prompt=_optional_prompt(scope, props, "invalid_prompt"),
        no_input_prompt=_optional_prompt(scope, props, "no_input_prompt"),
    )
    return menu if prompt and options else None


def _menu_options(scope: Scope, value: object, path: str) -> tuple[MenuOption, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not value:
        scope.error(path, f"expected a mapping of digit to target, got {describe(value)}")
        return ()
    options: dict[str, MenuOption] = {}
    for key, spec in value.items():
        where = f"{path}[{str(key)!r}]" if isinstance(key, int) else child(path, key)
        digit = read_digit(scope, key, where)
        option = _menu_option(scope, digit, spec, where)
        if digit in options:
            scope.error(where, f"digit {digit!r} is listed twice")
        elif option is not None and digit is not None:
            options[digit] = option
    return tuple(options.values())


def _menu_option(scope: Scope, digit: str | None, spec: object, path: str) -> MenuOption | None:
    if not isinstance(spec, Mapping):
        target = scope.target(spec, path)
        return MenuOption(digit, target) if digit and target else None
    props = Props(scope, spec, path, allowed=("goto", "speech"), required=("goto",))
    target = props.optional_target("goto")
    speech = _keywords(scope, props.get("speech"), props.path("speech"))
    return MenuOption(digit, target, speech) if digit and target else None


def _keywords(scope: Scope, value: object, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    words = [value] if isinstance(value, str) else value
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        scope.error(path, f"expected a keyword or a list of keywords, got {describe(value)}")
        return ()
    return tuple(w.strip().lower() for w in words)


_DIGITS = "digits"  # `speech: digits`
_COLLECT_KEYS = (
    "attribute",
    "prompt",
    "min_length",
    "max_length",
    "terminator",
    "pattern",
    "timeout",
    "retries",
    "sensitive",
    "on_failure",
    "invalid_prompt",
    "speech",
)


def parse_collect(scope: Scope, value: object, path: str) -> Collect | None:
    props = Props.of(scope, value, path, allowed=_COLLECT_KEYS, required=("attribute", "prompt"))
    if props is None:
        return None
    attribute = _writable(scope, props.get("attribute"), props.path("attribute"))
    prompt = _optional_prompt(scope, props, "prompt")
    speech = props.get("speech")
    min_length = props.integer("min_length", 1, minimum=1, maximum=64)
    max_length = props.integer("max_length", max(20, min_length), minimum=1, maximum=64)
    if min_length > max_length:
        message = f"min_length {min_length} is greater than max_length {max_length}"
        scope.error(props.path("min_length"), message)
    collect = Collect(
        attribute=attribute or "-",
        prompt=prompt or Say("-"),
        min_length=min_length,
        max_length=max_length,
        terminator=_terminator(scope, props),
        pattern=props.pattern("pattern"),
        timeout_seconds=props.number("timeout", 5.0, maximum=120),
        retries=props.integer("retries", 2, maximum=10),
        sensitive=props.flag("sensitive", False),
        on_failure=props.target("on_failure", HANGUP),
        invalid_prompt=_optional_prompt(scope, props, "invalid_prompt"),
        speech=_spoken_values(scope, speech, props.path("speech")) if speech != _DIGITS else (),
        spoken_digits=_spoken_digits(scope, props.path("speech")) if speech == _DIGITS else (),
    )
    if speech is not None and collect.sensitive:
        scope.error(props.path("speech"), "a sensitive collect takes DTMF only (nothing it hears is kept)")
    return collect if attribute and prompt else None


def _spoken_values(scope: Scope, value: object, path: str) -> tuple[SpokenValue, ...]:
    """`{'1': [yes, yeah], '2': no}`: what the caller may say instead of keying each value."""
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not value:
        expected = f"expected {_DIGITS!r} or a mapping of value to keywords"
        scope.error(path, f"{expected}, got {describe(value)}")
        return ()
    spoken = []
    for key, words in value.items():
        where = child(path, str(key))
        entry = str(key)
        if not entry or not all(c.isdigit() or c in "*#" for c in entry):
            scope.error(where, f"expected digits to enter, got {describe(key)}")
            continue
        spoken.append(SpokenValue(entry, _keywords(scope, words, where)))
    return tuple(spoken)


def _spoken_digits(scope: Scope, path: str) -> tuple[SpokenValue, ...]:
    """`speech: digits`: the number may be said, digit by digit, in the language callers speak."""
    words = digit_words(scope.language)
    if words is None:
        known = ", ".join(sorted(DIGIT_WORDS))
        scope.error(path, f"no digit words for speech.language {scope.language!r} (known: {known})")
        return ()
    return tuple(SpokenValue(digit, spoken) for digit, spoken in words.items())


def _terminator(scope: Scope, props: Props) -> str | None:
    value = props.get("terminator")
    if value is None:
        return "#"
    if value is False:
        return None
    if value not in ("#", "*"):
        scope.error(props.path("terminator"), f"expected '#', '*' or false, got {describe(value)}")
        return "#"
    return str(value)


def _writable(scope: Scope, value: object, path: str) -> str | None:
    name = read_name(scope, value, path)
    if name in READ_ONLY_ATTRIBUTES:
        scope.error(path, f"attribute {name!r} is set by the call and cannot be changed")
        return None
    return name


def parse_set(scope: Scope, value: object, path: str) -> SetAttributes | None:
    if not isinstance(value, Mapping) or not value:
        scope.error(path, f"expected a mapping of attribute to value, got {describe(value)}")
        return None
    values: list[tuple[str, str]] = []
    for key, raw in value.items():
        where = child(path, key)
        name, text = _writable(scope, key, where), scalar_text(raw)
        if text is None:
            scope.error(where, f"expected text, a number or true/false, got {describe(raw)}")
        if name and text is not None:
            values.append((name, text))
    return SetAttributes(tuple(values)) if len(values) == len(value) else None


def parse_voicemail(scope: Scope, value: object, path: str) -> Voicemail | None:
    allowed = ("prompt", "max_seconds", "beep", "queue")
    props = Props.of(scope, {} if value is None else value, path, allowed=allowed)
    if props is None:
        return None
    queue = props.get("queue")
    if queue is not None and known_queue(scope, queue, props.path("queue")) is None:
        return None
    return Voicemail(
        prompt=_optional_prompt(scope, props, "prompt"),
        max_seconds=props.number("max_seconds", 120.0, maximum=3600),
        beep=props.flag("beep", True),
        queue=str(queue) if queue is not None else None,
    )


def parse_transfer(scope: Scope, value: object, path: str) -> Transfer | None:
    props = None
    if isinstance(value, Mapping):
        props = Props(scope, value, path, allowed=("uri", "on_failure"), required=("uri",))
        value, path = props.get("uri"), props.path("uri")
        if value is None:
            return None
    uri = read_text(scope, value, path)
    if uri is None:
        return None
    if not _valid_sip_uri(uri):
        scope.error(path, f"invalid SIP URI {uri!r}: expected sip:user@host[:port] or sips:...")
        return None
    return Transfer(uri, props.target("on_failure", HANGUP) if props else HANGUP)


def _valid_sip_uri(uri: str) -> bool:
    match = _SIP_URI.match(uri)
    return match is not None and int(match.group("port") or 0) <= 65535


def parse_hangup(scope: Scope, value: object, path: str) -> Hangup | None:
    if value is None:
        return Hangup()
    if isinstance(value, Mapping):
        props = Props(scope, value, path, allowed=("reason",))
        return Hangup(props.text("reason", "flow"))
    reason = read_text(scope, value, path)
    return Hangup(reason) if reason else None


def parse_goto(scope: Scope, value: object, path: str) -> Goto | None:
    target = scope.target(value, path)
    return Goto(target) if target else None
