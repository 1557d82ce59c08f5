# shellcheck shell=bash
# Demo part: msctl new gateway. Generates a gateway, builds and tests it, and
# runs it in front of the orders service of 10-new.sh, which it finds in the
# demo Consul agent: JWT, routing, the GET cache, a composite route, the
# per-client rate limit, and a default response for a service with no
# instance.
part "A gateway in front of orders, through Consul"
demo_jwt() { # demo_jwt SUBJECT: an HS256 token signed with $demo_secret
	python3 - "$1" "$demo_secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = enc(json.dumps({"sub": sys.argv[1], "exp": int(time.time()) + 3600}).encode())
sig = hmac.new(sys.argv[2].encode(), (head + "." + body).encode(), hashlib.sha256).digest()
print(head + "." + body + "." + enc(sig))
PY
}
gw_routes=(--route /orders=orders --route /stock=inventory --composite '/dashboard=items:orders/v1/items,first:orders/v1/items/1')
step "msctl new gateway edge ${gw_routes[*]} --rate-burst 4"
(cd "$work" && "$msctl" new gateway edge "${gw_routes[@]}" --rate-limit 1 --rate-burst 4 2>&1 | sed -n '1p;/proxy/p;/routes/p;/created/p')

step "cd edge && go build ./... && go test ./...  (generated gateway, as generated)"
(cd "$work/edge" && go build -o bin/ ./cmd/edge && go test ./... 2>&1 | grep -v 'no test files')

demo_secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
gw_port=$(free_port)
gw="http://127.0.0.1:$gw_port"
step "JWT_HMAC_KEY=... ./bin/edge -fallback '/stock={\"items\":[],\"degraded\":true}'"
JWT_HMAC_KEY=$demo_secret "$work/edge/bin/edge" -http-addr "127.0.0.1:$gw_port" -consul-addr "127.0.0.1:$http_port" \
	-advertise-addr 127.0.0.1 -fallback '/stock={"items":[],"degraded":true}' >"$work/edge.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	curl -fsS "$gw/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
echo "edge is serving $gw, registered in Consul"

step "curl $gw/orders/v1/items   (no token)"
curl -sS -i "$gw/orders/v1/items" | grep -E '^(HTTP|WWW-Authenticate|\{)'
alice=$(demo_jwt alice)
step "curl -H 'Authorization: Bearer <alice>' -d '{\"name\":\"demo\"}' $gw/orders/v1/items   (through Consul to orders)"
curl -sS -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' -d '{"name":"demo"}' "$gw/orders/v1/items"
step "curl (alice) $gw/orders/v1/items twice   (the second from the cache)"
for _ in 1 2; do curl -sS -i -H "Authorization: Bearer $alice" "$gw/orders/v1/items" | grep -E '^(HTTP|X-Cache|\{)'; done
step "curl (alice) $gw/dashboard   (composite: two calls to orders, merged)"
curl -sS -H "Authorization: Bearer $alice" "$gw/dashboard"
step "curl (carol) $gw/stock/v1/items   (no inventory instance: the default response)"
curl -sS -i -H "Authorization: Bearer $(demo_jwt carol)" "$gw/stock/v1/items" | grep -E '^(HTTP|X-Gateway-Fallback|\{)'
step "6 x curl (bob) $gw/stock/v1/items   (rate limit: burst 4 per client)"
bob=$(demo_jwt bob)
for _ in $(seq 6); do
	curl -sS -o /dev/null -D - -H "Authorization: Bearer $bob" "$gw/stock/v1/items" |
		awk 'NR==1{s=$2} /^(Ratelimit|Retry-After)/{h=h" "$0} END{gsub(/\r/,"",h); print s h}'
done
