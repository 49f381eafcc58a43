"""Serves a current ClickHouse release (the engine embedded in PyPI's chdb-core) on the network.

    python clickhouse-current.py DIR

DIR holds config.xml (<listen_host>, <tcp_port>, <http_port>; written by
scripts/clickhouse-current.sh); the databases live in DIR/data. The process serves the native
protocol and HTTP until it is killed (SIGTERM), and exits non-zero with the engine's message when
the listeners cannot start (a port in use, say).

How: the embedded engine is ClickHouse's clickhouse-local, which reads ./config.xml and has the
server's TCP and HTTP handlers. `SYSTEM START LISTEN` opens them; they live while a query runs, so
the same call then runs a query that sleeps for ever (one row a second of 10^9; `sum`, because
`count()` skips the sleeps and spins). chdb's public connect() refuses to start listeners, so this
uses the library's low-level query call, which is undocumented: scripts/clickhouse-current.sh pins
the chdb-core version, and scripts/clickhouse_current_test.go checks this file against it.
"""

import os
import sys

SERVE = (
    "SYSTEM START LISTEN TCP; SYSTEM START LISTEN HTTP; "
    "SELECT sum(sleepEachRow(1)) FROM numbers(1000000000) "
    "SETTINGS max_block_size = 1, function_sleep_max_microseconds_per_block = 0"
)


def main(argv):
    if len(argv) != 2:
        print("usage: clickhouse-current.py DIR", file=sys.stderr)
        return 2
    work = os.path.abspath(argv[1])
    import chdb  # changes directory while it loads: chdir afterwards
    from chdb import _chdb

    os.chdir(work)
    print("clickhouse-current: chdb-core %s, ClickHouse %s, folder %s"
          % (chdb.__version__, chdb.engine_version, work), flush=True)
    res = _chdb.query(SERVE, "CSV", path=os.path.join(work, "data"))
    if res.has_error():
        print("clickhouse-current: %s" % res.error_message().strip(), file=sys.stderr, flush=True)
        return 1
    print("clickhouse-current: the serving query ended", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
