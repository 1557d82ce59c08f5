// Package watch turns successive views of a service's instances into a
// timeline of changes: instances added or removed, health and check state
// transitions, address or tag changes. Views come from the registry's
// blocking queries (registry.Watcher) or, for registries without them, from
// polling. Index bumps that change nothing visible produce no event, and an
// instance whose state changes N times within a window is marked flapping.
package watch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/registry"
)

// Event is one change in the timeline.
type Event struct {
	Time     time.Time `json:"time"`
	Service  string    `json:"service"`
	Instance string    `json:"instance"`
	// Kind is added, removed, health, check or changed.
	Kind   string `json:"kind"`
	Check  string `json:"check,omitempty"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Flapping is set on a transition that makes the instance's count of
	// transitions within the window reach the threshold.
	Flapping    bool `json:"flapping,omitempty"`
	Transitions int  `json:"transitions,omitempty"`
}

// Options bound and tune a watch.
type Options struct {
	Service string
	// FlapCount transitions of one instance within FlapWindow mark it flapping.
	FlapCount  int
	FlapWindow time.Duration
	// Poll is the interval for registries without blocking queries.
	Poll time.Duration
	// Now is the clock.
	Now func() time.Time
	// OnError reports a transient error (the watch retries); may be nil.
	OnError func(error)
}

// Run watches until ctx ends (Ctrl-C or the --for deadline) and calls emit
// for each event; the first view is passed to initial. It returns nil when
// ctx ends, and the error when the first read fails (so that an
// unreachable registry is reported at once rather than retried forever).
func Run(ctx context.Context, reg registry.Registry, opts Options, initial func([]registry.Instance), emit func(Event) error) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FlapCount <= 0 {
		opts.FlapCount = 3
	}
	if opts.FlapWindow <= 0 {
		opts.FlapWindow = time.Minute
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	w, blocking := reg.(registry.Watcher)
	var index uint64
	next := func(first bool) ([]registry.Instance, error) {
		if blocking {
			ins, idx, err := w.WatchInstances(ctx, opts.Service, index)
			if err == nil {
				// A reset index (a snapshot restore) must restart from 0,
				// as Consul's documentation asks of blocking clients.
				if idx < index {
					idx = 0
				}
				index = idx
			}
			return ins, err
		}
		if !first {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(opts.Poll):
			}
		}
		ins, err := reg.Instances(ctx, opts.Service)
		if errors.Is(err, registry.ErrServiceNotFound) {
			return nil, nil
		}
		return ins, err
	}
	prev, err := next(true)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	initial(prev)
	flaps := map[string][]time.Time{}
	backoff := time.Second
	for {
		cur, err := next(false)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if opts.OnError != nil {
				opts.OnError(err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = time.Second
		now := opts.Now()
		// One change of an instance often shows as several events (its
		// health and the check that moved it): it counts once towards
		// flapping, on the first of them.
		counted := map[string]bool{}
		for _, ev := range Diff(opts.Service, prev, cur) {
			ev.Time = now
			if ev.Kind != "changed" && !counted[ev.Instance] {
				counted[ev.Instance] = true
				ts := append(flaps[ev.Instance], now)
				cut := 0
				for cut < len(ts) && now.Sub(ts[cut]) > opts.FlapWindow {
					cut++
				}
				ts = ts[cut:]
				flaps[ev.Instance] = ts
				ev.Transitions = len(ts)
				ev.Flapping = len(ts) >= opts.FlapCount
			}
			if err := emit(ev); err != nil {
				return err
			}
		}
		prev = cur
	}
}

// Diff lists what changed between two views of a service, in a stable
// order. Identical views give no events, which is how index bumps caused by
// other services or by output-only check updates are ignored.
func Diff(service string, prev, cur []registry.Instance) []Event {
	key := func(in registry.Instance) string { return in.Node + "/" + in.ID }
	old := map[string]registry.Instance{}
	for _, in := range prev {
		old[key(in)] = in
	}
	seen := map[string]bool{}
	var out []Event
	for _, in := range cur {
		k := key(in)
		seen[k] = true
		p, ok := old[k]
		if !ok {
			out = append(out, Event{Service: service, Instance: in.ID, Kind: "added", To: string(in.Health),
				Detail: fmt.Sprintf("%s:%d on %s", in.Address, in.Port, in.Node)})
			continue
		}
		if p.Health != in.Health {
			out = append(out, Event{Service: service, Instance: in.ID, Kind: "health", From: string(p.Health), To: string(in.Health)})
		}
		pc := map[string]registry.Check{}
		for _, c := range p.Checks {
			pc[c.ID] = c
		}
		for _, c := range in.Checks {
			if o, ok := pc[c.ID]; ok && o.Status != c.Status {
				out = append(out, Event{Service: service, Instance: in.ID, Kind: "check", Check: checkName(c),
					From: string(o.Status), To: string(c.Status), Detail: c.Output})
			} else if !ok {
				out = append(out, Event{Service: service, Instance: in.ID, Kind: "check", Check: checkName(c),
					To: string(c.Status), Detail: "check added"})
			}
		}
		var changes []string
		if p.Address != in.Address || p.Port != in.Port {
			changes = append(changes, fmt.Sprintf("address %s:%d -> %s:%d", p.Address, p.Port, in.Address, in.Port))
		}
		if strings.Join(p.Tags, ",") != strings.Join(in.Tags, ",") {
			changes = append(changes, fmt.Sprintf("tags [%s] -> [%s]", strings.Join(p.Tags, ","), strings.Join(in.Tags, ",")))
		}
		if p.Version != in.Version {
			changes = append(changes, fmt.Sprintf("version %s -> %s", p.Version, in.Version))
		}
		if len(changes) > 0 {
			out = append(out, Event{Service: service, Instance: in.ID, Kind: "changed", Detail: strings.Join(changes, "; ")})
		}
	}
	var gone []string
	for k := range old {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		p := old[k]
		out = append(out, Event{Service: service, Instance: p.ID, Kind: "removed", From: string(p.Health),
			Detail: fmt.Sprintf("%s:%d on %s", p.Address, p.Port, p.Node)})
	}
	return out
}

func checkName(c registry.Check) string {
	if c.ID == "" {
		return c.Name
	}
	return c.ID
}
