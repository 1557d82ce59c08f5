// Package doctor is the on-call diagnosis of service discovery. For each
// service it lines up every source of discovery data the registry offers
// (catalog and health through registry.Registry; gossip members, DNS, stale
// versus consistent reads and the leader through the optional capability
// interfaces; and msctl's own TCP/HTTP probes of each instance) and reports
// findings where they disagree or where something is wrong, each with a
// stable ID, a severity, the reason and a suggested next step.
//
// It works on any registry.Registry: an adapter that implements fewer
// capabilities simply contributes fewer sources.
package doctor

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/msctl/msctl/internal/registry"
)

// Severity ranks findings.
type Severity string

// The severities, from least to most severe.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Rank orders severities; unknown ones rank as info.
func (s Severity) Rank() int {
	switch s {
	case Warning:
		return 1
	case Critical:
		return 2
	}
	return 0
}

// Finding is one diagnosed problem.
type Finding struct {
	// ID names the kind of problem; it is stable across releases so that
	// scripts can match on it (see docs/registry.md for the list).
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Service  string   `json:"service,omitempty"`
	Instance string   `json:"instance,omitempty"`
	Node     string   `json:"node,omitempty"`
	// Reason says what is wrong, Next what to do about it.
	Reason string `json:"reason"`
	Next   string `json:"next"`
}

// SourceView is what one source said about a service.
type SourceView struct {
	Name string `json:"name"` // catalog, health, gossip, dns, consistency, probe
	// Status is ok, differs or unavailable (the source could not be read;
	// Detail says why).
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// ServiceReport is the diagnosis of one service.
type ServiceReport struct {
	Service   string              `json:"service"`
	Instances []registry.Instance `json:"instances"`
	Sources   []SourceView        `json:"sources"`
	Probes    []Probe             `json:"probes,omitempty"`
}

// Probe is msctl's own attempt to reach an instance.
type Probe struct {
	Instance string `json:"instance"`
	Kind     string `json:"kind"` // tcp, http, grpc
	Target   string `json:"target"`
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
}

// Report is the whole diagnosis.
type Report struct {
	Registry string           `json:"registry"`
	Leader   string           `json:"leader,omitempty"`
	Services []ServiceReport  `json:"services"`
	Findings []Finding        `json:"findings"`
	Counts   map[Severity]int `json:"counts"`
}

// Worst returns the most severe finding's severity, "" when there are none.
func (r *Report) Worst() Severity {
	var w Severity
	for _, f := range r.Findings {
		if w == "" || f.Severity.Rank() > w.Rank() {
			w = f.Severity
		}
	}
	return w
}

// Options tune the diagnosis.
type Options struct {
	// Services to diagnose; empty means every service.
	Services []string
	// ZombieAfter is how long an instance may stay critical before it is
	// a zombie (only where the registry reports when checks last changed).
	ZombieAfter time.Duration
	// Probe enables msctl's TCP/HTTP probes of each instance.
	Probe        bool
	ProbeTimeout time.Duration
	// Concurrency bounds parallel requests to the registry and probes.
	Concurrency int
	// Timeout bounds each exchange with the registry (the leader, the
	// listing, each service's reads, gossip, DNS), not the whole
	// diagnosis: a registry that accepts connections and never answers
	// fails the first exchange within it, and a large one is not cut
	// short. Zero leaves the exchanges to ctx.
	Timeout time.Duration
	Now     func() time.Time
	// Dial and HTTP are the probes' network; tests may replace them.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	HTTP *http.Client
}

func (o *Options) defaults() {
	if o.ZombieAfter <= 0 {
		o.ZombieAfter = time.Hour
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dial == nil {
		d := &net.Dialer{}
		o.Dial = d.DialContext
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: o.ProbeTimeout}
	}
}

// Diagnose reads every source and returns the findings. It fails only when
// the registry itself cannot be read (unreachable, permission denied, a
// named service that does not exist); a source that cannot be read is
// reported in the service's sources and as an info finding.
func Diagnose(ctx context.Context, reg registry.Registry, opts Options) (*Report, error) {
	opts.defaults()
	rep := &Report{Registry: reg.Kind(), Counts: map[Severity]int{}}

	if ls, ok := reg.(registry.LeaderSource); ok {
		cctx, cancel := opts.exchange(ctx)
		leader, err := ls.Leader(cctx)
		cancel()
		if err != nil {
			return nil, err
		}
		rep.Leader = leader
		if leader == "" {
			rep.add(Finding{ID: "no-leader", Severity: Critical,
				Reason: "the registry's servers have no elected leader: writes fail and consistent reads block",
				Next:   "check the servers' logs and quorum (consul operator raft list-peers); restore quorum or recover with peers.json"})
		}
	}

	instances, err := registry.ReadInstances(ctx, reg, opts.Services, opts.Concurrency, opts.Timeout)
	if err != nil {
		return nil, err
	}

	var members map[string]registry.Member
	var membersErr error
	if gs, ok := reg.(registry.GossipSource); ok {
		cctx, cancel := opts.exchange(ctx)
		ms, err := gs.Members(cctx)
		cancel()
		if err != nil {
			membersErr = err
		} else {
			members = map[string]registry.Member{}
			for _, m := range ms {
				members[m.Name] = m
			}
		}
	}

	var agent *agentState
	if as, ok := reg.(registry.AgentSource); ok {
		cctx, cancel := opts.exchange(ctx)
		node, checks, err := as.AgentChecks(cctx)
		cancel()
		agent = &agentState{node: node, checks: checks, err: err}
	}

	names := make([]string, 0, len(instances))
	for n := range instances {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(opts.Services) == 0 && len(names) == 0 {
		// Nothing checked is not "no problems": an etcd prefix whose
		// leases all expired, a wrong base path or namespace, or a token
		// that sees nothing all look like this.
		rep.add(noServices(ctx, reg, opts))
	}
	reports := make([]ServiceReport, len(names))
	findings := make([][]Finding, len(names))
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			reports[i], findings[i] = diagnoseService(ctx, reg, opts, name, instances[name], members, membersErr, agent)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Services = reports
	for _, fs := range findings {
		for _, f := range fs {
			rep.add(f)
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Instance < b.Instance
	})
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	return rep, nil
}

// noServices is the finding for a registry that lists no service at all:
// acl-hidden when the registry says its access control hid them.
func noServices(ctx context.Context, reg registry.Registry, opts Options) Finding {
	if as, ok := reg.(registry.ACLSource); ok {
		// A failure to ask is no reason to fail the diagnosis: the
		// generic finding below still says nothing was checked.
		cctx, cancel := opts.exchange(ctx)
		defer cancel()
		if why, err := as.HiddenByACL(cctx); err == nil && why != "" {
			return Finding{ID: "acl-hidden", Severity: Critical,
				Reason: why,
				Next:   registry.ACLHiddenAdvice}
		}
	}
	return Finding{ID: "no-services", Severity: Critical,
		Reason: fmt.Sprintf("the %s registry lists no service: nothing could be checked", reg.Kind()),
		Next:   "check the address and its base path, prefix or namespace, and that the token may read the catalog; instances registered with a lease or session vanish with it when it ends"}
}

// exchange bounds one exchange with the registry by opts.Timeout.
func (o *Options) exchange(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, o.Timeout)
}

func (r *Report) add(f Finding) {
	r.Findings = append(r.Findings, f)
	r.Counts[f.Severity]++
}

func fmtCount(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
