"""`python -m bench.sip`: the same as `helpline bench sip`."""

from __future__ import annotations

import sys

from bench.sip import main

__all__: list[str] = []

sys.exit(main())
