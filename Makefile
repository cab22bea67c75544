# pbledger — the two commands a fresh machine needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
DATA ?= ./data
ADDR ?= 127.0.0.1:8080
# VERSION is the build's version (pbledger version, pbledger_build_info): `git describe`, or empty outside git
# (the binary then reports what the Go toolchain recorded).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

.PHONY: run test test-deps build bench lint clean monitoring

## run: start the server on the embedded store in $(DATA), with the Almaty demo cycle on first start
run: build
	./bin/pbledger serve --data $(DATA) --addr $(ADDR) --demo

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/pbledger ./cmd/pbledger

## monitoring: Prometheus (and Grafana where installed) with the shipped scrape config, alert rules and dashboard,
## against the server at $(ADDR) (start it with `make run` in another terminal)
monitoring:
	PBLEDGER_ADDR=$(ADDR) bash scripts/monitoring.sh

## test: install what the tests need (see scripts/test-deps.sh), then vet and run every test with the race detector
test: test-deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

test-deps:
	bash scripts/test-deps.sh

## bench: everything docs/BENCHMARKS.md reports, measured in one run (results in bench-results/)
bench:
	bash scripts/bench.sh bench-results

## lint: formatting, vet, and the layering rule (domain imports no adapter)
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

clean:
	rm -rf bin
