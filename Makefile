# The two commands of the README: `make demo` and `make test`. Both install
# Chrome (Debian's chromium-headless-shell) when it is missing.

GO      ?= go
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build demo test unit vet chrome postgres bench fuzz fuzz-ci mock clean screenshots images compose-e2e

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o rosteron ./cmd/rosteron

# chrome installs Debian's headless shell unless a Chrome is already there.
chrome:
	@if command -v chromium-headless-shell >/dev/null 2>&1 || command -v chromium >/dev/null 2>&1 \
	    || command -v google-chrome >/dev/null 2>&1 || [ -n "$$ROSTERON_CHROME$$ROSTERON_BROWSER" ]; then \
	    exit 0; fi; \
	echo "installing chromium-headless-shell with apt-get"; \
	$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium-headless-shell

# postgres installs Debian's postgresql unless one is there: the store's
# and the jobs' tests start a cluster of their own from its programs
# (internal/pgtest), and never use the one the package may make.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "$$ROSTERON_PG_BIN" ]; then exit 0; fi; \
	echo "installing postgresql with apt-get"; \
	$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql

demo: chrome
	$(GO) run ./cmd/rosteron demo

# vet runs go vet, staticcheck (pinned, so every machine and CI report the
# same findings) and gofmt.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
vet:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	    if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

# test runs everything: vet (staticcheck included), the race detector, real
# Chrome against the mock server, the CLI as a whole process, and, where
# Docker runs (always in CI), the image and docker-compose.yml's services as
# real containers, the end-to-end suite in them included (e2e/deploy builds
# the images with `make images` first).
test: chrome postgres vet
	$(GO) test -race -count=1 -timeout 45m ./...
	$(MAKE) --no-print-directory fuzz-ci

# unit runs only the tests that need no browser: the pure packages and the
# mock server. With -short every test that needs Chrome skips (see
# internal/chrometest), so none starts.
unit:
	$(GO) test -short -count=1 ./snapshot/ ./export/ ./mockserver/ ./feed/ ./calendar/ ./calendar/calendartest/ ./internal/oneline/ ./internal/pyrepr/ ./internal/atomicfile/ ./internal/backoff/ ./store/... ./service/ ./join/ ./internal/safedial/

# fuzz feeds snapshot.Parse generated pages, seeded from snapshot/testdata,
# for FUZZTIME; an input that fails is saved under
# snapshot/testdata/fuzz/ and then runs with every `go test`. FUZZ picks
# another target of ./snapshot/ (FuzzLoadReader, FuzzDiff, FuzzParseDate,
# FuzzItemShift). fuzz-ci is the same, briefly.
FUZZ     ?= FuzzParse
FUZZTIME ?= 2m
fuzz:
	$(GO) test -run='^$$' -fuzz='^$(FUZZ)$$' -fuzztime=$(FUZZTIME) ./snapshot/

fuzz-ci:
	$(MAKE) fuzz FUZZTIME=15s

mock:
	$(GO) run ./cmd/rosteron mock

# screenshots writes docs/serve-page.png: the page of rosteron serve at
# phone width, as the end-to-end test sees it in Chrome.
screenshots: chrome
	$(GO) test -count=1 -run '^TestServePage$$' ./e2e/ -update

# images builds every image docker-compose.yml needs. The public bases are
# used when present or pullable; where no registry answers, stand-ins for
# them are built from Debian's packages first (scripts/stand-in-images),
# so the Dockerfiles and the compose file build unchanged. The scale
# profile's Postgres and proxy are Debian's packages on the same base.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo docker compose || echo docker-compose)
images:
	scripts/stand-in-images
	$(COMPOSE) --profile scale build mock e2e radicale postgres proxy

# compose-e2e runs the end-to-end suite in containers, as the README shows.
compose-e2e: images
	$(COMPOSE) up --build --exit-code-from e2e e2e; s=$$?; $(COMPOSE) down --volumes; exit $$s

clean:
	rm -f rosteron

# bench runs the Go benchmarks, then times the CLI as a whole process
# against a mock on loopback next to Chrome's own floor, on plain pages and
# on the realistic script stack (Debian's libjs-jquery,
# libjs-jquery-migrate-1 and libjs-jquery-mobile), and writes
# BENCHMARKS.md. It stops, saying why, when anything it needs is missing
# or any run fails. See docs/speed.md. Last, for about five minutes, it
# runs BENCH_ACCOUNTS accounts over BENCH_HOSTS mock hosts through one
# multi-account service and one Chrome (internal/benchaccounts), and
# appends that section to BENCHMARKS.md: with the default 2-second gap
# between a host's requests, 50 hosts can take the 5.6 refreshes a second
# of 10,000 accounts every 30 minutes, and 20 could not. Then the same on
# a PostgreSQL of its own (Debian's postgresql, started on loopback), with
# one and with two service replicas, each with its own Chrome: their
# refreshes a second, queue latency and Postgres rows and bytes per account
# (docs/scale.md).
BENCH_RUNS ?= 15
BENCH_ACCOUNTS ?= 1000
BENCH_HOSTS    ?= 50
BENCHSTAT  ?= golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench: chrome build
	@rm -f bench.out benchstat.out
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./snapshot/ > bench.out || { cat bench.out; rm -f bench.out; exit 1; }
	$(GO) test -run '^$$' -bench . -benchmem -count 6 -benchtime 24x ./e2e/ >> bench.out || { cat bench.out; rm -f bench.out; exit 1; }
	@cat bench.out
	$(GO) run $(BENCHSTAT) bench.out > benchstat.out || { rm -f bench.out benchstat.out; exit 1; }
	$(GO) run ./internal/benchcli -bin ./rosteron -runs $(BENCH_RUNS) -out BENCHMARKS.md -gobench bench.out -benchstat benchstat.out || { rm -f bench.out benchstat.out; exit 1; }
	@rm -f bench.out benchstat.out
	$(GO) run ./internal/benchaccounts -accounts $(BENCH_ACCOUNTS) -hosts $(BENCH_HOSTS) -per-host 2 -interval 2m -duration 5m -out BENCHMARKS.md
	$(GO) run ./internal/benchaccounts -postgres -workers 1 -accounts $(BENCH_ACCOUNTS) -hosts $(BENCH_HOSTS) -per-host 2 -interval 2m -duration 5m -out BENCHMARKS.md
	$(GO) run ./internal/benchaccounts -postgres -workers 2 -accounts $(BENCH_ACCOUNTS) -hosts $(BENCH_HOSTS) -per-host 2 -interval 2m -duration 5m -out BENCHMARKS.md
