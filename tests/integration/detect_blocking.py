"""`python -m tests.integration.detect_blocking serve ...`: the `helpline` command with blockbuster on, so
that a blocking call on the server's event loop raises there (and the test sees the 500 or the log line).

The product does not import blockbuster, a test-only library: the servers the integration tests start go
through this launcher instead.
"""

from __future__ import annotations

import sys

from blockbuster import blockbuster_ctx

from gateway.cli import main as helpline

__all__ = ["main"]


def main() -> int:
    with blockbuster_ctx() as detector:
        # asyncpg reads ~/.pgpass and client certificates while connecting: once per connection.
        for function in detector.functions.values():
            function.can_block_in("asyncpg/connect_utils.py", "_parse_connect_dsn_and_args")
        return helpline(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
