"""Gathering DTMF digits for one `CollectDigits` action: terminator, maximum length and time-out.

Pure: the caller of `DigitBuffer` owns the clock. It says when to (re)arm the time-out, and what the
result is once the entry is complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.ivr import CollectDigits, DigitsCollected, NoInput

__all__ = ["DigitBuffer"]


@dataclass(slots=True)
class DigitBuffer:
    """Digits keyed so far for `ask`; `feed` returns the input for the flow once the entry is complete.

    The time-out runs from the end of the prompt, and again from each digit (an inter-digit time-out).
    """

    ask: CollectDigits
    digits: list[str] = field(default_factory=list)

    def feed(self, digit: str) -> DigitsCollected | None:
        self.digits.append(digit)
        if self.ask.terminator is not None and digit == self.ask.terminator:
            return DigitsCollected("".join(self.digits))
        if len(self.digits) >= self.ask.max_digits:
            return DigitsCollected("".join(self.digits))
        return None

    def expire(self) -> DigitsCollected | NoInput:
        """The time-out ran out: what was keyed so far, or no input at all."""
        return DigitsCollected("".join(self.digits)) if self.digits else NoInput()

    @property
    def timeout(self) -> float:
        return self.ask.timeout_seconds
