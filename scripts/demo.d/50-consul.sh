# shellcheck shell=bash
# Part of scripts/demo.sh: the registry parts start here. Wait for the
# Consul build (started in the background by demo.sh, done at once when
# cached) with a progress line, start a dev agent on free loopback ports,
# point an msctl context at it, and restart the orders service of
# 10-new.sh so that it registers itself.
part "Registry parts: a local Consul dev agent"
# A cached Consul is ready at once; while the build runs, show how long
# it has taken so that a first run does not look hung.
waited=0
while kill -0 "$consul_build" 2>/dev/null; do
	printf '\rbuilding Consul from source, once: %d s so far' $((SECONDS - consul_build_started))
	waited=1
	sleep 1
done
[ "$waited" = 0 ] || echo
if ! wait "$consul_build"; then
	consul_build=
	echo "demo: building Consul failed (log below); the parts above ran without it" >&2
	tail -20 "$work/consul-build.log" >&2
	exit 1
fi
consul_build=

http_port=$(free_port); dns_port=$(free_port)
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

step msctl config set contexts.demo.address "127.0.0.1:$http_port"
"$msctl" config set contexts.demo.registry consul
"$msctl" config set contexts.demo.address "127.0.0.1:$http_port"
"$msctl" config use-context demo
step msctl config get-contexts
"$msctl" config get-contexts
step msctl config view --resolved
"$msctl" config view --resolved

if [ -n "${DEMO_SERVICE_PID:-}" ]; then
	kill -INT "$DEMO_SERVICE_PID" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$DEMO_SERVICE_PID" 2>/dev/null || break; sleep 0.1; done
	step "./bin/orders -consul-addr 127.0.0.1:$http_port  (the same service, now registering itself)"
	"$DEMO_SERVICE_DIR/bin/orders" -http-addr "${DEMO_SERVICE_URL#http://}" -grpc-addr "$DEMO_SERVICE_GRPC" \
		-consul-addr "127.0.0.1:$http_port" -advertise-addr 127.0.0.1 >"$work/orders.log" 2>&1 &
	DEMO_SERVICE_PID=$!
	pids+=("$DEMO_SERVICE_PID")
	for _ in $(seq 100); do
		if curl -fsS "http://127.0.0.1:$http_port/v1/health/service/orders?passing=true" 2>/dev/null | grep -q '"ServiceName"'; then
			echo "orders is registered in Consul and passing"
			break
		fi
		sleep 0.1
	done
	step "./bin/call -service orders -n 7 GET /v1/items   (through Consul; 429 past the burst)"
	"$DEMO_SERVICE_DIR/bin/call" -consul-addr "127.0.0.1:$http_port" -service orders -client-id demo2 -n 7 GET /v1/items
fi
