"""The voice tests' pjsua2 phone (tests/integration/voice/phone.py) with an agent who picks up when told.

    python -m tests.integration.panel.desk_phone <phone.py's options>

Calls to its `--answer` users ring until the process gets SIGUSR1, then are answered (and so is every
later call): a test can look at the agent's panel while the phone rings, for as long as it needs.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from tests.integration.voice import phone

__all__ = ["main"]

_picked_up = False


def _pick_up(signum: int, frame: FrameType | None) -> None:
    global _picked_up
    _picked_up = True


class _DeskPhone(phone.Phone):
    def answer_due(self) -> None:
        if _picked_up:
            self.pending_answers = [(0.0, call_id) for _, call_id in self.pending_answers]
        super().answer_due()


def main() -> int:
    phone.ANSWER_AFTER = float("inf")  # ring until picked up
    phone.Phone = _DeskPhone  # type: ignore[misc]
    signal.signal(signal.SIGUSR1, _pick_up)
    return phone.main()


if __name__ == "__main__":
    sys.exit(main())
