#!/usr/bin/env bash
# Installs (when missing) and starts, or stops, the services csat's tests and demo need on this
# machine: ClickHouse (Debian's clickhouse-server 18.16), a current ClickHouse release (26.9, from
# PyPI's chdb-core: scripts/clickhouse-current.sh) and Apache Kafka 4.1 (KRaft, jars via Maven).
#   scripts/services.sh up|down|status
#
# down stops everything the scripts can start from this state folder (CSAT_STATE_DIR, default
# ./.state): the cluster's servers and ZooKeeper (scripts/cluster.sh), any other service script
# listed in `stoppers`, Kafka and ClickHouse. Each is stopped even when another fails; then any
# ClickHouse, ZooKeeper or Kafka process still running from the state folder (a pid file lost, a
# server started by hand from a script's config) is stopped too, and down fails if one survives.
# A new service script joins by adding its stop command to `stoppers` (and its start to `up`).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${CSAT_STATE_DIR:-$(dirname "$here")/.state}

# stoppers: "script arguments", in stop order; a script that does not exist is skipped.
stoppers=(
	"cluster.sh down all"
	"clickhouse-current.sh stop"
	"kafka.sh stop"
	"clickhouse.sh stop"
)

log() { printf 'services: %s\n' "$*" >&2; }

# strays prints the pids of ClickHouse, ZooKeeper and Kafka servers whose command line names a
# file in the state folder.
strays() {
	local f pid args
	grep -lzF -- "$state/" /proc/[0-9]*/cmdline 2>/dev/null | while IFS= read -r f; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		args=$( { tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
		[[ $args =~ (clickhouse[-\ ]server|clickhouse-current\.py|QuorumPeerMain|kafka\.Kafka)\  ]] && echo "$pid"
	done
}

down() {
	local rc=0 s script pids
	for s in "${stoppers[@]}"; do
		script=${s%% *}
		[ -x "$here/$script" ] || continue
		# shellcheck disable=SC2086 # the arguments are words
		"$here/$script" ${s#* } || { log "$s failed"; rc=1; }
	done
	pids=$(strays)
	if [ -n "$pids" ]; then
		log "still running from $state, stopping:"
		# shellcheck disable=SC2086
		ps -o pid=,args= -p "$(echo $pids | tr ' ' ,)" | sed 's/^/  /' >&2
		# shellcheck disable=SC2086
		kill $pids 2>/dev/null
		for _ in $(seq 1 60); do [ -z "$(strays)" ] && break; sleep 0.5; done
		pids=$(strays)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -9 $pids 2>/dev/null
		sleep 0.5
		[ -z "$(strays)" ] || { log "could not stop: $(strays | tr '\n' ' ')"; rc=1; }
	fi
	return $rc
}

case "${1:-}" in
up)
	set -e
	command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
	"$here/clickhouse.sh" start
	"$here/clickhouse-current.sh" start
	"$here/kafka.sh" start
	;;
down) down ;;
status)
	"$here/clickhouse.sh" status
	"$here/clickhouse-current.sh" status
	"$here/kafka.sh" status
	"$here/cluster.sh" status 2>/dev/null | grep -v ' down$'
	true
	;;
*) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
