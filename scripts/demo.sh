#!/usr/bin/env bash
# scripts/demo.sh (make demo): msctl on a real job. It starts a local Consul
# dev agent on free loopback ports, points an msctl context at it, and walks
# through the commands that exist. Everything it starts is stopped on exit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
"$repo/scripts/testenv.sh" consul
bin=${MSCTL_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/msctl-testenv/bin}
msctl="$repo/bin/msctl"
[ -x "$msctl" ] || go build -o "$msctl" ./cmd/msctl

work=$(mktemp -d)
pids=()
cleanup() {
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
http_port=$(free_port); dns_port=$(free_port)
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

echo "Starting a Consul dev agent on 127.0.0.1:$http_port (DNS on $dns_port)..."
"$bin/consul" agent -dev -client 127.0.0.1 -bind 127.0.0.1 -node demo \
	-http-port "$http_port" -dns-port "$dns_port" -grpc-port "$(free_port)" -grpc-tls-port -1 \
	-server-port "$(free_port)" -serf-lan-port "$(free_port)" -serf-wan-port "$(free_port)" \
	-log-level warn >"$work/consul.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	leader=$(curl -fsS "http://127.0.0.1:$http_port/v1/status/leader" 2>/dev/null || true)
	[ -n "$leader" ] && [ "$leader" != '""' ] && break
	sleep 0.1
done

export MSCTL_CONFIG="$work/config.yaml"
step msctl version
"$msctl" version
step msctl config set contexts.demo.address "127.0.0.1:$http_port"
"$msctl" config set contexts.demo.registry consul
"$msctl" config set contexts.demo.address "127.0.0.1:$http_port"
"$msctl" config use-context demo
step msctl config get-contexts
"$msctl" config get-contexts
step msctl config view --resolved
"$msctl" config view --resolved

# Later sections (scaffold, registry, probe, ratelimit, deploy) are added
# here as those commands arrive.
if [ -d "$repo/scripts/demo.d" ]; then
	for part in "$repo"/scripts/demo.d/*.sh; do
		[ -e "$part" ] || continue
		# shellcheck source=/dev/null
		. "$part"
	done
fi
echo
echo "Demo finished."
