#!/usr/bin/env bash
# Compares msctl's start-up (`msctl --version`) with grpcurl's
# (`grpcurl -version`), side by side in one run, and prints the ratios
# against msctl's budget: at most 2.0x grpcurl (cmd/msctl/startup_test.go
# holds the same budget).
#
# Both are built the way their releases are (CGO_ENABLED=0, -trimpath,
# -ldflags '-s -w'): a cgo build adds the dynamic loader's time to both and
# hides the difference. grpcurl is the one scripts/testenv.sh builds so.
# Wall time is the median of interleaved runs, so a busy machine slows both
# alike; when valgrind is installed the script also counts the instructions
# each executes, which hardly depends on the load.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${BENCH_DIR:-$repo/bin/bench}
runs=${RUNS:-300}
budget=2.0
mkdir -p "$out"

export CGO_ENABLED=0
(cd "$repo" && go build -trimpath -ldflags '-s -w' -o "$out/msctl" ./cmd/msctl)
"$repo/scripts/testenv.sh" grpcurl
grpcurl=${MSCTL_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/msctl-testenv/bin}/grpcurl

python3 - "$runs" "$out/msctl" "$grpcurl" "$budget" <<'PY'
import os, shutil, statistics, subprocess, sys, time

runs, msctl, grpcurl, budget = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
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
ms = {name: (statistics.median(ts) - b) * 1000 for name, ts in times.items()}

ins = {}
if shutil.which("valgrind"):
    for name, cmd in cmds.items():
        # asyncpreemptoff: valgrind's callgrind trips over Go's preemption
        # signals; cpu.rdtscp=off: valgrind cannot execute RDTSCP, which the
        # runtime uses now and then; GOGC=off: valgrind would serialize the
        # concurrent first collection (cmd/msctl/startup_test.go says more).
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                           env=dict(os.environ, GODEBUG="asyncpreemptoff=1,cpu.rdtscp=off", GOGC="off"),
                           stdout=null, stderr=subprocess.PIPE, text=True)
        for line in r.stderr.splitlines():
            if "Collected" in line:
                ins[name] = int(line.split()[-1])

m, g = "msctl --version", "grpcurl -version"
rows = [("wall time, median (ms)", ms[m], ms[g], "{:.2f}")]
if len(ins) == 2:
    rows.append(("instructions, GC off (M)", ins[m] / 1e6, ins[g] / 1e6, "{:.2f}"))
print(f"{'':24} {m:>16} {g:>17} {'ratio':>6}  budget")
for label, a, c, fmt in rows:
    ratio = a / c
    print(f"{label:24} {fmt.format(a):>16} {fmt.format(c):>17} {ratio:5.2f}x  <= {budget:.1f}x")
if not ins:
    print("(install valgrind for an instruction count, which hardly depends on the load)")
# The instruction count decides when there is one: wall time on a shared
# machine moves with whatever else runs.
decisive = ins[m] / ins[g] if len(ins) == 2 else ms[m] / ms[g]
if decisive > budget:
    print(f"OVER BUDGET: msctl starts {decisive:.2f}x as slowly as grpcurl (budget {budget:.1f}x)")
    sys.exit(1)
print(f"within budget: {decisive:.2f}x grpcurl (at most {budget:.1f}x)")
PY
