#!/usr/bin/env bash
# Compares `msctl probe http --count N` with N runs of curl against the same
# local server, side by side in one run, and prints the per-probe cost and
# the ratios. Three peers:
#   curl xN        a new curl process per probe (what a shell loop does)
#   curl 1xN URLs  one curl process fetching the URL N times over one
#                  kept connection (curl's best case)
#   msctl          one msctl process, N probes over one kept connection
# Then the Go benchmark isolates msctl's own overhead per probe over a kept
# connection (goal: under 50 µs).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
n=${N:-1000}
work=$(mktemp -d)
trap 'exec 3>&-; rm -rf "$work"' EXIT

go build -o "$work/msctl" "$repo/cmd/msctl"
go build -o "$work/probeserver" "$repo/scripts/bench/probeserver"
command -v curl >/dev/null || { echo "curl is needed: apt-get install curl" >&2; exit 1; }

# The server lives as long as fd 3 is open: closing it (at exit) stops it.
coproc SERVER { "$work/probeserver"; }
exec 3>&"${SERVER[1]}"
read -r url <&"${SERVER[0]}"
echo "server: $url  probes: $n" >&2

seconds() { echo "$EPOCHREALTIME"; }
elapsed() { python3 -c "print(f'{($2 - $1):.4f}')"; }

t0=$(seconds)
for _ in $(seq "$n"); do curl -s -o /dev/null "$url"; done
t1=$(seconds)
urls=()
for _ in $(seq "$n"); do urls+=("$url"); done
curl -s "${urls[@]}" >/dev/null
t2=$(seconds)
"$work/msctl" probe http --count "$n" -o json "$url" >"$work/results.ndjson" 2>/dev/null
t3=$(seconds)
ok=$(grep -c '"ok":true' "$work/results.ndjson" || true)
[ "$ok" = "$n" ] || { echo "msctl: only $ok of $n probes passed" >&2; exit 1; }

python3 - "$n" "$(elapsed "$t0" "$t1")" "$(elapsed "$t1" "$t2")" "$(elapsed "$t2" "$t3")" <<'PY'
import sys
n = int(sys.argv[1]); loop, one, msctl = map(float, sys.argv[2:])
per = lambda s: s / n * 1e6
print(f"curl x{n} (a process per probe)      {loop:7.3f} s  {per(loop):8.1f} µs/probe")
print(f"curl, one process, {n} URLs          {one:7.3f} s  {per(one):8.1f} µs/probe")
print(f"msctl probe http --count {n}          {msctl:7.3f} s  {per(msctl):8.1f} µs/probe (incl. start-up and NDJSON)")
print(f"ratio curl-loop/msctl: {loop / msctl:.1f}x   ratio curl-one-process/msctl: {one / msctl:.2f}x")
PY

echo "msctl's own overhead per probe over a kept connection (Go benchmark):"
(cd "$repo" && go test ./internal/probe/ -run '^$' -bench BenchmarkProbeHTTP -benchtime 5000x -count 3) |
	awk '/^BenchmarkProbeHTTP/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /-µs\/op$/) printf "  %s %s", $(i+1), $i; print "" }'
