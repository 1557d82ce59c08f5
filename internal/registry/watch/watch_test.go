package watch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/consul"
	"github.com/msctl/msctl/internal/registry/regtest"
	"github.com/msctl/msctl/internal/testserver"
)

func TestDiff(t *testing.T) {
	a := registry.Instance{ID: "a", Node: "n", Address: "10.0.0.1", Port: 80, Health: registry.Passing,
		Checks: []registry.Check{{ID: "c", Status: registry.Passing}}}
	aCrit := a
	aCrit.Health = registry.Critical
	aCrit.Checks = []registry.Check{{ID: "c", Status: registry.Critical, Output: "boom"}}
	aMoved := a
	aMoved.Port = 81
	aMoved.Tags = []string{"x"}
	b := registry.Instance{ID: "b", Node: "n", Address: "10.0.0.2", Port: 80, Health: registry.Passing}
	for _, tt := range []struct {
		name      string
		prev, cur []registry.Instance
		want      []string
	}{
		{"nothing changed (an index bump)", []registry.Instance{a}, []registry.Instance{a}, nil},
		{"added", []registry.Instance{a}, []registry.Instance{a, b}, []string{"added b"}},
		{"removed", []registry.Instance{a, b}, []registry.Instance{a}, []string{"removed b"}},
		{"check fails", []registry.Instance{a}, []registry.Instance{aCrit}, []string{"health a passing->critical", "check a passing->critical"}},
		{"moved", []registry.Instance{a}, []registry.Instance{aMoved}, []string{"changed a address 10.0.0.1:80 -> 10.0.0.1:81; tags [] -> [x]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, ev := range Diff("s", tt.prev, tt.cur) {
				switch ev.Kind {
				case "health", "check":
					got = append(got, fmt.Sprintf("%s %s %s->%s", ev.Kind, ev.Instance, ev.From, ev.To))
				case "changed":
					got = append(got, fmt.Sprintf("changed %s %s", ev.Instance, ev.Detail))
				default:
					got = append(got, ev.Kind+" "+ev.Instance)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWatchConsul drives a real agent through every transition and checks
// that the blocking-query watch reports each one, and flags the flapping.
func TestWatchConsul(t *testing.T) {
	c := testserver.StartConsul(t)
	regtest.Register(t, c.HTTPAddr, regtest.Service{ID: "web-1", Name: "web", Address: "127.0.0.1", Port: 80,
		Checks: []regtest.Check{{CheckID: "ttl-1", TTL: "1h", Status: "passing"}}})
	reg, err := consul.New(config.Context{Address: c.HTTPAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	events := make(chan Event, 100)
	ready := make(chan int, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, reg, Options{Service: "web", FlapCount: 3, FlapWindow: time.Minute},
			func(ins []registry.Instance) { ready <- len(ins) },
			func(ev Event) error { events <- ev; return nil })
	}()
	if n := <-ready; n != 1 {
		t.Fatalf("initial instances = %d", n)
	}
	next := func(kind, instance, to string) Event {
		t.Helper()
		for {
			select {
			case ev := <-events:
				if ev.Kind == kind && ev.Instance == instance && ev.To == to {
					return ev
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("no %s event for %s to %q", kind, instance, to)
			}
		}
	}
	regtest.SetTTL(t, c.HTTPAddr, "ttl-1", "warn", "slow")
	if ev := next("health", "web-1", "warning"); ev.From != "passing" || ev.Flapping {
		t.Errorf("first transition %+v", ev)
	}
	regtest.SetTTL(t, c.HTTPAddr, "ttl-1", "fail", "down")
	if ev := next("check", "web-1", "critical"); ev.From != "warning" || ev.Check != "ttl-1" {
		t.Errorf("check event %+v", ev)
	}
	regtest.SetTTL(t, c.HTTPAddr, "ttl-1", "pass", "ok")
	if ev := next("health", "web-1", "passing"); !ev.Flapping || ev.Transitions < 3 {
		t.Errorf("third transition within a minute must be flapping: %+v", ev)
	}
	regtest.Register(t, c.HTTPAddr, regtest.Service{ID: "web-2", Name: "web", Address: "127.0.0.1", Port: 81})
	next("added", "web-2", "passing")
	regtest.Put(t, c.HTTPAddr, "/v1/agent/service/deregister/web-2", nil)
	if ev := next("removed", "web-2", ""); ev.From != "passing" {
		t.Errorf("removed %+v", ev)
	}
	// An index bump from another service changes nothing for web.
	regtest.Register(t, c.HTTPAddr, regtest.Service{ID: "other", Name: "other", Port: 1})
	select {
	case ev := <-events:
		if ev.Instance != "web-1" && ev.Instance != "web-2" {
			t.Errorf("unexpected event %+v", ev)
		}
	case <-time.After(time.Second):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watch ended with %v, want nil on cancel", err)
	}
}
