package new

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/scaffold/service"
)

func TestServiceFlagParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	f.ConfigFlag = filepath.Join(t.TempDir(), "none.yaml")
	var got *ServiceOptions
	cmd := newServiceCmd(f, func(o *ServiceOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"orders", "--module", "example.com/x/orders", "--protocol", "http,grpc", "--protocol", "events",
		"--broker", "kafka", "--rate-limit", "5", "--dry-run", "--diff", "--dir", "out"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	a := got.Answers
	if a.Name != "orders" || a.Module != "example.com/x/orders" || strings.Join(a.Protocols, ",") != "http,grpc,events" ||
		a.Broker != "kafka" || a.RateLimit != 5 || !got.DryRun || !got.Diff || got.Dir != "out" {
		t.Errorf("parsed %+v", got)
	}
	for _, k := range []string{"name", "module", "protocol", "broker", "rate-limit"} {
		if !got.Set[k] {
			t.Errorf("%s not marked as set", k)
		}
	}
	if got.Set["registry"] || got.Interactive {
		t.Errorf("registry marked set or interactive: %+v", got)
	}
}

// TestAnswersPrecedence: flags override the answers file, which
// overrides defaults.
func TestAnswersPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.yaml")
	os.WriteFile(file, []byte("name: fromfile\nprotocols: [grpc]\nregistry: none\nrate_burst: 7\n"), 0o644)
	opts := &ServiceOptions{AnswersFile: file, Set: map[string]bool{"protocol": true}, Answers: service.Answers{Protocols: []string{"http"}}}
	a, err := resolveAnswers(opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "fromfile" || strings.Join(a.Protocols, ",") != "http" || a.Registry != "none" || a.RateBurst != 7 {
		t.Errorf("resolved %+v", a)
	}
}

func TestRunServiceWritesAndReportsConflicts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	run := func(args ...string) (string, string, error) {
		ios, _, out, errOut := iostreams.Test()
		f := cmdutil.New(ios)
		f.Getenv = func(string) string { return "" }
		f.ConfigFlag = filepath.Join(t.TempDir(), "none.yaml")
		cmd := NewCmd(f)
		cmd.SetArgs(append([]string{"service"}, args...))
		err := cmd.Execute()
		return out.String(), errOut.String(), err
	}
	out, errOut, err := run("svc", "--dir", dir, "--registry", "none")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "create") || !strings.Contains(errOut, "created") {
		t.Errorf("first run output:\n%s\n%s", out, errOut)
	}
	os.WriteFile(filepath.Join(dir, "Makefile"), []byte("all:\n"), 0o644)
	out, _, err = run("svc", "--dir", dir, "-o", "json")
	if exitcode.Of(err) != exitcode.CheckFailed || !strings.Contains(err.Error(), "Makefile") {
		t.Fatalf("err = %v, want exit 1 naming Makefile", err)
	}
	if !strings.Contains(out, `"conflicts": 1`) || !strings.Contains(out, `"action": "conflict"`) {
		t.Errorf("json:\n%s", out)
	}
	if _, _, err := run("../bad", "--dir", filepath.Join(dir, "x")); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("bad name: %v, want exit 2", err)
	}
	if _, _, err := run("svc", "--diff"); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("--diff without --dry-run: %v, want exit 2", err)
	}
}

func TestListJSON(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := RunList(&ListOptions{IO: ios, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind": "set"`, `"name": "websocket"`, `"name": "kafka"`, `"kind": "option"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list lacks %s", want)
		}
	}
}

// TestForm answers the interactive form line by line (huh's accessible
// mode reads the same questions from stdin).
func TestForm(t *testing.T) {
	ios, in, _, _ := iostreams.Test()
	// name, module (empty: default), protocols (toggle 5 = events, then
	// done), registry (3 = none), broker (3 = kafka), port, rate, burst.
	in.WriteString("shop-orders\n\n5\n0\n3\n3\n8081\n10\n20\n")
	// One byte per read, as a terminal delivers a line at a time: each
	// question reads its own line.
	ios.In = iotest.OneByteReader(in)
	a, err := askService(ios, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Normalize(); err != nil {
		t.Fatal(err)
	}
	if a.Name != "shop-orders" || a.Module != "example.com/shop-orders" || strings.Join(a.Protocols, ",") != "http,events" ||
		a.Registry != "none" || a.Broker != "kafka" || a.HTTPPort != 8081 || a.RateLimit != 10 || a.RateBurst != 20 {
		t.Errorf("form answers %+v", a)
	}
}

// TestAddProtocolHintsGoGet: go.mod is the user's after creation, so adding
// a protocol names the modules to get.
func TestAddProtocolHintsGoGet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	run := func(args ...string) string {
		ios, _, _, errOut := iostreams.Test()
		f := cmdutil.New(ios)
		f.Getenv = func(string) string { return "" }
		f.ConfigFlag = filepath.Join(t.TempDir(), "none.yaml")
		cmd := NewCmd(f)
		cmd.SetArgs(append([]string{"service", "svc", "--dir", dir}, args...))
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		return errOut.String()
	}
	if out := run("--protocol", "http", "--registry", "none"); strings.Contains(out, "go get") {
		t.Errorf("first run hints go get:\n%s", out)
	}
	out := run("--protocol", "http,grpc")
	if !strings.Contains(out, "go get google.golang.org/grpc@v1.83.2 && go mod tidy") {
		t.Errorf("no go get hint for grpc:\n%s", out)
	}
}
