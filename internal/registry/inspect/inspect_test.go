package inspect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
)

// static is a fake registry holding fixed data, for rendering tests; the
// Consul path is covered by testdata/script/registry_services.txtar.
type static struct{ ins []registry.Instance }

func (s static) Kind() string { return "static" }
func (s static) Services(context.Context, registry.Query) ([]registry.Service, error) {
	return []registry.Service{registry.Summarize("web", s.ins)}, nil
}
func (s static) Instances(context.Context, string) ([]registry.Instance, error) { return s.ins, nil }

func fixture() static {
	beat := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	return static{ins: []registry.Instance{
		{ID: "web-1", Service: "web", Node: "n1", Address: "10.0.0.1", Port: 80, Health: registry.Passing,
			Tags: []string{"a"}, Meta: map[string]string{"z": "1", "version": "1.0"}, Version: "1.0", NodeState: "alive",
			LeaseTTL: 30 * time.Second, LeaseRemaining: 12 * time.Second,
			Checks: []registry.Check{{ID: "c1", Name: "http", Type: "http", Status: registry.Passing, Definition: "http://10.0.0.1/health", Output: "HTTP GET: 200 OK\nbody"}}},
		{ID: "web-2", Service: "web", Address: "10.0.0.2", Port: 80, Health: registry.Critical, LastHeartbeat: &beat},
	}}
}

func TestInstancesPlain(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := ListInstances(context.Background(), ios, fixture(), "web", output.FormatTable); err != nil {
		t.Fatal(err)
	}
	want := `ID     NODE  ADDRESS      HEALTH    NODE STATE  VERSION  LEASE                      TAGS  META
web-1  n1    10.0.0.1:80  passing   alive       1.0      12s of 30s left            a     version=1.0,z=1
web-2  -     10.0.0.2:80  critical  -           -        beat 2026-11-27T10:00:00Z  -     -

INSTANCE  CHECK  TYPE  STATUS   TARGET                  OUTPUT
web-1     http   http  passing  http://10.0.0.1/health  HTTP GET: 200 OK body
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestServicesStyledAndJSON(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetTTY(true)
	ios.SetWidth(120)
	if err := ListServices(context.Background(), ios, fixture(), registry.Query{}, output.FormatTable); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stripANSI(out.String()), "critical") {
		t.Errorf("no worst state in %q", out.String())
	}
	ios, _, out, _ = iostreams.Test()
	if err := ListServices(context.Background(), ios, fixture(), registry.Query{}, output.FormatJSON); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"name": "web"`, `"instances": 2`, `"by_health"`, `"critical": 1`, `"versions": [`} {
		if !strings.Contains(out.String(), k) {
			t.Errorf("JSON lacks %s:\n%s", k, out.String())
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case r == 0x1b:
			esc = true
		case esc && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			esc = false
		case !esc:
			b.WriteRune(r)
		}
	}
	return b.String()
}
