# shellcheck shell=bash
# Part of scripts/demo.sh: msctl probe against local servers (HTTP and TLS
# with a test CA, gRPC, WebSocket, NATS, Thrift, started by
# internal/testserver/fixtures) and every instance of a service registered
# in the demo's Consul agent, one of them down.
part "Probe every protocol and every instance"
go build -o "$work/fixtures" ./internal/testserver/fixtures
mkfifo "$work/fixtures.in"
"$work/fixtures" "$work" <"$work/fixtures.in" >"$work/fixtures.env" 2>"$work/fixtures.log" &
pids+=($!)
# The fixtures stop when this descriptor closes (at the latest when the demo exits).
exec 4>"$work/fixtures.in"
for _ in $(seq 100); do grep -q '^# ready' "$work/fixtures.env" 2>/dev/null && break; sleep 0.1; done
# shellcheck source=/dev/null
. "$work/fixtures.env"

step "msctl probe http --cacert ca.pem $HTTPS_URL/"
"$msctl" probe http --cacert "$work/ca.pem" "$HTTPS_URL/"
step "msctl probe http --count 5 --cacert ca.pem $HTTPS_URL/   (one connection, a summary per phase)"
"$msctl" probe http --count 5 --cacert "$work/ca.pem" "$HTTPS_URL/"
step "msctl probe http --cacert ca.pem $EXPIRED_URL/   (an expired certificate)"
"$msctl" probe http --cacert "$work/ca.pem" "$EXPIRED_URL/" || echo "(exit $?: unreachable, failed in tls)"
step "msctl probe http --timeout 300ms $HTTP_URL/sleep?d=2s"
"$msctl" probe http --timeout 300ms "$HTTP_URL/sleep?d=2s" || echo "(exit $?: timeout while the server was processing)"
step "msctl probe dns --type SRV --server 127.0.0.1:$dns_port consul.service.consul"
"$msctl" probe dns --type SRV --server "127.0.0.1:$dns_port" consul.service.consul
step "msctl probe grpc --plaintext $GRPC_ADDR list"
"$msctl" probe grpc --plaintext "$GRPC_ADDR" list
step "msctl probe grpc --plaintext $GRPC_ADDR health down"
"$msctl" probe grpc --plaintext "$GRPC_ADDR" health down || echo "(exit $?: NOT_SERVING, as grpc_health_probe exits)"
step "msctl probe ws --message hello $WS_URL/echo"
"$msctl" probe ws --message hello "$WS_URL/echo"
step "msctl probe nats $NATS_URL"
"$msctl" probe nats "$NATS_URL"
step "msctl probe thrift --method getUser $THRIFT_ADDR"
"$msctl" probe thrift --method getUser "$THRIFT_ADDR"

# Two instances of "checkout" in Consul: one the fixture's HTTP server, one
# a port nothing listens on.
checkout_port=${HTTP_URL##*:}
"$msctl" registry register checkout --id checkout-1 --host 127.0.0.1 --port "$checkout_port" --yes >/dev/null 2>&1
"$msctl" registry register checkout --id checkout-2 --host 127.0.0.1 --port 1 --check-tcp 127.0.0.1:1 --yes >/dev/null 2>&1
step "msctl probe service checkout --path /status/200"
"$msctl" probe service checkout --path /status/200 || echo "(exit $?: checkout-2 refuses connections)"
# The registry part's "web" instances, when it ran: the registry's view
# next to what a connection finds.
if "$msctl" registry instances web >/dev/null 2>&1; then
	step "msctl probe service web --protocol tcp"
	"$msctl" probe service web --protocol tcp || echo "(exit $?)"
fi
exec 4>&-
