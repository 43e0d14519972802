"""Parsers for the routing verbs: branch (conditions), lookup (CTI) and queue (hand-off to the ACD)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from gateway.acd.specs import SkillRequirement
from gateway.ivr._model import (
    HANGUP,
    NEXT,
    Announcements,
    AttributeCondition,
    Branch,
    BranchRule,
    Condition,
    HoursCondition,
    Lookup,
    LookupBy,
    Operator,
    Queue,
)
from gateway.ivr._parse_verbs import scalar_text
from gateway.ivr._reader import (
    Props,
    Scope,
    describe,
    index,
    known_queue,
    read_name,
    read_pattern,
    read_text,
)
from gateway.ivr._targets import did_you_mean

__all__ = ["parse_branch", "parse_lookup", "parse_queue"]

_OPERATORS = tuple(op.value for op in Operator)
_SUBJECTS = ("attribute", "caller", "business_hours")


def parse_branch(scope: Scope, value: object, path: str) -> Branch | None:
    props = Props.of(scope, value, path, allowed=("when", "default"), required=("when",))
    if props is None:
        return None
    rules_raw, rules_path = props.get("when"), props.path("when")
    if not isinstance(rules_raw, list) or not rules_raw:
        if props.has("when"):
            scope.error(rules_path, f"expected a list of conditions, got {describe(rules_raw)}")
        return None
    rules = [_rule(scope, raw, index(rules_path, i)) for i, raw in enumerate(rules_raw)]
    default = props.target("default", NEXT)
    kept = tuple(rule for rule in rules if rule is not None)
    return Branch(kept, default) if len(kept) == len(rules) else None


def _rule(scope: Scope, value: object, path: str) -> BranchRule | None:
    if not isinstance(value, Mapping):
        scope.error(
            path,
            f"expected a condition such as {{attribute: tier, equals: gold, goto: vip}}, "
            f"got {describe(value)}",
        )
        return None
    subjects = [key for key in _SUBJECTS if key in value]
    if len(subjects) != 1:
        scope.error(path, "expected exactly one of 'attribute', 'caller' or 'business_hours'")
        return None
    condition = _condition(scope, subjects[0], value, path)
    target = scope.target(value["goto"], f"{path}.goto") if "goto" in value else None
    if "goto" not in value:
        scope.error(path, "missing property 'goto'")
    return BranchRule(condition, target) if condition and target else None


def _condition(scope: Scope, subject: str, value: Mapping[object, object], path: str) -> Condition | None:
    if subject == "business_hours":
        props = Props(scope, value, path, allowed=("business_hours", "is", "goto"), required=("is",))
        return _hours(scope, props)
    if subject == "caller":
        Props(scope, value, path, allowed=("caller", "goto"))
        inner = Props.of(scope, value["caller"], f"{path}.caller", allowed=_OPERATORS)
        operation = _operation(scope, inner) if inner else None
        return AttributeCondition("caller", *operation) if operation else None
    props = Props(scope, value, path, allowed=("attribute", "goto", *_OPERATORS))
    name = read_name(scope, value["attribute"], props.path("attribute"))
    operation = _operation(scope, props)
    return AttributeCondition(name, *operation) if name and operation else None


def _hours(scope: Scope, props: Props) -> HoursCondition | None:
    name = read_text(scope, props.get("business_hours"), props.path("business_hours"))
    if name is not None and name not in scope.business_hours:
        hint = did_you_mean(name, scope.business_hours)
        scope.error(props.path("business_hours"), f"unknown business hours {name!r}{hint}")
        name = None
    state = props.get("is")
    if state not in ("open", "closed"):
        if state is not None:
            scope.error(props.path("is"), f"expected 'open' or 'closed', got {describe(state)}")
        return None
    return HoursCondition(name, state == "open") if name else None


Operation = tuple[Operator, str | float | bool | tuple[str, ...] | re.Pattern[str]]


def _operation(scope: Scope, props: Props) -> Operation | None:
    present = [op for op in Operator if op.value in props.raw]
    if len(present) != 1:
        scope.error(props.where, f"expected exactly one operator: {', '.join(_OPERATORS)}")
        return None
    operator = present[0]
    operand = _operand(scope, operator, props.get(operator.value), props.path(operator.value))
    return (operator, operand) if operand is not None else None


def _operand(
    scope: Scope, operator: Operator, value: object, path: str
) -> str | float | bool | tuple[str, ...] | re.Pattern[str] | None:
    if operator is Operator.EQUALS:
        text = scalar_text(value)
        if text is None:
            scope.error(path, f"expected text, a number or true/false, got {describe(value)}")
        return text
    if operator is Operator.IN:
        items = [scalar_text(v) for v in value] if isinstance(value, list) else []
        if not items or None in items:
            scope.error(path, f"expected a non-empty list of values, got {describe(value)}")
            return None
        return tuple(item for item in items if item is not None)
    if operator is Operator.MATCHES:
        return read_pattern(scope, value, path)
    if operator is Operator.EXISTS:
        if not isinstance(value, bool):
            scope.error(path, f"expected true or false, got {describe(value)}")
            return None
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        scope.error(path, f"expected a number, got {describe(value)}")
        return None
    return float(value)


def parse_lookup(scope: Scope, value: object, path: str) -> Lookup | None:
    """`lookup` / `lookup: caller` / `lookup: {by: attribute, attribute: account_number}`."""
    if value is None or value == "caller":
        return Lookup()
    props = Props.of(scope, value, path, allowed=("by", "attribute"))
    if props is None:
        return None
    by = props.get("by") or "caller"
    if by not in ("caller", "attribute"):
        scope.error(props.path("by"), f"expected 'caller' or 'attribute', got {describe(by)}")
        return None
    if by == "caller":
        if props.has("attribute"):
            scope.error(props.path("attribute"), "only with 'by: attribute'")
        return Lookup()
    if not props.has("attribute"):
        scope.error(path, "missing property 'attribute' (the attribute holding the customer key)")
        return None
    name = props.name("attribute")
    return Lookup(LookupBy.ATTRIBUTE, name) if name else None


_QUEUE_KEYS = (
    "queue",
    "priority",
    "skills",
    "announcements",
    "music_on_hold",
    "allow_callback",
    "allow_voicemail",
    "on_callback",
    "on_voicemail",
    "on_exit",
)


def parse_queue(scope: Scope, value: object, path: str) -> Queue | None:
    if not isinstance(value, Mapping):
        name = known_queue(scope, value, path)
        return Queue(name) if name else None
    props = Props(scope, value, path, allowed=_QUEUE_KEYS, required=("queue",))
    name = known_queue(scope, props.get("queue"), props.path("queue")) if props.has("queue") else None
    callback, voicemail = props.digit("allow_callback"), props.digit("allow_voicemail")
    if callback and callback == voicemail:
        scope.error(props.path("allow_voicemail"), f"digit {callback!r} is already allow_callback")
    music = props.optional_text("music_on_hold")
    if music and not music.lower().endswith(".wav"):
        scope.error(props.path("music_on_hold"), f"expected a .wav file, got {music!r}")
    queue = Queue(
        queue=name or "-",
        priority=props.integer("priority", 0, maximum=100),
        skills=_skills(scope, props.get("skills"), props.path("skills")),
        announcements=_announcements(scope, props.get("announcements"), props.path("announcements")),
        music_on_hold=music,
        allow_callback=callback,
        allow_voicemail=voicemail,
        on_callback=props.target("on_callback", HANGUP),
        on_voicemail=props.optional_target("on_voicemail"),
        on_exit=props.target("on_exit", HANGUP),
    )
    return queue if name else None


def _skills(scope: Scope, value: object, path: str) -> tuple[SkillRequirement, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        scope.error(path, f"expected a list of skills, got {describe(value)}")
        return ()
    skills = (_skill(scope, raw, index(path, i)) for i, raw in enumerate(value))
    return tuple(skill for skill in skills if skill is not None)


def _skill(scope: Scope, value: object, path: str) -> SkillRequirement | None:
    if not isinstance(value, Mapping):
        name = read_text(scope, value, path)
        return SkillRequirement(name) if name else None
    props = Props(scope, value, path, allowed=("skill", "min_level"), required=("skill",))
    name = props.text("skill")
    level = props.integer("min_level", 1, minimum=1, maximum=10)
    return SkillRequirement(name, level) if name else None


def _announcements(scope: Scope, value: object, path: str) -> Announcements | None:
    if value is False:
        return None
    props = Props.of(
        scope, {} if value is None else value, path, allowed=("position", "estimated_wait", "every")
    )
    if props is None:
        return Announcements()
    return Announcements(
        position=props.flag("position", True),
        estimated_wait=props.flag("estimated_wait", True),
        every_seconds=props.number("every", 60.0, maximum=3600),
    )
