package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// msctl must start as fast as grpcurl (make bench-startup compares them).
// Timing is for the benchmark; these tests guard what makes start-up slow
// and can be checked exactly: packages with a costly init, and a garbage
// collection during init.

// Packages whose init is costly, with what msctl uses instead.
var slowInit = map[string]string{
	"github.com/bufbuild/protocompile": "jhump/protoreflect's desc/protoparse, linked anyway through grpcurl",
	// franz-go's client links these codecs and builds CRC32C tables at
	// init; the Kafka probe speaks the protocol with franz-go's kmsg.
	"github.com/twmb/franz-go/pkg/kgo":   "the Kafka probe's own wire code over franz-go's kmsg",
	"github.com/klauspost/compress/zstd": "the Kafka probe's own wire code (it reads gzip batches only)",
	"github.com/klauspost/compress/s2":   "the Kafka probe's own wire code (it reads gzip batches only)",
	"github.com/pierrec/lz4/v4":          "the Kafka probe's own wire code (it reads gzip batches only)",
}

func TestNoSlowInitPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if instead, ok := slowInit[p]; ok {
			t.Errorf("msctl links %s again, whose package init slows every start; use %s", p, instead)
		}
	}
}

// msctlBin is msctl built as it is released (static), by TestMain.
var msctlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "msctl-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	msctlBin = filepath.Join(dir, "msctl")
	build := exec.Command("go", "build", "-trimpath", "-o", msctlBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func TestNoGarbageCollectionDuringStartup(t *testing.T) {
	bin := msctlBin
	cmd := exec.Command(bin, "--version")
	cmd.Env = append(os.Environ(), "GOGC=100", "GODEBUG=gctrace=1,inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("msctl --version: %v\n%s", err, out)
	}
	var allocated int
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "gc ") {
			t.Errorf("a garbage collection ran during `msctl --version`: package inits allocate too much\n%s", line)
		}
		// init PKG @T ms, C ms clock, B bytes, N allocs
		if f := strings.Fields(line); len(f) == 11 && f[0] == "init" {
			n, err := strconv.Atoi(f[7])
			if err != nil {
				t.Fatalf("reading %q: %v", line, err)
			}
			allocated += n
		}
	}
	t.Logf("package inits allocate %d bytes", allocated)
	if allocated == 0 {
		t.Errorf("no inittrace lines read from:\n%s", out)
	}
}
