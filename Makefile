# The developer interface. CI (.ci/run) calls `make test`.
GO ?= go
export CSAT_E2E ?= 1

.PHONY: build deps test unit up down lint bench demo fuzz

## build: the same static build as deploy/Dockerfile
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o bin/csat ./cmd/csat

## up: install (when missing) and start ClickHouse and Kafka on this machine
up:
	scripts/services.sh up

## down: stop everything the scripts started from the state folder (ClickHouse, Kafka, the
## cluster's servers, ZooKeeper)
down:
	scripts/services.sh down

## deps: the Debian packages the tests use besides the services (promtool, chromium, zookeeper)
deps:
	scripts/test-deps.sh

## test: install what the tests use, start the services, then every test (CSAT_E2E=1: a missing
## service fails its tests instead of skipping them); fails too when a process the tests started
## is still running after them (scripts/leftovers.sh: the services of `up` are not the tests')
test: deps up
	$(GO) vet ./...
	scripts/leftovers.sh run -- $(GO) test -count=1 -timeout 60m ./...

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
