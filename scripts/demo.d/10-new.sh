# shellcheck shell=bash
# Demo part: msctl new. Scaffolds an http+grpc service, builds and tests it,
# runs it registered in the demo Consul agent, and leaves it running for the
# later parts, which find it through these variables:
#   DEMO_SERVICE_NAME  the service name in Consul (orders)
#   DEMO_SERVICE_DIR   the generated project
#   DEMO_SERVICE_URL   its HTTP base URL
#   DEMO_SERVICE_GRPC  its gRPC address
step msctl new --list
"$msctl" new --list

step msctl new service orders --protocol http,grpc --dry-run
(cd "$work" && "$msctl" new service orders --module example.com/shop/orders --protocol http,grpc --dry-run | sed -n 1,12p)

step msctl new service orders --module example.com/shop/orders --protocol http,grpc --rate-limit 5 --rate-burst 5
(cd "$work" && "$msctl" new service orders --module example.com/shop/orders --protocol http,grpc --rate-limit 5 --rate-burst 5 >/dev/null)
export DEMO_SERVICE_NAME=orders
export DEMO_SERVICE_DIR="$work/orders"

step "cd orders && go build ./... && go test ./...  (generated project, as generated)"
(cd "$DEMO_SERVICE_DIR" && go build -o bin/ ./cmd/orders ./cmd/call && go test ./... 2>&1 | grep -v 'no test files')

demo_http=$(free_port)
demo_grpc=$(free_port)
step "./bin/orders  (registers in Consul at 127.0.0.1:$http_port)"
"$DEMO_SERVICE_DIR/bin/orders" -http-addr "127.0.0.1:$demo_http" -grpc-addr "127.0.0.1:$demo_grpc" \
	-consul-addr "127.0.0.1:$http_port" -advertise-addr 127.0.0.1 >"$work/orders.log" 2>&1 &
pids+=($!)
export DEMO_SERVICE_URL="http://127.0.0.1:$demo_http"
export DEMO_SERVICE_GRPC="127.0.0.1:$demo_grpc"
for _ in $(seq 100); do
	if curl -fsS "http://127.0.0.1:$http_port/v1/health/service/orders?passing=true" 2>/dev/null | grep -q '"ServiceName"'; then
		echo "orders is registered in Consul and passing; serving $DEMO_SERVICE_URL and grpc $DEMO_SERVICE_GRPC"
		break
	fi
	sleep 0.1
done

step "go run ./cmd/call -service orders -n 7 GET /v1/items   (through Consul; 429 past the burst)"
"$DEMO_SERVICE_DIR/bin/call" -consul-addr "127.0.0.1:$http_port" -service orders -client-id demo -n 7 GET /v1/items

step "edit a file msctl owns, then run msctl new again: a conflict, nothing written"
echo "// my edit" >>"$DEMO_SERVICE_DIR/internal/metrics/metrics.go"
(cd "$work" && "$msctl" new service orders --module example.com/shop/orders --protocol http,grpc --rate-limit 5 --rate-burst 5 --dry-run | grep -E '^(ACTION|conflict|update|create)' || true)
(cd "$work" && "$msctl" new service --upgrade --dir orders 2>&1 >/dev/null) || echo "(exit $?: the edit is kept; --force would overwrite it)"
