#!/usr/bin/env bash
# Compares msctl's start-up (`msctl --version`) with grpcurl's
# (`grpcurl -version`), side by side in one run, and prints the ratios.
#
# Both are built the way their releases are (CGO_ENABLED=0, -trimpath,
# -ldflags '-s -w'): a cgo build adds the dynamic loader's time to both and
# hides the difference. Wall time is the median of interleaved runs, so a
# busy machine slows both alike; when valgrind is installed the script also
# counts the instructions each executes, which hardly depends on the load.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${BENCH_DIR:-$repo/bin/bench}
runs=${RUNS:-300}
grpcurl_version=v1.9.4
mkdir -p "$out"

export CGO_ENABLED=0
(cd "$repo" && go build -trimpath -ldflags '-s -w' -o "$out/msctl" ./cmd/msctl)
if [ ! -x "$out/grpcurl-$grpcurl_version" ]; then
	echo "building grpcurl $grpcurl_version as its release is built" >&2
	tmp=$(mktemp -d)
	GOBIN=$tmp go install -trimpath -ldflags '-s -w' \
		"github.com/fullstorydev/grpcurl/cmd/grpcurl@$grpcurl_version"
	mv "$tmp/grpcurl" "$out/grpcurl-$grpcurl_version"
	rmdir "$tmp"
fi

python3 - "$runs" "$out/msctl" "$out/grpcurl-$grpcurl_version" <<'PY'
import os, shutil, statistics, subprocess, sys, time

runs, msctl, grpcurl = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = {"msctl --version": [msctl, "--version"], "grpcurl -version": [grpcurl, "-version"]}
null = open(os.devnull, "w")
for cmd in cmds.values():  # warm the page cache
    for _ in range(20):
        subprocess.run(cmd, stdout=null, stderr=null)

# Interleaved, so load on the machine falls on both alike. The time of an
# empty run of /bin/true is subtracted: it is the cost of starting any
# process from Python, not of either program.
times = {name: [] for name in cmds}
base = []
for _ in range(runs):
    for name, cmd in cmds.items():
        t = time.perf_counter()
        subprocess.run(cmd, stdout=null, stderr=null)
        times[name].append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run(["/bin/true"], stdout=null, stderr=null)
    base.append(time.perf_counter() - t)
b = statistics.median(base)
med = {name: (statistics.median(ts) - b) * 1000 for name, ts in times.items()}
for name, m in med.items():
    print(f"{name:18} median {m:6.2f} ms (process start-up subtracted)")
print(f"ratio msctl/grpcurl, wall time:    {med['msctl --version'] / med['grpcurl -version']:.2f}")

if shutil.which("valgrind"):
    ins = {}
    for name, cmd in cmds.items():
        # asyncpreemptoff: valgrind's callgrind trips over Go's preemption signals.
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                           env=dict(os.environ, GODEBUG="asyncpreemptoff=1"),
                           stdout=null, stderr=subprocess.PIPE, text=True)
        for line in r.stderr.splitlines():
            if "Collected" in line:
                ins[name] = int(line.split()[-1])
    if len(ins) == 2:
        for name, n in ins.items():
            print(f"{name:18} {n / 1e6:6.2f} M instructions")
        print(f"ratio msctl/grpcurl, instructions: {ins['msctl --version'] / ins['grpcurl -version']:.2f}")
PY
