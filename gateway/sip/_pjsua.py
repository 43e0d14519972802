"""The one place that imports pjsua2 (which has no type stubs): typed helpers over the untyped binding.

Only the media worker process imports this module; the gateway process never loads pjsua2.
"""

from __future__ import annotations

import ctypes
from typing import Any

import pjsua2 as pj  # type: ignore[import-untyped, unused-ignore]  # pjsua2 ships no stubs

from gateway.sip._protocol import CallState, DtmfMethod

__all__ = [
    "PjError",
    "call_op",
    "call_state",
    "describe",
    "dtmf_method",
    "ioqueue_name",
    "library_version",
    "max_call_slots",
    "media_is_usable",
    "pj",
]

PjError: type[Exception] = pj.Error

_STATES = {
    pj.PJSIP_INV_STATE_CALLING: CallState.CALLING,
    pj.PJSIP_INV_STATE_INCOMING: CallState.INCOMING,
    pj.PJSIP_INV_STATE_EARLY: CallState.EARLY,
    pj.PJSIP_INV_STATE_CONNECTING: CallState.CONNECTING,
    pj.PJSIP_INV_STATE_CONFIRMED: CallState.CONFIRMED,
    pj.PJSIP_INV_STATE_DISCONNECTED: CallState.DISCONNECTED,
}
_USABLE_MEDIA = {pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD}


def max_call_slots() -> int:
    """The call slots the library really has: `UaConfig.maxCalls` after pjsua capped it at build limits.

    pjsua2 has no read-back, so this asks pjsua's C API (exported by the wheel's extension module).
    Valid only after `libInit`.
    """
    library = ctypes.CDLL(pj._pjsua2.__file__)
    library.pjsua_call_get_max_count.restype = ctypes.c_uint
    return int(library.pjsua_call_get_max_count())


def ioqueue_name() -> str:
    """The I/O queue pjlib was built with ("select" or "epoll"); valid before `libInit`."""
    library = ctypes.CDLL(pj._pjsua2.__file__)
    library.pj_ioqueue_name.restype = ctypes.c_char_p
    return bytes(library.pj_ioqueue_name()).decode()


def library_version() -> str:
    return str(pj.Endpoint.instance().libVersion().full)


def call_state(pj_state: int) -> CallState | None:
    return _STATES.get(pj_state)


def dtmf_method(pj_method: int) -> DtmfMethod:
    return DtmfMethod.SIP_INFO if pj_method == pj.PJSUA_DTMF_METHOD_SIP_INFO else DtmfMethod.RFC4733


def media_is_usable(pj_status: int) -> bool:
    return pj_status in _USABLE_MEDIA


def call_op(*, code: int = 0, reason: str = "", headers: tuple[tuple[str, str], ...] = ()) -> Any:
    """A `CallOpParam` with a status code, a reason phrase and extra SIP headers."""
    prm = pj.CallOpParam(True)
    if code:
        prm.statusCode = code
    if reason:
        prm.reason = reason
    for name, value in headers:
        header = pj.SipHeader()
        header.hName = name
        header.hValue = value
        prm.txOption.headers.append(header)
    return prm


def describe(error: Exception) -> str:
    """A one-line message for a pjsua2 error (its `info()`), or the exception text otherwise."""
    info = getattr(error, "info", None)
    return str(info()) if callable(info) else str(error)
