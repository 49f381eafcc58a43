#!/usr/bin/env bash
# Runs a command (the tests) and fails when a process it started is still running after it ends.
#   scripts/leftovers.sh run -- COMMAND [ARG...]   run COMMAND, then check (exit: COMMAND's status, else 1 on leftovers)
#   scripts/leftovers.sh list ID                   the processes still marked with run ID (pid, parent, age, command)
#
# The rule. A process was started by the run when its environment holds CSAT_TEST_RUN=<the run's
# id>: this script sets that variable for COMMAND only, and every process COMMAND starts, directly
# or through scripts (scripts/cluster.sh, scripts/clickhouse.sh, a test binary's children), inherits
# it, even after it is reparented to init as a daemonized server. Services that were already
# running when the run began (`make up`'s ClickHouse and Kafka, which `make test` starts before the
# tests; a cluster started by hand with scripts/cluster.sh up) do not carry the id and are not
# counted: `make down` stops those. A process that rewrites its own environment block could escape
# the rule; ClickHouse, ZooKeeper, Kafka and Go test binaries do not.
#
# After COMMAND ends, marked processes get CSAT_LEFTOVER_GRACE seconds (default 20) to exit; the
# ones still running are listed, stopped (SIGTERM, then SIGKILL after 10 s) and the run fails.
set -uo pipefail

log() { printf 'leftovers: %s\n' "$*" >&2; }

# marked ID prints the pids whose environment holds CSAT_TEST_RUN=ID (zombies and kernel threads
# have an empty environment; processes of other users are unreadable and skipped).
marked() {
	grep -lzx -- "CSAT_TEST_RUN=$1" /proc/[0-9]*/environ 2>/dev/null | sed -e 's#^/proc/##' -e 's#/environ$##'
}

list() {
	local pids
	pids=$(marked "$1" | paste -sd, -)
	[ -n "$pids" ] || return 0
	ps -o pid=,ppid=,etime=,args= -p "$pids" 2>/dev/null
}

# check ID waits out the grace period, then lists and stops what is left; it fails when something was.
check() {
	local id=$1 grace=${CSAT_LEFTOVER_GRACE:-20} left pids
	for _ in $(seq 1 $((grace * 2))); do
		[ -z "$(marked "$id")" ] && return 0
		sleep 0.5
	done
	left=$(list "$id")
	[ -n "$left" ] || return 0
	log "processes started by the run are still running $grace s after it ended:"
	printf '%s\n' "$left" | sed 's/^/  /' >&2
	pids=$(marked "$id")
	# shellcheck disable=SC2086 # one pid per word
	kill $pids 2>/dev/null
	for _ in $(seq 1 20); do
		[ -z "$(marked "$id")" ] && break
		sleep 0.5
	done
	pids=$(marked "$id")
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -9 $pids 2>/dev/null
	log "stopped them; every test must stop the processes it starts (t.Cleanup, TestMain)"
	return 1
}

run() {
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || { echo "usage: $0 run -- COMMAND [ARG...]" >&2; exit 2; }
	local id rc=0
	id=$(date +%s)-$$-$RANDOM
	# An interrupted run is checked too: the interrupt reaches COMMAND (same process group) and
	# this script goes on to the check once COMMAND has ended.
	trap ':' INT TERM
	CSAT_TEST_RUN=$id "$@" || rc=$?
	trap - INT TERM
	if ! check "$id" && [ "$rc" = 0 ]; then rc=1; fi
	exit "$rc"
}

case "${1:-}" in
run) shift; run "$@" ;;
list) list "${2:?run id}" ;;
*) echo "usage: $0 run -- COMMAND [ARG...] | list ID" >&2; exit 2 ;;
esac
