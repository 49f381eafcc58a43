#!/usr/bin/env bash
# A ClickHouse cluster on one machine for csat's cluster mode (CSAT_CLICKHOUSE_CLUSTER) and its
# tests: ZooKeeper from Debian's `zookeeper` package and two Debian clickhouse-server processes
# per layout (started with scripts/clickhouse.sh and a config.d drop-in). Idempotent.
#
#   scripts/cluster.sh up [replicas|shards|all]     install when missing, start (default all)
#   scripts/cluster.sh down [replicas|shards|all]   stop the layout's servers (all: ZooKeeper too)
#   scripts/cluster.sh down zookeeper                stop ZooKeeper only
#   scripts/cluster.sh status [replicas|shards|all]
#   scripts/cluster.sh crash LAYOUT N                kill -9 server N (1 or 2) of LAYOUT (tests)
#   scripts/cluster.sh start-node LAYOUT N           start server N of LAYOUT again
#
# Layouts (both can run at once; they share ZooKeeper but not their servers):
#   replicas  cluster csat_replicas: one shard, two replicas
#             server 1 tcp 9101 http 8201 interserver 9201; server 2 tcp 9102 http 8202 interserver 9202
#   shards    cluster csat_shards: two shards, one replica each
#             server 1 tcp 9111 http 8211 interserver 9211; server 2 tcp 9112 http 8212 interserver 9212
# Each server has the macros {shard} and {replica} that csat's ReplicatedMergeTree paths use
# ('/clickhouse/tables/{shard}/<db>/<table>'); shard values carry the layout's name so that the two
# layouts never share a ZooKeeper path.
#
# Settings (environment): CSAT_STATE_DIR (default ./.state), CSAT_ZK_PORT (default 2182).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
state=${CSAT_STATE_DIR:-$here/.state}
zkport=${CSAT_ZK_PORT:-2182}
zkdir=$state/zookeeper
chscript=$here/scripts/clickhouse.sh

log() { printf 'cluster: %s\n' "$*" >&2; }

zk_install() {
	if [ -f /usr/share/java/zookeeper.jar ]; then return 0; fi
	log "installing Debian's zookeeper"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq zookeeper >/dev/null
}

zk_ready() {
	# ZooKeeper's "srvr" four-letter word (whitelisted in our zoo.cfg) over bash's /dev/tcp: it
	# names the server's mode only once the server serves requests. ("ruok" answers imok
	# earlier, while sessions are still refused: ClickHouse 18.16 started then crashed in its
	# ZooKeeper client.)
	local ans
	ans=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$zkport && printf srvr >&3 && cat <&3" 2>/dev/null || true)
	case $ans in *"Mode: "*) return 0 ;; esac
	return 1
}

zk_start() {
	zk_install
	command -v java >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }
	if zk_ready; then return 0; fi
	"$here/scripts/statefs.sh" ensure
	mkdir -p "$zkdir/data" "$zkdir/log"
	cat >"$zkdir/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$zkdir/data
clientPort=$zkport
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,stat,srvr
autopurge.purgeInterval=1
EOF
	local cp="$zkdir:/usr/share/java/zookeeper.jar"
	[ -f /usr/share/java/slf4j-simple.jar ] && cp="$cp:/usr/share/java/slf4j-simple.jar"
	log "starting zookeeper on 127.0.0.1:$zkport, data in $zkdir"
	# No process left running may hold the caller's pipes: all output to the log, input /dev/null.
	(cd "$zkdir" && exec java -Xms64m -Xmx256m -cp "$cp" -Dzookeeper.admin.enableServer=false \
		org.apache.zookeeper.server.quorum.QuorumPeerMain "$zkdir/zoo.cfg") </dev/null >"$zkdir/log/zookeeper.log" 2>&1 &
	echo $! >"$zkdir/zookeeper.pid"
	for _ in $(seq 1 60); do
		if zk_ready; then log "zookeeper ready"; return 0; fi
		sleep 0.5
	done
	log "zookeeper did not become ready; last log lines:"
	tail -n 30 "$zkdir/log/zookeeper.log" >&2 || true
	return 1
}

# zk_pid prints the pid of our ZooKeeper: the recorded one, else the process started with our zoo.cfg.
zk_pid() {
	local p
	p=$(cat "$zkdir/zookeeper.pid" 2>/dev/null || true)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "$p"; return 0; fi
	pgrep -f -- "QuorumPeerMain $zkdir/zoo.cfg( |\$)" | head -n 1 || true
}

zk_stop() {
	local pid
	pid=$(zk_pid)
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$zkdir/zookeeper.pid"
	log "zookeeper stopped"
}

# node LAYOUT N sets name, tcp, http, inter, cluster, shard, replica for server N of LAYOUT.
node() {
	local layout=$1 n=$2
	case "$n" in 1 | 2) ;; *) log "server number $n: want 1 or 2"; exit 2 ;; esac
	case "$layout" in
	replicas)
		name=ch-replicas-$n tcp=$((9100 + n)) http=$((8200 + n)) inter=$((9200 + n))
		cluster=csat_replicas shard=replicas-01 replica=r$n
		;;
	shards)
		name=ch-shards-$n tcp=$((9110 + n)) http=$((8210 + n)) inter=$((9210 + n))
		cluster=csat_shards shard=shards-0$n replica=r1
		;;
	*) log "unknown layout $layout: want replicas or shards"; exit 2 ;;
	esac
}

remote_servers() {
	case "$1" in
	replicas)
		cat <<EOF
            <shard>
                <internal_replication>true</internal_replication>
                <replica><host>127.0.0.1</host><port>9101</port></replica>
                <replica><host>127.0.0.1</host><port>9102</port></replica>
            </shard>
EOF
		;;
	shards)
		cat <<EOF
            <shard>
                <internal_replication>true</internal_replication>
                <replica><host>127.0.0.1</host><port>9111</port></replica>
            </shard>
            <shard>
                <internal_replication>true</internal_replication>
                <replica><host>127.0.0.1</host><port>9112</port></replica>
            </shard>
EOF
		;;
	esac
}

# dropin LAYOUT N writes server N's config.d/cluster.xml (read by clickhouse-server from the
# config.d folder beside its config.xml).
dropin() {
	local layout=$1
	node "$@"
	mkdir -p "$state/$name/config.d"
	cat >"$state/$name/config.d/cluster.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by scripts/cluster.sh: layout $layout, server $2. -->
<yandex>
    <remote_servers>
        <$cluster>
$(remote_servers "$layout")
        </$cluster>
    </remote_servers>
    <zookeeper>
        <node><host>127.0.0.1</host><port>$zkport</port></node>
        <session_timeout_ms>10000</session_timeout_ms>
    </zookeeper>
    <macros>
        <cluster>$cluster</cluster>
        <shard>$shard</shard>
        <replica>$replica</replica>
    </macros>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl_$cluster</path>
    </distributed_ddl>
    <interserver_http_host>127.0.0.1</interserver_http_host>
</yandex>
EOF
	# csat's queries use IN/JOIN subqueries over Distributed tables: have the server make them
	# GLOBAL (chdb.Open checks this setting in cluster mode; docs/design/cluster.md).
	mkdir -p "$state/$name/users.d"
	cat >"$state/$name/users.d/csat.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by scripts/cluster.sh. -->
<yandex>
    <profiles>
        <default>
            <distributed_product_mode>global</distributed_product_mode>
        </default>
    </profiles>
</yandex>
EOF
}

start_node() {
	dropin "$1" "$2"
	CH_NAME=$name CH_TCP_PORT=$tcp CH_HTTP_PORT=$http CH_INTERSERVER_PORT=$inter "$chscript" start
	# Ready means a ZooKeeper session too: ClickHouse 18.16 answers queries before its session is
	# up, and an ON CLUSTER query in that window crashes it (segfault in ZooKeeper::createImpl).
	for _ in $(seq 1 120); do
		if curl -fsS "http://127.0.0.1:$http/" --data-binary "SELECT count() FROM system.zookeeper WHERE path = '/'" >/dev/null 2>&1; then
			log "$name has a zookeeper session"
			return 0
		fi
		sleep 0.5
	done
	log "$name has no zookeeper session after 60 s; last log lines:"
	tail -n 20 "$state/$name/log/clickhouse-server.err.log" >&2 || true
	return 1
}

stop_node() {
	node "$1" "$2"
	CH_NAME=$name CH_TCP_PORT=$tcp CH_HTTP_PORT=$http CH_INTERSERVER_PORT=$inter "$chscript" stop
}

crash_node() {
	node "$1" "$2"
	local pid
	pid=$(CH_NAME=$name CH_TCP_PORT=$tcp CH_HTTP_PORT=$http "$chscript" pid)
	if [ -z "$pid" ]; then log "$name is not running"; return 1; fi
	kill -9 "$pid"
	for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$state/$name/clickhouse.pid"
	log "$name killed (kill -9 $pid)"
}

status_node() {
	node "$1" "$2"
	if curl -fsS "http://127.0.0.1:$http/ping" 2>/dev/null | grep -q Ok; then
		echo "cluster: $name up on tcp $tcp ($cluster, shard $shard, replica $replica)"
	else
		echo "cluster: $name down"
		return 1
	fi
}

layouts() {
	case "${1:-all}" in
	all) echo replicas shards ;;
	replicas | shards) echo "$1" ;;
	*) log "unknown layout $1: want replicas, shards or all"; exit 2 ;;
	esac
}

cmd=${1:-}
case "$cmd" in
up)
	command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
	"$chscript" install
	zk_start
	for l in $(layouts "${2:-all}"); do start_node "$l" 1; start_node "$l" 2; done
	;;
down)
	if [ "${2:-all}" = zookeeper ]; then zk_stop; exit 0; fi
	for l in $(layouts "${2:-all}"); do stop_node "$l" 1 || true; stop_node "$l" 2 || true; done
	if [ "${2:-all}" = all ]; then zk_stop; fi
	;;
status)
	rc=0
	if zk_ready; then echo "cluster: zookeeper up on 127.0.0.1:$zkport"; else echo "cluster: zookeeper down"; rc=1; fi
	for l in $(layouts "${2:-all}"); do status_node "$l" 1 || rc=1; status_node "$l" 2 || rc=1; done
	exit $rc
	;;
crash) crash_node "${2:?layout}" "${3:?server number}" ;;
start-node)
	zk_start
	start_node "${2:?layout}" "${3:?server number}"
	;;
*)
	echo "usage: $0 up|down|status [replicas|shards|all] | down zookeeper | crash|start-node LAYOUT N" >&2
	exit 2
	;;
esac
