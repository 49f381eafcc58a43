#!/usr/bin/env bash
# Apache Kafka 4.1 (KRaft, single combined broker+controller) for development and CI, with its jars
# fetched by Maven from Maven Central into a cache folder. Idempotent.
#   scripts/kafka.sh install|start|stop|status|topics|pid
# Settings (environment): CSAT_STATE_DIR (default ./.state), KAFKA_PORT (9092),
# KAFKA_CONTROLLER_PORT (9093), KAFKA_PARTITIONS (partitions per csat topic, default 12).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
state=${CSAT_STATE_DIR:-$here/.state}
libs=$state/kafka-libs
dir=$state/kafka
port=${KAFKA_PORT:-9092}
cport=${KAFKA_CONTROLLER_PORT:-9093}
partitions=${KAFKA_PARTITIONS:-12}
topics=(csat.survey csat.hotline csat.store csat.complaint csat.churn csat.reference csat.assessment csat.dlq)

log() { printf 'kafka: %s\n' "$*" >&2; }

install() {
	if ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1; then return 0; fi
	command -v java >/dev/null || { log "java (17+) is required"; return 1; }
	command -v mvn >/dev/null || { log "mvn is required"; return 1; }
	log "fetching Kafka jars with Maven into $libs"
	(cd "$here/scripts/kafka" && mvn -B -q dependency:copy-dependencies -DoutputDirectory="$libs")
}

run_class() { java -Xms256m -Xmx1g -cp "$libs/*" -Dlog4j2.configurationFile="$dir/log4j2.properties" "$@"; }

ready() { (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --list >/dev/null 2>&1; }

configure() {
	mkdir -p "$dir/data" "$dir/log"
	cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=$partitions
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# ingest opens one connection per assigned partition (84 with the default topics): with the
# default backlog of 50, simultaneous connects overflow it and wait out a 1 s SYN retransmit.
socket.listen.backlog.size=1024
auto.create.topics.enable=true
message.max.bytes=2097152
log.retention.hours=-1
PROPS
	cat >"$dir/log4j2.properties" <<PROPS
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/log/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
PROPS
}

start() {
	"$here/scripts/statefs.sh" ensure
	install
	if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then log "already listening on $port"; create_topics; return 0; fi
	configure
	if [ ! -f "$dir/data/meta.properties" ]; then
		log "formatting storage"
		run_class kafka.tools.StorageTool format -t "$(cat /proc/sys/kernel/random/uuid | tr -d - | head -c 22)" \
			-c "$dir/server.properties" --standalone >"$dir/log/format.log" 2>&1 ||
			run_class kafka.tools.StorageTool format -t "$(run_class kafka.tools.StorageTool random-uuid)" \
				-c "$dir/server.properties" >>"$dir/log/format.log" 2>&1
	fi
	log "starting on 127.0.0.1:$port"
	nohup java -Xms512m -Xmx1g -XX:+UseG1GC -cp "$libs/*" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
		kafka.Kafka "$dir/server.properties" >"$dir/log/stdout.log" 2>&1 &
	echo $! >"$dir/kafka.pid"
	for _ in $(seq 1 120); do
		if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
			create_topics
			log "ready"
			return 0
		fi
		if ! kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; then break; fi
		sleep 0.5
	done
	log "did not become ready; last log lines:"
	tail -n 40 "$dir/log/stdout.log" "$dir/log/server.log" >&2 || true
	return 1
}

create_topics() {
	local existing
	existing=$(run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --list 2>/dev/null || true)
	for t in "${topics[@]}"; do
		if ! grep -qx "$t" <<<"$existing"; then
			run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --create --if-not-exists \
				--topic "$t" --partitions "$partitions" --replication-factor 1 >/dev/null 2>&1
		fi
	done
}

# pid prints the broker's pid: the recorded one, else the process started with our server.properties.
pid() {
	local p
	p=$(cat "$dir/kafka.pid" 2>/dev/null || true)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "$p"; return 0; fi
	pgrep -f -- "kafka\.Kafka $dir/server\.properties( |\$)" | head -n 1 || true
}

stop() {
	local p
	p=$(pid)
	if [ -n "$p" ]; then
		kill "$p" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
		kill -9 "$p" 2>/dev/null || true
	fi
	rm -f "$dir/kafka.pid"
	log "stopped"
}

status() { if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then echo "kafka: up on $port"; else echo "kafka: down"; return 1; fi; }

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status) status ;;
topics) create_topics ;;
pid) pid ;;
*) echo "usage: $0 install|start|stop|status|topics|pid" >&2; exit 2 ;;
esac
