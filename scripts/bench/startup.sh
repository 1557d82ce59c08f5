#!/usr/bin/env bash
# Compares msctl's start-up time (`msctl --version`) with grpcurl's, side by
# side in one run, and prints the ratio. Uses hyperfine when installed,
# otherwise a plain timing loop.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MSCTL_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/msctl-testenv/bin}
runs=${RUNS:-200}

go build -o "$repo/bin/msctl" "$repo/cmd/msctl"
if [ ! -x "$bin/grpcurl" ]; then
	echo "building grpcurl v1.9.4 for the comparison" >&2
	GOBIN="$bin" go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
fi

if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 20 --runs "$runs" --export-json /tmp/msctl-startup.json \
		"$repo/bin/msctl --version" "$bin/grpcurl -version" >&2
	python3 - <<'PY'
import json
r = json.load(open('/tmp/msctl-startup.json'))['results']
m, g = r[0]['median'] * 1000, r[1]['median'] * 1000
print(f"msctl --version   median {m:.2f} ms")
print(f"grpcurl -version  median {g:.2f} ms")
print(f"ratio msctl/grpcurl: {m / g:.2f}")
PY
	exit 0
fi

time_it() { # median wall time in ms of $runs runs of "$@"
	python3 - "$runs" "$@" <<'PY'
import subprocess, sys, time, statistics
n = int(sys.argv[1]); cmd = sys.argv[2:]
ts = []
for _ in range(n):
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); ts.append(time.perf_counter() - t)
print(f"{statistics.median(ts) * 1000:.2f}")
PY
}
m=$(time_it "$repo/bin/msctl" --version)
g=$(time_it "$bin/grpcurl" -version)
echo "msctl --version   median $m ms"
echo "grpcurl -version  median $g ms"
python3 -c "print(f'ratio msctl/grpcurl: {$m / $g:.2f}')"
