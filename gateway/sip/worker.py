"""Entry point of a media worker process: `python -m gateway.sip.worker --port 5080`."""

from __future__ import annotations

import sys

from gateway.sip._worker import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
