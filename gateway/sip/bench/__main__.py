"""`python -m gateway.sip.bench`: the same as `helpline bench sip`."""

from __future__ import annotations

import sys

from gateway.sip.bench import main

__all__: list[str] = []

sys.exit(main())
