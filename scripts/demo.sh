#!/usr/bin/env bash
# scripts/demo.sh (make demo): msctl on a real job. The first parts need no
# registry (scaffold a service and run it with -registry none, load-test it,
# measure its rate limit, plan a rollout, gate an API change), so they run
# at once while Consul, which a fresh machine must build from source once,
# builds in the background. Then a local Consul dev agent starts on free
# loopback ports and the registry parts run (the service registers itself,
# the gateway, registry, probe). Everything it starts is stopped on exit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bin=${MSCTL_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/msctl-testenv/bin}
msctl="$repo/bin/msctl"
[ -x "$msctl" ] || go build -o "$msctl" ./cmd/msctl

work=$(mktemp -d)
pids=()
consul_build=
cleanup() {
	# The Consul build runs in its own process group (setsid), so the go
	# build it started stops with it; what it left half-written is a .tmp
	# file the next run replaces.
	[ -z "$consul_build" ] || kill -TERM -- "-$consul_build" 2>/dev/null || true
	# SIGINT first (services deregister, Consul leaves); background jobs of a
	# non-interactive shell may ignore it, so TERM and then KILL whatever is
	# still running a few seconds later. The demo never hangs on exit.
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for _ in $(seq 50); do
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# Consul: cached after the first run; otherwise built from the Go module
# proxy (minutes on a two-core machine), in the background, so that the
# parts that need no registry do not wait for it. 50-consul.sh waits.
setsid "$repo/scripts/testenv.sh" consul >"$work/consul-build.log" 2>&1 &
consul_build=$!
consul_build_started=$SECONDS

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
part() { printf '\n\033[1;4m%s\033[0m\n' "$*"; }

export MSCTL_CONFIG="$work/config.yaml"
step msctl version
"$msctl" version

# The parts run in the order of their names; those before 50-consul.sh
# need no registry.
for p in "$repo"/scripts/demo.d/*.sh; do
	[ -e "$p" ] || continue
	# shellcheck source=/dev/null
	. "$p"
done
echo
echo "Demo finished."
