package regdiff

import (
	"context"
	"fmt"
	"testing"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry/consul"
	"github.com/msctl/msctl/internal/registry/regtest"
	"github.com/msctl/msctl/internal/testserver"
)

// TestDiffTwoAgents compares two real, separate Consul clusters.
func TestDiffTwoAgents(t *testing.T) {
	a := testserver.StartConsul(t)
	b := testserver.StartConsul(t, testserver.ConsulOptions{NodeName: "other"})
	reg := func(addr string, s regtest.Service) { regtest.Register(t, addr, s) }
	// web: same endpoints, one critical in b; one endpoint only in each.
	reg(a.HTTPAddr, regtest.Service{ID: "web-1", Name: "web", Address: "10.0.0.1", Port: 80})
	reg(b.HTTPAddr, regtest.Service{ID: "web-a", Name: "web", Address: "10.0.0.1", Port: 80})
	reg(a.HTTPAddr, regtest.Service{ID: "web-2", Name: "web", Address: "10.0.0.2", Port: 80})
	reg(b.HTTPAddr, regtest.Service{ID: "web-b", Name: "web", Address: "10.0.0.2", Port: 80,
		Checks: []regtest.Check{{TTL: "1h", Status: "critical"}}})
	reg(a.HTTPAddr, regtest.Service{ID: "web-3", Name: "web", Address: "10.0.0.3", Port: 80})
	reg(b.HTTPAddr, regtest.Service{ID: "web-c", Name: "web", Address: "10.0.0.4", Port: 80})
	reg(a.HTTPAddr, regtest.Service{ID: "old", Name: "legacy", Address: "10.0.0.9", Port: 1})

	ctx := context.Background()
	ra, _ := consul.New(config.Context{Address: a.HTTPAddr})
	rb, _ := consul.New(config.Context{Address: b.HTTPAddr})
	sa, err := Snapshot(ctx, ra, 0)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Snapshot(ctx, rb, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range Compare(sa, sb) {
		if d.Service == "consul" {
			continue // each cluster's own servers differ, truthfully
		}
		got = append(got, fmt.Sprintf("%s %s %s %s>%s", d.Service, d.Endpoint, d.Kind, d.From, d.To))
	}
	want := []string{
		"legacy  service-only-in-from 1 instance(s)>",
		"web 10.0.0.2:80 health-differs passing>critical",
		"web 10.0.0.3:80 instance-only-in-from passing>",
		"web 10.0.0.4:80 instance-only-in-to >passing",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("differences:\n%q\nwant\n%q", got, want)
	}
	if d := Compare(sa, sa); len(d) != 0 {
		t.Errorf("a registry differs from itself: %v", d)
	}
}
