"""SIP benchmark (`helpline bench sip`): the most concurrent calls the media workers carry with 0 failures.

Two scenarios, SIPp always the caller (through Kamailio when it is installed, else to a single worker):

- `ivr` (default), per call: the bench's controller answers (`Answer`) and plays a prompt (`Play`) as long
  as the listening phase; the caller listens for `hold - 3` s, keys 1, 5, # by RFC 4733 500 ms apart and
  hangs up 2 s after the last digit. A success: SIPp saw the scenario go as written and the controller got
  exactly the digits 1 5 # before the BYE.
- `bridged`, per session: the caller is answered and recorded, an agent leg is dialled in the same worker
  to a SIPp UAS standing in for agents' phones, recorded and bridged to the caller; either hang-up ends
  both. A success: SIPp's call went as written, both legs connected, both recordings and their stereo mix
  exist and carry sound.

Anything else (SIPp failure, call never finished, worker refusal or restart, command error) is a failure.
The search steps N upward (doubling, then bisecting after the first failure) within a time budget; each
step runs SIPp with `-l N -r R -m total` and measures the CPU time and memory of the workers and Kamailio
(see `_bench` for exactly what is counted). At the largest N with 0 failures, the same caller runs against
a SIPp UAS (answers, plays `g711a.pcap`, waits for the BYE) as the baseline; the report gives the ratio.
`--worker-python` runs the workers on another interpreter (another venv with another pjsua2 wheel): the
bench learns the call limit from what a worker reports. Every process started here is stopped before
`main` returns.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict

from bench.sip._bridged import BridgedController, loudness
from bench.sip._ivr import IvrController
from bench.sip._options import BenchOptions, parse_options
from bench.sip._report import BenchReport, StepResult, format_table
from bench.sip._run import run
from bench.sip._scenarios import Scenario
from bench.sip._sipp import read_stats
from gateway.sip.kamailio import KamailioError

__all__ = [
    "BenchOptions",
    "BenchReport",
    "BridgedController",
    "IvrController",
    "Scenario",
    "StepResult",
    "loudness",
    "main",
    "read_stats",
    "run",
]


async def _run_cancellable(options: BenchOptions) -> BenchReport:
    """`run`, cancelled (so every process is cleaned up) on SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        return await run(options)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        report = asyncio.run(_run_cancellable(options))
    except asyncio.CancelledError:
        print("helpline bench sip: interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, TimeoutError, KamailioError) as exc:
        print(f"helpline bench sip: {exc}", file=sys.stderr)
        return 1
    if options.as_json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print(format_table(report))
    return 0 if report.best is not None else 1
