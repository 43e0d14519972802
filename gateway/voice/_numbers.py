"""Phone numbers the gateway answers itself (`server.sip.numbers`: E.164 number -> IVR flow).

A call to one of them never leaves Helpline: dialled out (click-to-dial, a callback, a transfer) it goes
straight to a media worker instead of the trunk, and arriving (from a worker or through Kamailio) it runs
the number's flow instead of the entry flow. So a demo line can be called without any trunk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["OwnNumbers"]


class OwnNumbers:
    """`numbers` maps E.164 numbers to flow names; `worker_uri(user)` is a URI that reaches a media worker."""

    def __init__(
        self,
        numbers: Mapping[str, str],
        *,
        worker_uri: Callable[[str], str],
        trunk: Callable[[str], str] | None = None,
    ) -> None:
        self._flows = dict(numbers)
        self._worker_uri = worker_uri
        self._trunk = trunk

    def flows(self) -> frozenset[str]:
        return frozenset(self._flows.values())

    def flow_for(self, dialled: str) -> str | None:
        """The flow of a dialled number (with or without its `+`), or None when it is not one of ours."""
        return self._flows.get(_with_plus(dialled))

    def dial_uri(self, number: str) -> str | None:
        """Where a call to `number` goes: ours to a worker, any other through the trunk (or nowhere)."""
        if self.flow_for(number) is not None:
            return self._worker_uri(_with_plus(number))
        return self._trunk(number) if self._trunk is not None else None


def _with_plus(number: str) -> str:
    return number if number.startswith("+") else "+" + number
