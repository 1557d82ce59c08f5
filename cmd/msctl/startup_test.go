package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

// startupBudget is how many times grpcurl's start-up msctl's may cost:
// `msctl --version` against `grpcurl -version`, both built as released.
// The budget is spent on the field's official clients (clientv3, the AWS
// SDK's config chain, franz-go's kgo) and on building the whole command
// tree every run, rather than on hand-written stand-ins that save a
// millisecond nobody at a shell notices. README "Start-up" says why;
// `make bench-startup` prints the same ratio.
const startupBudget = 2.0

// releaseFlags are the build flags of msctl's and grpcurl's releases
// (.goreleaser.yaml, grpcurl's .goreleaser.yml): static, -trimpath,
// stripped of symbols and DWARF. A cgo or unstripped build adds loader and
// page-in work that is not either program's start-up.
var releaseFlags = []string{"-trimpath", "-ldflags", "-s -w"}

// msctlBin is msctl built as it is released, by TestMain.
var msctlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "msctl-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	msctlBin = filepath.Join(dir, "msctl")
	build := exec.Command("go", append(append([]string{"build"}, releaseFlags...), "-o", msctlBin, ".")...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// `msctl --version` costs at most startupBudget times `grpcurl -version`.
// Instructions are counted where a tool can count them (valgrind's
// callgrind, else perf's hardware counter): the count hardly moves with the
// machine's load, so a fixed ratio does not flake on a busy CI runner.
func TestStartupWithinBudget(t *testing.T) {
	grpcurl := releasedGrpcurl(t)
	m := pickMeter(t)
	msctlCost, grpcurlCost := m.pair(t, []string{msctlBin, "--version"}, []string{grpcurl, "-version"})
	if msctlCost <= 0 || grpcurlCost <= 0 {
		t.Fatalf("%s measured msctl %v, grpcurl %v: nothing was measured", m.name, msctlCost, grpcurlCost)
	}
	ratio := msctlCost / grpcurlCost
	t.Logf("%s: msctl --version %.4g, grpcurl -version %.4g %s: ratio %.2f (budget %.1f)",
		m.name, msctlCost, grpcurlCost, m.unit, ratio, startupBudget)
	if ratio > startupBudget {
		t.Errorf("msctl --version costs %.2f× grpcurl -version (%s: %.4g against %.4g %s), over the budget of %.1f×; "+
			"`GODEBUG=inittrace=1 msctl --version` shows which package inits cost most",
			ratio, m.name, msctlCost, grpcurlCost, m.unit, startupBudget)
	}
}

// releasedGrpcurl finds the grpcurl scripts/testenv.sh installs and checks
// that it is built as released, as msctlBin is; a comparison with a cgo or
// unstripped build would flatter msctl.
func releasedGrpcurl(t *testing.T) string {
	t.Helper()
	path, err := testserver.Find("grpcurl")
	if err != nil {
		t.Fatal(err)
	}
	const rebuild = "remove it and run `scripts/testenv.sh grpcurl`, which builds it as released (CGO_ENABLED=0 -trimpath -ldflags \"-s -w\")"
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("reading grpcurl's build information from %s: %v; %s", path, err, rebuild)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Fatalf("grpcurl at %s is not built as released (CGO_ENABLED=%q, -trimpath=%q); %s",
			path, settings["CGO_ENABLED"], settings["-trimpath"], rebuild)
	}
	// -trimpath leaves -ldflags out of the build information; a stripped
	// binary is one without a symbol table.
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	defer f.Close()
	if f.Section(".symtab") != nil {
		t.Fatalf("grpcurl at %s has a symbol table: it is not built with -ldflags \"-s -w\" as released; %s", path, rebuild)
	}
	return path
}

// A meter measures what one run of a command costs.
type meter struct {
	name, unit string
	runs       int
	run        func(t *testing.T, argv []string) float64
}

// pair measures a and b in interleaved runs, so that whatever else the
// machine does falls on both alike, and returns each one's median.
func (m meter) pair(t *testing.T, a, b []string) (float64, float64) {
	var as, bs []float64
	for range m.runs {
		as = append(as, m.run(t, a))
		bs = append(bs, m.run(t, b))
	}
	return median(as), median(bs)
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// pickMeter counts instructions with callgrind when valgrind is installed,
// else with perf when the machine exposes a hardware counter (many virtual
// machines do not), else times many paired runs.
func pickMeter(t *testing.T) meter {
	if vg, err := exec.LookPath("valgrind"); err == nil {
		return meter{name: "callgrind", unit: "instructions", runs: 3, run: func(t *testing.T, argv []string) float64 {
			return callgrindInstructions(t, vg, argv)
		}}
	}
	if perf, err := exec.LookPath("perf"); err == nil {
		if _, err := perfInstructions(perf, []string{msctlBin, "--version"}); err == nil {
			return meter{name: "perf stat", unit: "instructions", runs: 5, run: func(t *testing.T, argv []string) float64 {
				n, err := perfInstructions(perf, argv)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}}
		} else {
			t.Logf("perf cannot count instructions here (%v)", err)
		}
	}
	t.Logf("neither valgrind nor a working perf counts instructions here; comparing wall-clock medians of paired runs " +
		"(install valgrind, e.g. `apt-get install valgrind`, for a count that does not depend on the machine's load)")
	return meter{name: "wall clock", unit: "ns", runs: 201, run: func(t *testing.T, argv []string) float64 {
		start := time.Now()
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
		return float64(time.Since(start).Nanoseconds())
	}}
}

var callgrindCollected = regexp.MustCompile(`Collected : (\d+)`)

// callgrindInstructions counts the instructions argv executes, in every
// thread, under valgrind's callgrind.
func callgrindInstructions(t *testing.T, valgrind string, argv []string) float64 {
	t.Helper()
	cmd := exec.Command(valgrind, append([]string{"--tool=callgrind", "--callgrind-out-file=/dev/null"}, argv...)...)
	// Go's asynchronous preemption signals make valgrind's runs slow and
	// uneven; neither program runs long enough to need them. Valgrind
	// (3.19) cannot execute RDTSCP, which the runtime's cputicks uses when
	// the CPU has it (on lock contention, now and then): without it the
	// runtime uses LFENCE+RDTSC.
	//
	// The collector is off on both sides. When package inits cross its
	// first 4 MB goal, the first cycle runs concurrently on another core;
	// valgrind runs every thread on one, so that cycle (several million
	// instructions, a different number each run) would be counted as if it
	// delayed the start. `make bench-startup`'s wall-clock ratio, which
	// includes it as it is felt, is printed beside this count.
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off", "GOGC=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("valgrind %s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	m := callgrindCollected.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("valgrind %s: no instruction count in its output:\n%s", strings.Join(argv, " "), stderr.String())
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("valgrind %s: reading %q: %v", strings.Join(argv, " "), m[1], err)
	}
	return n
}

// perfInstructions counts the user-space instructions argv executes, in
// every thread, with perf's hardware counter.
func perfInstructions(perf string, argv []string) (float64, error) {
	cmd := exec.Command(perf, append([]string{"stat", "-x,", "-e", "instructions:u", "--"}, argv...)...)
	cmd.Env = append(os.Environ(), "GOGC=off") // as for callgrind
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("perf stat %s: %w\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	// CSV: the count is the first field of the instructions line.
	for _, line := range strings.Split(stderr.String(), "\n") {
		if f := strings.Split(line, ","); len(f) > 2 && strings.HasPrefix(f[2], "instructions") {
			n, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return 0, fmt.Errorf("perf stat %s: no count (%q)", strings.Join(argv, " "), f[0])
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("perf stat %s: no instructions line in:\n%s", strings.Join(argv, " "), stderr.String())
}
