#!/usr/bin/env bash
# ClickHouse for development and CI: Debian's clickhouse-server, run with a project-owned config
# and data folder. Idempotent.
#   scripts/clickhouse.sh install|start|stop|status|pid
# Settings (environment): CSAT_STATE_DIR (default ./.state), CH_TCP_PORT (9000), CH_HTTP_PORT (8123),
# CH_NAME (instance name, default "clickhouse": a folder under the state dir).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
state=${CSAT_STATE_DIR:-$here/.state}
name=${CH_NAME:-clickhouse}
dir=$state/$name
tcp=${CH_TCP_PORT:-9000}
http=${CH_HTTP_PORT:-8123}
inter=${CH_INTERSERVER_PORT:-$((http + 1000))}

log() { printf 'clickhouse: %s\n' "$*" >&2; }

install() {
	if [ -x /usr/sbin/clickhouse-server ] && command -v clickhouse-client >/dev/null; then return 0; fi
	log "installing Debian's clickhouse-server"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
}

ready() { curl -fsS "http://127.0.0.1:$http/ping" 2>/dev/null | grep -q Ok; }

start() {
	install
	if ready; then log "already running on tcp $tcp (http $http)"; return 0; fi
	"$here/scripts/statefs.sh" ensure
	mkdir -p "$dir"/{data,tmp,user_files,format_schemas,log}
	sed -e "s#<tcp_port>9000</tcp_port>#<tcp_port>$tcp</tcp_port>#" \
		-e "s#<http_port>8123</http_port>#<http_port>$http</http_port>#" \
		-e "s#<interserver_http_port>9009</interserver_http_port>#<interserver_http_port>$inter</interserver_http_port>#" \
		-e "s#<path>/var/lib/clickhouse/</path>#<path>$dir/data/</path>#" \
		-e "s#<tmp_path>/var/lib/clickhouse/tmp/</tmp_path>#<tmp_path>$dir/tmp/</tmp_path>#" \
		-e "s#<user_files_path>/var/lib/clickhouse/user_files/</user_files_path>#<user_files_path>$dir/user_files/</user_files_path>#" \
		-e "s#<format_schema_path>/var/lib/clickhouse/format_schemas/</format_schema_path>#<format_schema_path>$dir/format_schemas/</format_schema_path>#" \
		-e "s#/var/log/clickhouse-server/#$dir/log/#g" \
		-e "s#<listen_host>::1</listen_host>##" \
		/etc/clickhouse-server/config.xml >"$dir/config.xml"
	# Extra config (cluster definitions, ZooKeeper, macros) may be dropped into $dir/config.d by
	# other scripts (scripts/cluster.sh): clickhouse-server merges config.d/*.xml beside its config.
	mkdir -p "$dir/config.d"
	cp /etc/clickhouse-server/users.xml "$dir/users.xml"
	sed -i -e "s#<users_config>users.xml</users_config>#<users_config>$dir/users.xml</users_config>#" "$dir/config.xml"
	log "starting on tcp $tcp (http $http), data in $dir"
	# The whole subshell's output goes to the log and its input is /dev/null, so that no process
	# left running holds the caller's pipes (a caller reading our output would wait forever).
	(cd "$dir" && exec nohup /usr/sbin/clickhouse-server --config-file="$dir/config.xml" --pid-file="$dir/clickhouse.pid") \
		</dev/null >"$dir/log/stdout.log" 2>&1 &
	# 18.16 does not write --pid-file when not daemonized: record the pid ourselves (exec: $! is the server).
	echo $! >"$dir/clickhouse.pid"
	for _ in $(seq 1 120); do
		if ready; then log "ready"; return 0; fi
		sleep 0.5
	done
	log "did not become ready; last log lines:"
	tail -n 30 "$dir/log/clickhouse-server.err.log" "$dir/log/stdout.log" >&2 || true
	return 1
}

# pid prints the pid of this instance's server: the recorded one, else the process started with
# this instance's config file.
pid() {
	local p
	p=$(cat "$dir/clickhouse.pid" 2>/dev/null || true)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "$p"; return 0; fi
	pgrep -f -- "--config-file=$dir/config.xml( |\$)" | head -n 1 || true
}

stop() {
	pid=$(pid)
	if [ -n "$pid" ]; then
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
			kill -9 "$pid" 2>/dev/null || true
		fi
		rm -f "$dir/clickhouse.pid"
	fi
	log "stopped"
}

status() { if ready; then echo "clickhouse: up on tcp $tcp"; else echo "clickhouse: down"; return 1; fi; }

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status) status ;;
pid) pid ;;
*) echo "usage: $0 install|start|stop|status|pid" >&2; exit 2 ;;
esac
