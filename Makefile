# The two commands that matter on a fresh machine with Go:
#   make demo   runs msctl on a real job against a local Consul agent
#   make test   prepares the real test servers and runs every test
SHELL := /usr/bin/env bash
GO ?= go
BIN := $(or $(MSCTL_TESTENV_BIN),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/msctl-testenv/bin)

.PHONY: all build demo test testenv vet fmt-check unit controllers generate release-check bench-startup bench-registry clean

all: build

build:
	$(GO) build -o bin/msctl ./cmd/msctl

demo: build
	scripts/demo.sh

testenv:
	scripts/testenv.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './scripts/tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# The load and rate-limit tests measure rates against loopback servers;
# they run after the rest, on a machine no other test package is loading,
# so that a neighbour's build does not skew what they measure.
TIMED_PKGS := ./internal/loadtest/ ./internal/ratelimit/

unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v -e '/internal/loadtest$$' -e '/internal/ratelimit$$')
	$(GO) test -race -count=1 -p 1 $(TIMED_PKGS)

# Every deploy render through the validation code of its consumers (Argo
# Rollouts, Flagger's CRD, Kubernetes): a module of its own, because their
# dependency trees do not belong in msctl's build. It builds bin/msctl.
controllers: build
	cd test/controllers && MSCTL_BIN=$(CURDIR)/bin/msctl $(GO) vet . && MSCTL_BIN=$(CURDIR)/bin/msctl $(GO) test -count=1 .

release-check:
	$(BIN)/goreleaser check

# test is what CI runs (.ci/run): everything, with the real servers.
test: testenv vet fmt-check unit controllers release-check

generate:
	$(GO) generate ./...

bench-startup: build
	scripts/bench/startup.sh

bench-registry: build
	scripts/bench/registry.sh

clean:
	rm -rf bin dist manpages
