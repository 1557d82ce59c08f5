#!/usr/bin/env bash
# Registers SERVICES services x 3 instances (default 1,000 x 3) in a real
# Consul dev agent and times, side by side in one run:
#   msctl registry services -o json   vs  consul catalog services + one
#                                         curl /v1/health/service/NAME per service
#   msctl registry doctor -o json     (every service: health, gossip, DNS SRV,
#                                      stale vs consistent, a TCP probe each)
# It prints median wall times over RUNS runs, the ratios, and peak memory
# (maximum resident set size from /usr/bin/time -v).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MSCTL_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/msctl-testenv/bin}
services=${SERVICES:-1000}
runs=${RUNS:-3}
"$repo/scripts/testenv.sh" consul >&2
go build -o "$repo/bin/msctl" "$repo/cmd/msctl"
msctl="$repo/bin/msctl"
consul="$bin/consul"

work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
http_port=$(free_port)
"$consul" agent -dev -client 127.0.0.1 -bind 127.0.0.1 -node bench \
	-http-port "$http_port" -dns-port "$(free_port)" -grpc-port "$(free_port)" -grpc-tls-port -1 \
	-server-port "$(free_port)" -serf-lan-port "$(free_port)" -serf-wan-port "$(free_port)" \
	-log-level warn >"$work/consul.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	leader=$(curl -fsS "http://127.0.0.1:$http_port/v1/status/leader" 2>/dev/null || true)
	[ -n "$leader" ] && [ "$leader" != '""' ] && break
	sleep 0.1
done

echo "registering $services services x 3 instances with TTL checks..." >&2
python3 - "$http_port" "$services" <<'PY'
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
for s in range(n):
    for i in range(3):
        body = {"ID": f"svc{s}-{i}", "Name": f"svc{s}", "Address": "127.0.0.1",
                "Port": 20000 + (s * 3 + i) % 40000, "Tags": ["bench", f"v{i % 2}.0.0"],
                "Meta": {"version": f"1.{i % 2}.0"},
                "Check": {"TTL": "1h", "Status": ["passing", "passing", "warning"][i]}}
        c.request("PUT", "/v1/agent/service/register", json.dumps(body))
        r = c.getresponse(); r.read()
        if r.status != 200:
            sys.exit(f"register failed: {r.status}")
PY
export CONSUL_HTTP_ADDR="127.0.0.1:$http_port" MSCTL_ADDRESS="127.0.0.1:$http_port" MSCTL_REGISTRY=consul
export MSCTL_CONFIG="$work/none.yaml"; unset MSCTL_CONFIG

cat >"$work/consul-way.sh" <<'SH'
#!/usr/bin/env bash
# What a script does today: list with the Consul CLI, then one health call
# per service.
for s in $("$CONSUL" catalog services); do
	curl -fsS "http://$CONSUL_HTTP_ADDR/v1/health/service/$s" >/dev/null
done
SH
cat >"$work/curl-keepalive.sh" <<'SH'
#!/usr/bin/env bash
# The same with one curl process reusing its connection: the fastest a
# script gets without a bulk endpoint.
urls=()
for s in $("$CONSUL" catalog services); do urls+=("http://$CONSUL_HTTP_ADDR/v1/health/service/$s"); done
curl -fsS "${urls[@]}" >/dev/null
SH
chmod +x "$work/consul-way.sh" "$work/curl-keepalive.sh"
export CONSUL="$consul"

# measure NAME CMD...: median wall seconds over $runs runs and peak RSS (MiB).
measure() {
	python3 - "$runs" "$work/time.txt" "$@" <<'PY'
import subprocess, sys, time, statistics, re
n, tf, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
ts, rss = [], 0
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(["/usr/bin/time", "-v", "-o", tf] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ts.append(time.perf_counter() - t)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tf).read())
    rss = max(rss, int(m.group(1)) if m else 0)
print(f"{statistics.median(ts):.3f} {rss / 1024:.1f}")
PY
}

echo "timing ($runs runs each)..." >&2
read -r ms_t ms_m < <(measure "$msctl" registry services -o json)
read -r cw_t cw_m < <(measure "$work/consul-way.sh")
read -r ck_t ck_m < <(measure "$work/curl-keepalive.sh")
read -r cc_t cc_m < <(measure "$consul" catalog services)
read -r dr_t dr_m < <(measure "$msctl" registry doctor -o json --timeout 30s)
read -r dn_t dn_m < <(measure "$msctl" registry doctor -o json --no-probe --timeout 30s)
count=$("$msctl" registry services -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

printf '\n%d services x 3 instances (%d services listed incl. consul)\n' "$services" "$count"
printf '%-58s %9s %12s\n' "command" "median s" "peak RSS MiB"
printf '%-58s %9s %12s\n' "msctl registry services -o json" "$ms_t" "$ms_m"
printf '%-58s %9s %12s\n' "consul catalog services + curl health/service per service" "$cw_t" "$cw_m (largest process)"
printf '%-58s %9s %12s\n' "same, one curl process with keep-alive" "$ck_t" "$ck_m (largest process)"
printf '%-58s %9s %12s\n' "consul catalog services (names only)" "$cc_t" "$cc_m"
printf '%-58s %9s %12s\n' "msctl registry doctor -o json (every service)" "$dr_t" "$dr_m"
printf '%-58s %9s %12s\n' "msctl registry doctor -o json --no-probe" "$dn_t" "$dn_m"
python3 - "$ms_t" "$cw_t" "$ck_t" "$dr_t" <<'PY'
import sys
ms, cw, ck, dr = map(float, sys.argv[1:])
print(f"\nratio consul-way / msctl services:           {cw / ms:.1f}x")
print(f"ratio one-curl keep-alive / msctl services:  {ck / ms:.1f}x")
print(f"ratio consul-way / msctl doctor:             {cw / dr:.1f}x")
PY
