"""Helpline's benchmarks, outside the product packages: `helpline bench routing|sip|pop` loads them lazily.

`routing` (the pure routing core's decisions per second and latency), `sip` (concurrent calls through
Kamailio and the media workers, against SIPp), `pop` (offer to screen pop rendered in Chromium). They may
use test-only libraries (Playwright, from the `test` extra); `gateway` and `cti_adapter` never import them.
"""

from __future__ import annotations

__all__: list[str] = []
