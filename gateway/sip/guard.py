"""Entry point of a media worker's SIP guard: `python -m gateway.sip.guard --host 127.0.0.1 --port 5080 ...`.

Started by its media worker, not by hand (see `gateway.sip._guard`).
"""

from __future__ import annotations

import sys

from gateway.sip._guard import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
