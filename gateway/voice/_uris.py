"""Reading SIP URIs as the worker reports them (`"Name" <sip:user@host>;tag=...`)."""

from __future__ import annotations

__all__ = ["address_of", "user_of"]


def address_of(uri: str) -> str:
    """The bare URI: `"Caller" <sip:1001@h:5060>;tag=x` -> `sip:1001@h:5060`."""
    if "<" in uri and ">" in uri:
        return uri[uri.index("<") + 1 : uri.index(">")]
    return uri.split(";", 1)[0].strip()


def user_of(uri: str) -> str:
    """The user part (the caller's number or name): `sip:+4420@h` -> `+4420`; the host if there is none."""
    address = address_of(uri)
    _, _, rest = address.partition(":")
    user = rest.partition("@")[0]  # without "@", the whole rest (the host)
    return user.split(";", 1)[0]
