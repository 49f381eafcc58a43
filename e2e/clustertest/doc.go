// Package clustertest holds csat's cluster-mode tests (CSAT_CLICKHOUSE_CLUSTER): the real ingest
// path against two ClickHouse 18.16 servers coordinated by ZooKeeper, in the two layouts that
// scripts/cluster.sh starts — one shard with two replicas (csat_replicas, tcp 9101/9102) and two
// shards with one replica each (csat_shards, tcp 9111/9112) — compared with a single server
// (CSAT_CLICKHOUSE_ADDR, the ordinary test server) loaded with the same events.
//
// The package has no non-test code besides this comment. Its tests follow the project's switch:
// when the cluster is not running they skip, unless CI=true or CSAT_E2E=1, in which case they
// start it with `scripts/cluster.sh up LAYOUT` (installing Debian's zookeeper when missing) and
// fail if that fails; what they start (the layout's servers, and ZooKeeper when it was not
// running) is stopped with `scripts/cluster.sh down` when the test binary ends, however it ends
// (a reaper process reads the stop commands from a pipe and runs them when the pipe closes). A
// layout that was already running is left running. They also need Kafka (CSAT_KAFKA_BROKERS) and
// the single server. The replica test kills one server with kill -9 and starts it again through
// the same script.
//
// Design: docs/design/cluster.md.
package clustertest
