#!/usr/bin/env bash
# Compares msctl loadtest with vegeta, hey and wrk side by side in one run,
# against the same local Go server (scripts/bench/loadserver): the maximum
# sustained request rate of each (closed loop, same number of connections)
# and its peak memory, then msctl's scheduling accuracy at fixed rates
# (open model: achieved vs target; vegeta alongside). Prints ratios.
#
#   scripts/bench/loadtest.sh            # 10s per run, 50 connections
#   DURATION=5 CONNS=100 scripts/bench/loadtest.sh
#
# The peers come from scripts/testenv.sh loadpeers (vegeta v12.13.0 from the
# Go module proxy, hey and wrk from Debian). Everything runs on loopback;
# on a shared machine, run it twice and compare.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MSCTL_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/msctl-testenv/bin}
duration=${DURATION:-10}
conns=${CONNS:-50}
port=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
url="http://127.0.0.1:$port/"

# vegeta opens a connection per worker; at 20k/s the server needs many fds.
ulimit -n 65536 2>/dev/null || true
"$repo/scripts/testenv.sh" loadpeers >&2
work=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/msctl" "$repo/cmd/msctl"
go build -o "$work/loadserver" "$repo/scripts/bench/loadserver"
"$work/loadserver" "127.0.0.1:$port" &
srv=$!
sleep 0.5
kill -0 "$srv" 2>/dev/null || { echo "the bench server did not start on port $port" >&2; exit 1; }

export WORK=$work BIN=$bin DURATION=$duration CONNS=$conns URL=$url
python3 - <<'PY'
import json, os, re, resource, subprocess, sys

work, binDir, d, c, url = os.environ["WORK"], os.environ["BIN"], os.environ["DURATION"], os.environ["CONNS"], os.environ["URL"]

def measured(cmd, stdin=None):
    code = ("import resource,subprocess,sys,json;"
            "p=subprocess.run(json.loads(sys.argv[1]),input=sys.stdin.read() or None,capture_output=True,text=True);"
            "sys.stdout.write(json.dumps({'out':p.stdout,'err':p.stderr,'rc':p.returncode,"
            "'rss':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024}))")
    p = subprocess.run([sys.executable, "-c", code, json.dumps(cmd)], input=stdin or "", capture_output=True, text=True, check=True)
    r = json.loads(p.stdout)
    if r["rc"] != 0:
        sys.exit(f"{cmd[0]} failed: {r['err']}")
    return r["out"], r["rss"]

rows = []
out, rss = measured([f"{work}/msctl", "loadtest", url, "--concurrency", c, "--duration", f"{d}s", "-o", "json"])
r = json.loads(out)
rows.append(("msctl", r["achieved_rate"], rss, r["status"]["accepted"] == r["requests"]["sent"]))

out, rss = measured(["hey", "-c", c, "-z", f"{d}s", url])
rows.append(("hey", float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), rss, "[200]" in out))

out, rss = measured(["wrk", "-t", "2", "-c", c, "-d", f"{d}s", url])
rows.append(("wrk", float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), rss, "Non-2xx" not in out))

attack = f"{binDir}/vegeta"
out, rss = measured(["sh", "-c", f"echo 'GET {url}' | {attack} attack -rate=0 -max-workers={c} -duration={d}s > {work}/vegeta.bin"])
rep = subprocess.run([attack, "report", "-type=json", f"{work}/vegeta.bin"], capture_output=True, text=True, check=True).stdout
v = json.loads(rep)
rows.append(("vegeta", v["throughput"], rss, v["success"] == 1))

print(f"Maximum sustained rate: closed loop, {c} connections, {d}s each, one Go server on loopback")
print(f"{'tool':8} {'req/s':>10} {'peak RSS MB':>12} {'all 2xx':>8}")
for name, rate, rss, ok in rows:
    print(f"{name:8} {rate:10.0f} {rss:12.1f} {str(ok):>8}")
m = rows[0][1]
for name, rate, _, _ in rows[1:]:
    print(f"msctl / {name}: {m / rate:.2f}")

print()
print(f"Scheduling accuracy: open model, {d}s at a fixed rate")
print(f"{'rate':>7} {'msctl achieved':>15} {'error':>7} {'kept up':>8} {'vegeta achieved':>16} {'error':>7}")
for target in (5000, 20000):
    out, _ = measured([f"{work}/msctl", "loadtest", url, "--rate", f"{target}/s", "--duration", f"{d}s", "-o", "json"])
    r = json.loads(out)
    subprocess.run(["sh", "-c", f"echo 'GET {url}' | {attack} attack -rate={target} -duration={d}s > {work}/v.bin"], check=True)
    v = json.loads(subprocess.run([attack, "report", "-type=json", f"{work}/v.bin"], capture_output=True, text=True, check=True).stdout)
    me = (r["achieved_rate"] - target) / target * 100
    ve = (v["rate"] - target) / target * 100
    print(f"{target:7} {r['achieved_rate']:15.1f} {me:6.2f}% {str(r['generator']['kept_up']):>8} {v['rate']:16.1f} {ve:6.2f}%")
PY
