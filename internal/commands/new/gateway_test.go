package new

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
)

func TestGatewayFlagParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	f.ConfigFlag = filepath.Join(t.TempDir(), "none.yaml")
	var got *GatewayOptions
	cmd := newGatewayCmd(f, func(o *GatewayOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"edge", "--route", "/orders=orders", "--route", "/users=users/v1",
		"--composite", "/dashboard=orders/v1/items,people:users/v1/users", "--registry", "none", "--dry-run"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	a := got.Answers
	// A composite's commas stay inside its one value.
	if a.Name != "edge" || strings.Join(a.Routes, " ") != "/orders=orders /users=users/v1" ||
		len(a.Composites) != 1 || a.Registry != "none" || !got.DryRun || got.Interactive {
		t.Errorf("parsed %+v", got)
	}
	for _, k := range []string{"name", "route", "composite", "registry"} {
		if !got.Set[k] {
			t.Errorf("%s not marked as set", k)
		}
	}
}

func TestRunGateway(t *testing.T) {
	root := t.TempDir()
	run := func(args ...string) (string, string, error) {
		ios, _, out, errOut := iostreams.Test()
		f := cmdutil.New(ios)
		f.Getenv = func(string) string { return "" }
		f.ConfigFlag = filepath.Join(root, "none.yaml")
		cmd := NewCmd(f)
		cmd.SetArgs(append([]string{"gateway"}, args...))
		err := cmd.Execute()
		return out.String(), errOut.String(), err
	}
	dir := filepath.Join(root, "edge")
	for _, bad := range [][]string{
		{"edge", "--dir", dir, "--route", "orders"},
		{"edge", "--dir", dir, "--route", "/o=o", "--composite", "/d=o"},
		{"Edge", "--dir", dir, "--route", "/o=o"},
		{"edge", "--dir", dir},
		{"--dir", dir, "--route", "/o=o"},
		{"edge", "--dir", dir, "--route", "/o=o", "--diff"},
	} {
		_, _, err := run(bad...)
		if exitcode.Of(err) != exitcode.Usage || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line and exit 2", bad, err)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("bad input wrote the project")
	}
	answers := filepath.Join(root, "edge.yaml")
	os.WriteFile(answers, []byte("name: edge\nroutes: [/orders=orders]\nrate_burst: 9\n"), 0o644)
	out, errOut, err := run("--answers", answers, "--dir", dir, "--route", "/orders=orders", "--route", "/users=users")
	if err != nil || !strings.Contains(out, "internal/proxy/proxy.go") || !strings.Contains(errOut, "created") {
		t.Fatalf("write: %v\n%s\n%s", err, out, errOut)
	}
	defaults, _ := os.ReadFile(filepath.Join(dir, "internal/config/config.go"))
	routes, _ := os.ReadFile(filepath.Join(dir, "internal/config/routes.go"))
	if !strings.Contains(string(defaults), `env("RATE_BURST", "9")`) || !strings.Contains(string(routes), `"/users=users"`) {
		t.Error("the answers file and the --route flags were not both applied")
	}
	os.WriteFile(filepath.Join(dir, "Makefile"), []byte("all:\n"), 0o644)
	out, _, err = run("--upgrade", "--dir", dir, "-o", "json")
	if exitcode.Of(err) != exitcode.CheckFailed || !strings.Contains(err.Error(), "Makefile") || !strings.Contains(out, `"conflicts": 1`) {
		t.Fatalf("conflict: %v\n%s", err, out)
	}
}
