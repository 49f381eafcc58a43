#!/usr/bin/env bash
# Installs, when missing, the Debian packages the test suite uses besides ClickHouse and Kafka:
# promtool and amtool (Prometheus rule and Alertmanager config tests), Chromium (the dashboard's
# browser test), ZooKeeper (the ClickHouse cluster tests), CJK fonts (readable screenshots).
set -euo pipefail
need=()
command -v curl >/dev/null || need+=(curl)
command -v promtool >/dev/null || need+=(prometheus)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
command -v chromium >/dev/null || need+=(chromium)
[ -d /usr/share/zookeeper ] || need+=(zookeeper)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
	echo "test-deps: installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's prometheus package starts a server on install where an init system runs; the tests
# only need promtool.
