# shellcheck shell=bash
# Demo part: msctl new. Scaffolds an http+grpc service, builds and tests it,
# and runs it without a registry (-registry none) for the parts that need
# none; 50-consul.sh restarts it registered in Consul. The later parts find
# it through these variables:
#   DEMO_SERVICE_NAME  the service name (orders)
#   DEMO_SERVICE_DIR   the generated project
#   DEMO_SERVICE_URL   its HTTP base URL
#   DEMO_SERVICE_GRPC  its gRPC address
#   DEMO_SERVICE_PID   the running process
part "Scaffold and run a service (no registry needed)"
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
export DEMO_SERVICE_URL="http://127.0.0.1:$demo_http"
export DEMO_SERVICE_GRPC="127.0.0.1:$demo_grpc"
step "./bin/orders -registry none -http-addr 127.0.0.1:$demo_http -grpc-addr 127.0.0.1:$demo_grpc"
"$DEMO_SERVICE_DIR/bin/orders" -registry none -http-addr "127.0.0.1:$demo_http" -grpc-addr "127.0.0.1:$demo_grpc" >"$work/orders.log" 2>&1 &
DEMO_SERVICE_PID=$!
pids+=("$DEMO_SERVICE_PID")
for _ in $(seq 100); do
	curl -fsS "$DEMO_SERVICE_URL/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
echo "orders is serving $DEMO_SERVICE_URL and grpc $DEMO_SERVICE_GRPC"

step "./bin/call -addr 127.0.0.1:$demo_http -n 7 GET /v1/items   (429 past the burst)"
"$DEMO_SERVICE_DIR/bin/call" -addr "127.0.0.1:$demo_http" -client-id demo -n 7 GET /v1/items

step "edit a file msctl owns, then run msctl new again: a conflict, nothing written"
echo "// my edit" >>"$DEMO_SERVICE_DIR/internal/metrics/metrics.go"
(cd "$work" && "$msctl" new service orders --module example.com/shop/orders --protocol http,grpc --rate-limit 5 --rate-burst 5 --dry-run | grep -E '^(ACTION|conflict|update|create)' || true)
(cd "$work" && "$msctl" new service --upgrade --dir orders 2>&1 >/dev/null) || echo "(exit $?: the edit is kept; --force would overwrite it)"
