# holostream: `make test` and `make demo` are all a fresh machine needs; both run `make setup`.
SHELL := /bin/bash
ROOT  := $(abspath .)
DEPS  := $(ROOT)/.deps

export CGO_ENABLED := 1
export CGO_CFLAGS  := -O2 -I$(DEPS)/include
export CGO_LDFLAGS := -L$(DEPS)/lib -Wl,-rpath,$(DEPS)/lib -Wl,-rpath,$$ORIGIN/../.deps/lib
export HOLOSTREAM_MODELS ?= $(DEPS)/models

VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
GO      ?= go
PKGS    := ./...

.PHONY: all setup build demo test unit lint bench bench-mediapipe bench-gunicorn profile-mediapipe soak goldens clean help

all: build

help:
	@echo "make setup      fetch the TFLite C library, headers and MediaPipe models into .deps/ (cached)"
	@echo "make build      build bin/holostream"
	@echo "make demo       build, then run everything in one process on real footage (DEMO_ARGS=--frames 200)"
	@echo "make test       lint, then every test with the race detector, with a real Kafka and registry"
	@echo "make unit       the same without the real broker (integration tests skip)"
	@echo "make bench      Go benchmarks of every stage and of whole frames"
	@echo "make bench-mediapipe  MediaPipe's Python pipeline on the same frames, for the ratio"
	@echo "make bench-gunicorn   serve's defaults against Gunicorn + MediaPipe under the same Locust load"
	@echo "make profile-mediapipe  share of each pipeline's time inside the models (perf), the ratio's ceiling"
	@echo "make soak       demo and serve under steady load, 10 min each: RSS slope after warm-up (SOAK_MINUTES=...)"
	@echo "make goldens    regenerate testdata/golden with MediaPipe's Python pipeline (by hand)"

setup:
	@bash scripts/setup.sh

build: setup
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/holostream .

demo: build
	./bin/holostream demo $(DEMO_ARGS)

lint:
	@out=$$(gofmt -l . | grep -v '^.deps/' || true); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# The tests run against the embedded cluster and, for the integration tests, a real Apache Kafka
# broker and Apicurio Schema Registry that scripts/integration.sh fetches from Maven Central and
# starts on 127.0.0.1 (and stops afterwards).
# The browser tests drive Debian's chromium (scripts/browser.sh installs it when missing) and
# fail, rather than skip, without it; their screenshots land in artifacts/browser/.
test: setup lint
	bash scripts/browser.sh
	HOLOSTREAM_REQUIRE_BROWSER=1 bash scripts/integration.sh -race -count=1 -timeout 30m $(PKGS)

# unit: the tests without a real broker (the integration tests skip, saying so).
unit: setup lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

bench: setup
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./pixels/ ./model/ ./

bench-mediapipe:
	bash scripts/mediapipe/bench.sh

# holostream serve --no-kafka against MediaPipe's Python solution behind Gunicorn and Flask,
# Locust at 4, 16 and 64 no-wait users (MODELS, USERS, ROUNDS, SECONDS_PER_LEVEL); about 10
# minutes, plus the venv's install the first time. A measurement: never part of `make test`.
bench-gunicorn: setup
	flock /tmp/holostream-bench.lock bash scripts/gunicorn/compare.sh

profile-mediapipe:
	bash scripts/mediapipe/profile.sh

# soak: `demo` and `serve --no-kafka` under steady load, SOAK_MINUTES (10) each, RSS sampled from
# /proc; prints the RSS after the warm-up and at the end and the slope in MB/min (scripts/soak.sh
# lists its settings). It builds bin/holostream itself. It measures: run it alone.
soak:
	bash scripts/soak.sh

goldens:
	bash scripts/mediapipe/goldens.sh

clean:
	rm -rf bin
