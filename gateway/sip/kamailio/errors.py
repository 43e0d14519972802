"""Errors of the Kamailio front.

KamailioError               base (a `SipError`) of every error raised by gateway.sip.kamailio
  KamailioConfigError       `kamailio -c` rejected the generated configuration (carries kamailio's output)
  KamailioStartError        kamailio exited or did not answer on its SIP port in time (carries its output)
  KamailioRpcError          kamailio did not answer an RPC call, or answered it with an error
"""

from __future__ import annotations

from pathlib import Path

from gateway.sip.errors import SipError

__all__ = ["KamailioConfigError", "KamailioError", "KamailioRpcError", "KamailioStartError"]


class KamailioError(SipError):
    pass


class KamailioConfigError(KamailioError):
    def __init__(self, config_path: Path, output: str) -> None:
        self.config_path = config_path
        self.output = output
        super().__init__(f"kamailio rejected the generated configuration {config_path}:\n{output}")


class KamailioStartError(KamailioError):
    def __init__(self, message: str, *, output: str = "", exit_code: int | None = None) -> None:
        self.output = output
        self.exit_code = exit_code
        super().__init__(f"{message}\n{output}" if output else message)


class KamailioRpcError(KamailioError):
    pass
