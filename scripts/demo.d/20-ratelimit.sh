# shellcheck shell=bash
# Part of scripts/demo.sh: load-test a service and measure its rate limit.
# It uses the service `msctl new` generated and started (10-new.sh: 5 req/s
# per client, burst 5, declared in its service.yaml); without it, a tiny
# rate-limited server (scripts/demo.d/ratelimited: 50 req/s, burst 10).
part "Load-test the service and measure its rate limit (no registry needed)"
rl_pid=
if [ -n "${DEMO_SERVICE_URL:-}" ] && [ -f "${DEMO_SERVICE_DIR:-}/service.yaml" ]; then
	rl_url="$DEMO_SERVICE_URL/v1/items"
	rl_yaml="$DEMO_SERVICE_DIR/service.yaml"
	load_url="$rl_url"
	load_rate=4/s:2s,8/s:2s
else
	rl_port=$(free_port)
	go build -o "$work/ratelimited" ./scripts/demo.d/ratelimited
	"$work/ratelimited" "127.0.0.1:$rl_port" 50 10 &
	rl_pid=$!
	pids+=("$rl_pid")
	for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$rl_port/slow" >/dev/null 2>&1 && break; sleep 0.1; done
	rl_url="http://127.0.0.1:$rl_port/api"
	load_url="http://127.0.0.1:$rl_port/slow"
	load_rate=100/s:2s,200/s:2s
	rl_yaml="$work/service.yaml"
	cat >"$rl_yaml" <<YAML
name: ratelimited
protocols: [http]
rate_limits:
  - protocol: http
    route: /api
    rate: 50
    burst: 10
YAML
fi

step "msctl loadtest $load_url --rate $load_rate"
"$msctl" loadtest "$load_url" --rate "$load_rate" -H "X-Client-ID: loadtest" --report "$work/loadtest.html"

step "msctl ratelimit find $rl_url --from service.yaml --max-duration 90s"
"$msctl" ratelimit find "$rl_url" --from "$rl_yaml" --max-duration 90s || echo "(exit $?)"

step "msctl ratelimit verify $rl_url --from service.yaml"
"$msctl" ratelimit verify "$rl_url" --from "$rl_yaml" --step 2s || echo "(exit $?)"

step "msctl ratelimit verify $rl_url --limit 20/s -H 'X-Client-ID: demo'   # a wrong declaration: exit 1"
"$msctl" ratelimit verify "$rl_url" --limit 20/s -H "X-Client-ID: demo" --step 1s || echo "(exit $?)"

# A background job of a script ignores SIGINT, so stop our server here.
[ -z "$rl_pid" ] || kill "$rl_pid" 2>/dev/null || true
