#!/usr/bin/env bash
# A current ClickHouse release beside Debian's 18.16, for the tests' second pass (make test) and
# for trying csat on it: ClickHouse 26.9 as embedded in PyPI's chdb-core (pinned below),
# installed in a project-owned Python virtual environment and served on its own ports by
# scripts/clickhouse-current.py. Idempotent.
#   scripts/clickhouse-current.sh install|installed|start|stop|status|pid
# Settings (environment): CSAT_STATE_DIR (default ./.state), CH_CURRENT_TCP_PORT (9300),
# CH_CURRENT_HTTP_PORT (8300), CH_CURRENT_DIR (the instance's folder, default
# <state>/clickhouse-current), CH_CURRENT_VENV (the virtual environment, default <state>/chdb-venv).
#
# It is ClickHouse's embedded engine (clickhouse-local with the server's protocol handlers), not
# the server program: one user (default, no password), no system.query_log, no clusters, no
# ZooKeeper. docs/design/clickhouse-compat.md says what csat needs of it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
state=${CSAT_STATE_DIR:-$here/.state}
version=26.9.0 # chdb-core; the launcher uses an undocumented call: change only with its test
venv=${CH_CURRENT_VENV:-$state/chdb-venv}
dir=${CH_CURRENT_DIR:-$state/clickhouse-current}
tcp=${CH_CURRENT_TCP_PORT:-9300}
http=${CH_CURRENT_HTTP_PORT:-8300}

log() { printf 'clickhouse-current: %s\n' "$*" >&2; }

installed() {
	[ -x "$venv/bin/python" ] &&
		[ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("chdb-core"))' 2>/dev/null)" = "$version" ]
}

install() {
	# The state folder first: a virtual environment made before statefs.sh mounts its image
	# there would be hidden by the mount.
	"$here/scripts/statefs.sh" ensure
	if installed; then return 0; fi
	if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
		log "installing Debian's python3 and python3-venv"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq python3 python3-venv >/dev/null
	fi
	log "installing chdb-core $version (ClickHouse 26.9, ~180 MB) into $venv"
	rm -rf "$venv"
	python3 -m venv "$venv"
	# --no-deps: serving needs neither pandas nor pyarrow.
	"$venv/bin/python" -m pip install -q --no-deps "chdb-core==$version"
	installed || { log "chdb-core $version did not install into $venv"; return 1; }
}

ready() { curl -fsS "http://127.0.0.1:$http/ping" 2>/dev/null | grep -q Ok; }

# pid prints the pid of this instance's launcher: the recorded one, when it still runs.
pid() {
	local p
	p=$(cat "$dir/clickhouse.pid" 2>/dev/null || true)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "$p"; fi
}

start() {
	install
	if ready; then log "already running on tcp $tcp (http $http)"; return 0; fi
	mkdir -p "$dir/data" "$dir/log"
	cat >"$dir/config.xml" <<EOF
<clickhouse>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$tcp</tcp_port>
    <http_port>$http</http_port>
</clickhouse>
EOF
	log "starting ClickHouse 26.9 (chdb-core $version) on tcp $tcp (http $http), data in $dir/data"
	# Output to the log and input from /dev/null: no process left running holds the caller's pipes.
	nohup "$venv/bin/python" "$here/scripts/clickhouse-current.py" "$dir" </dev/null >"$dir/log/stdout.log" 2>&1 &
	local p=$!
	echo "$p" >"$dir/clickhouse.pid"
	for _ in $(seq 1 120); do
		if ready; then log "ready"; return 0; fi
		kill -0 "$p" 2>/dev/null || break
		sleep 0.5
	done
	log "did not become ready; last log lines:"
	tail -n 20 "$dir/log/stdout.log" >&2 || true
	stop
	return 1
}

stop() {
	local p
	p=$(pid)
	if [ -n "$p" ]; then
		kill "$p" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
		kill -9 "$p" 2>/dev/null || true
	fi
	rm -f "$dir/clickhouse.pid"
	log "stopped"
}

status() {
	if ready; then echo "clickhouse-current: up on tcp $tcp (http $http)"; else echo "clickhouse-current: down"; return 1; fi
}

case "${1:-}" in
install) install ;;
installed) installed || { echo "chdb-core $version is not installed in $venv"; exit 1; } ;;
start) start ;;
stop) stop ;;
status) status ;;
pid) pid ;;
*) echo "usage: $0 install|installed|start|stop|status|pid" >&2; exit 2 ;;
esac
