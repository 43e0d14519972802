"""Evaluating branch conditions against a run's attributes and the business-hours check."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

from gateway.ivr._model import AttributeCondition, Condition, HoursCondition, Operator

__all__ = ["IsOpen", "holds"]

IsOpen = Callable[[str, datetime], bool]
"""`is_open(hours_name, now)`: whether the named business-hours set is open at `now`."""


def holds(condition: Condition, attributes: Mapping[str, str], now: datetime, is_open: IsOpen) -> bool:
    if isinstance(condition, HoursCondition):
        return is_open(condition.hours, now) == condition.open
    return _compare(condition, attributes.get(condition.attribute))


def _compare(condition: AttributeCondition, value: str | None) -> bool:
    operand = condition.operand
    if condition.operator is Operator.EXISTS:
        return (value is not None) == operand
    if value is None:
        return False
    if condition.operator is Operator.EQUALS:
        return value == operand
    if condition.operator is Operator.IN:
        return isinstance(operand, tuple) and value in operand
    if condition.operator is Operator.MATCHES:
        return isinstance(operand, re.Pattern) and operand.search(value) is not None
    return _compare_number(condition.operator, value, operand)


def _compare_number(operator: Operator, value: str, operand: object) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False  # a non-numeric attribute is neither greater nor less than anything
    if not isinstance(operand, float):
        return False
    return number > operand if operator is Operator.GT else number < operand
