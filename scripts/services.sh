#!/usr/bin/env bash
# Installs (when missing) and starts, or stops, the services csat's tests and demo need on this
# machine: ClickHouse (Debian's clickhouse-server) and Apache Kafka 4.1 (KRaft, jars via Maven).
#   scripts/services.sh up|down|status
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
up)
	command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
	"$here/clickhouse.sh" start
	"$here/kafka.sh" start
	;;
down)
	"$here/kafka.sh" stop || true
	"$here/clickhouse.sh" stop || true
	;;
status)
	"$here/clickhouse.sh" status || true
	"$here/kafka.sh" status || true
	;;
*) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
