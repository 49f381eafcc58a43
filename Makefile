# The developer interface. CI (.ci/run) calls `make test`.
GO ?= go
export CSAT_E2E ?= 1

.PHONY: build deps test test-current unit up down lint bench demo fuzz

## build: the same static build as deploy/Dockerfile
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o bin/csat ./cmd/csat

## up: install (when missing) and start ClickHouse 18.16, the current ClickHouse release and
## Kafka on this machine
up:
	scripts/services.sh up

## down: stop everything the scripts started from the state folder (ClickHouse, Kafka, the
## cluster's servers, ZooKeeper)
down:
	scripts/services.sh down

## deps: the Debian packages the tests use besides the services (promtool, chromium, zookeeper)
deps:
	scripts/test-deps.sh

## test: install what the tests use, start the services, then every test on ClickHouse 18.16
## (CSAT_E2E=1: a missing service fails its tests instead of skipping them), then the ClickHouse
## tests again on the current release (test-current); both passes run when the first fails. Fails
## too when a process the tests started is still running after them (scripts/leftovers.sh: the
## services of `up` are not the tests')
test: deps up
	$(GO) vet ./...
	@echo "== pass 1: every test; ClickHouse 18.16 at $${CSAT_CLICKHOUSE_ADDR:-127.0.0.1:9000}"
	@rc=0; scripts/leftovers.sh run -- $(GO) test -count=1 -timeout 60m ./... || rc=$$?; \
	$(MAKE) --no-print-directory test-current || rc=$$?; exit $$rc

## CH_CURRENT_ADDR: the current ClickHouse release of scripts/clickhouse-current.sh (make up starts it)
CH_CURRENT_ADDR ?= 127.0.0.1:$(or $(CH_CURRENT_TCP_PORT),9300)

## test-current: the packages whose tests use ClickHouse (they import a chtest package), on the
## current release at CH_CURRENT_ADDR. Not the cluster tests (their clusters are 18.16 servers of
## scripts/cluster.sh) nor scripts/ (it starts servers of its own).
test-current: up
	@pkgs=$$($(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | \
		awk '/\/chtest( |$$)/ && $$1 !~ /\/(clustertest|scripts)$$/ { print $$1 }'); \
	test -n "$$pkgs" || { echo "test-current: no test imports a chtest package" >&2; exit 1; }; \
	echo "== pass 2: the ClickHouse tests; ClickHouse $$(curl -fsS 'http://127.0.0.1:$(or $(CH_CURRENT_HTTP_PORT),8300)/?query=SELECT%20version()%20FORMAT%20TabSeparated') at $(CH_CURRENT_ADDR)"; \
	CSAT_CLICKHOUSE_ADDR=$(CH_CURRENT_ADDR) scripts/leftovers.sh run -- $(GO) test -count=1 -timeout 30m $$pkgs

## unit: tests that need no service (service tests skip)
unit:
	CSAT_E2E= $(GO) test -count=1 ./...

lint:
	$(GO) vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"

fuzz:
	$(GO) test ./schema -run '^$$' -fuzz FuzzDecode -fuzztime 60s

## demo: the demo on its embedded default (installs clickhouse-server when missing)
demo: build
	scripts/clickhouse.sh install
	bin/csat demo

## bench: the benchmarks that print figures (needs `make up`)
bench: build
	bin/csat bench alerts
	bin/csat bench ingest
	bin/csat bench kpi --load --scale 0.1
