// Package regdiff compares what two registries say, for example during a
// migration from Consul to Kubernetes: services only one of them has,
// instances (matched by address and port, since instance IDs are rarely
// the same across registries) only one has, and instances whose health
// differs.
package regdiff

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"time"

	"github.com/msctl/msctl/internal/registry"
)

// Difference is one disagreement.
type Difference struct {
	Service string `json:"service"`
	// Endpoint is the instance's address:port, empty for service-level
	// differences.
	Endpoint string `json:"endpoint,omitempty"`
	// Kind is service-only-in-from, service-only-in-to,
	// instance-only-in-from, instance-only-in-to or health-differs.
	Kind string `json:"kind"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Result is the comparison.
type Result struct {
	From        string       `json:"from"`
	To          string       `json:"to"`
	Services    int          `json:"services_compared"`
	Differences []Difference `json:"differences"`
}

// Snapshot reads every instance of every service of reg, eight services
// at a time (through registry.ReadInstances), each call to reg bounded by
// timeout when it is positive.
func Snapshot(ctx context.Context, reg registry.Registry, timeout time.Duration) (map[string][]registry.Instance, error) {
	return registry.ReadInstances(ctx, reg, nil, 8, timeout)
}

// Compare lists the differences between two snapshots, sorted by service
// then endpoint.
func Compare(from, to map[string][]registry.Instance) []Difference {
	var out []Difference
	names := map[string]bool{}
	for n := range from {
		names[n] = true
	}
	for n := range to {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		f, inFrom := from[n]
		t, inTo := to[n]
		switch {
		case !inTo:
			out = append(out, Difference{Service: n, Kind: "service-only-in-from", From: fmt.Sprintf("%d instance(s)", len(f))})
			continue
		case !inFrom:
			out = append(out, Difference{Service: n, Kind: "service-only-in-to", To: fmt.Sprintf("%d instance(s)", len(t))})
			continue
		}
		fe, te := endpoints(f), endpoints(t)
		keys := map[string]bool{}
		for k := range fe {
			keys[k] = true
		}
		for k := range te {
			keys[k] = true
		}
		ks := make([]string, 0, len(keys))
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			a, okA := fe[k]
			b, okB := te[k]
			switch {
			case !okB:
				out = append(out, Difference{Service: n, Endpoint: k, Kind: "instance-only-in-from", From: string(a.Health)})
			case !okA:
				out = append(out, Difference{Service: n, Endpoint: k, Kind: "instance-only-in-to", To: string(b.Health)})
			case healthy(a.Health) != healthy(b.Health):
				out = append(out, Difference{Service: n, Endpoint: k, Kind: "health-differs", From: string(a.Health), To: string(b.Health)})
			}
		}
	}
	if out == nil {
		out = []Difference{}
	}
	return out
}

// healthy folds states: registries disagree on what "warning" means (most
// have no such state), so only serving versus not serving is compared.
func healthy(h registry.Health) bool { return h == registry.Passing || h == registry.Warning }

func endpoints(ins []registry.Instance) map[string]registry.Instance {
	m := map[string]registry.Instance{}
	for _, in := range ins {
		m[net.JoinHostPort(in.Address, strconv.Itoa(in.Port))] = in
	}
	return m
}
