# shellcheck shell=bash
# Part of scripts/demo.sh: load-test and measure the rate limit of a small
# local service (scripts/demo.d/ratelimited: 50 req/s, burst 10).
rl_port=$(free_port)
go build -o "$work/ratelimited" ./scripts/demo.d/ratelimited
"$work/ratelimited" "127.0.0.1:$rl_port" 50 10 &
rl_pid=$!
pids+=("$rl_pid")
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$rl_port/slow" >/dev/null 2>&1 && break; sleep 0.1; done

step "msctl loadtest http://127.0.0.1:$rl_port/slow --rate 100/s:2s,200/s:2s"
"$msctl" loadtest "http://127.0.0.1:$rl_port/slow" --rate 100/s:2s,200/s:2s --report "$work/slow.html"

step "msctl ratelimit find http://127.0.0.1:$rl_port/api --max-duration 45s"
"$msctl" ratelimit find "http://127.0.0.1:$rl_port/api" --max-duration 45s || true

cat >"$work/service.yaml" <<YAML
name: ratelimited
protocols: [http]
rate_limits:
  - protocol: http
    route: /api
    rate: 50
    burst: 10
YAML
step "msctl ratelimit verify http://127.0.0.1:$rl_port/api --from service.yaml"
"$msctl" ratelimit verify "http://127.0.0.1:$rl_port/api" --from "$work/service.yaml" --step 1s || true

step "msctl ratelimit verify http://127.0.0.1:$rl_port/api --limit 20/s   # wrong: exits 1"
"$msctl" ratelimit verify "http://127.0.0.1:$rl_port/api" --limit 20/s --step 1s || echo "(exit $?)"

# A background job of a script ignores SIGINT, so stop the server here.
kill "$rl_pid" 2>/dev/null || true
