package doctor

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msctl/msctl/internal/registry"
)

// diagnoseService reads the per-service sources and applies every rule.
func diagnoseService(ctx context.Context, reg registry.Registry, opts Options, name string,
	ins []registry.Instance, members map[string]registry.Member, membersErr error, agent *agentState) (ServiceReport, []Finding) {
	sr := ServiceReport{Service: name, Instances: ins}
	if sr.Instances == nil {
		sr.Instances = []registry.Instance{}
	}
	var fs []Finding
	add := func(f Finding) {
		f.Service = name
		fs = append(fs, f)
	}

	// Catalog and health.
	sum := registry.Summarize(name, ins)
	sr.Sources = append(sr.Sources,
		SourceView{Name: "catalog", Status: "ok", Detail: fmtCount(len(ins), "instance")},
		SourceView{Name: "health", Status: "ok", Detail: healthDetail(sum)})
	healthy := sum.ByHealth[registry.Passing] + sum.ByHealth[registry.Warning]
	switch {
	case len(ins) == 0:
		// The registry still lists the service (a ZooKeeper service znode,
		// a Kubernetes Service, a Nacos or Cloud Map service) after its
		// last instance went: clients find nothing, which is the outage
		// itself, not an absence of problems.
		add(Finding{ID: "no-healthy-instances", Severity: Critical,
			Reason: "the registry lists the service but it has no instance: discovery returns nothing for it",
			Next:   "find out why its instances went (a crash, a ZooKeeper session or etcd lease that ended, a scale-down to zero) and start them; remove the service if it is retired"})
	case healthy == 0:
		add(Finding{ID: "no-healthy-instances", Severity: Critical,
			Reason: fmt.Sprintf("none of %s is passing or warning: discovery returns nothing for it", fmtCount(len(ins), "instance")),
			Next:   fmt.Sprintf("look at the failing checks (msctl registry instances %s) and the instances' logs", name)})
	}
	withAgentView(agent, ins)
	for _, in := range ins {
		instanceFindings(opts, in, healthy, add)
	}

	// Gossip.
	if members != nil || membersErr != nil {
		sr.Sources = append(sr.Sources, gossipView(ins, members, membersErr, add))
	}

	// Duplicates and skew across instances.
	duplicates(ins, add)
	skew(ins, add)

	// DNS.
	if ds, ok := reg.(registry.DNSSource); ok && len(ins) > 0 {
		cctx, cancel := opts.exchange(ctx)
		sr.Sources = append(sr.Sources, dnsView(cctx, ds, name, ins, add))
		cancel()
	}

	// Stale versus consistent reads; the consistent one is the catalog as
	// the leader has it, which the agent's own view is compared with.
	catalog := ins
	if cs, ok := reg.(registry.ConsistencySource); ok && len(ins) > 0 {
		cctx, cancel := opts.exchange(ctx)
		view, leaderIns := consistencyView(cctx, cs, name, add)
		cancel()
		sr.Sources = append(sr.Sources, view)
		if leaderIns != nil {
			catalog = leaderIns
		}
	}
	if agent != nil && len(ins) > 0 {
		sr.Sources = append(sr.Sources, agentView(agent, catalog, add))
	}

	// msctl's own probes.
	if opts.Probe && len(ins) > 0 {
		sr.Probes = probe(ctx, opts, ins)
		sr.Sources = append(sr.Sources, probeView(sr.Probes, ins, opts.Now(), add))
	}
	return sr, fs
}

func healthDetail(s registry.Service) string {
	var parts []string
	for _, h := range []registry.Health{registry.Passing, registry.Warning, registry.Critical, registry.Unknown} {
		if n := s.ByHealth[h]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, h))
		}
	}
	if len(parts) == 0 {
		return "no instances"
	}
	return strings.Join(parts, ", ")
}

// instanceFindings are the rules that look at one instance alone.
func instanceFindings(opts Options, in registry.Instance, healthy int, add func(Finding)) {
	now := opts.Now()
	node := in.Node
	ttlOverdue := false
	for _, c := range in.Checks {
		if c.Type == "ttl" && c.Status == registry.Critical && strings.Contains(strings.ToLower(c.Output), "ttl expired") {
			ttlOverdue = true
			add(Finding{ID: "ttl-overdue", Severity: Critical, Instance: in.ID, Node: node,
				Reason: fmt.Sprintf("TTL check %s was not refreshed in time: the instance stopped heartbeating", c.ID),
				Next:   "check that the instance's heartbeat loop runs (process alive, able to reach the agent); it should PUT /v1/agent/check/pass/" + c.ID})
		}
	}
	if in.LeaseTTL > 0 && in.LeaseRemaining <= 0 && !ttlOverdue {
		add(Finding{ID: "ttl-overdue", Severity: Critical, Instance: in.ID, Node: node,
			Reason: fmt.Sprintf("its lease or heartbeat (TTL %s) has run out", in.LeaseTTL),
			Next:   "check the instance's heartbeat/keep-alive; the registry should expire it soon, if not, deregister it"})
	}
	if in.LastHeartbeat != nil && in.LeaseTTL > 0 && now.Sub(*in.LastHeartbeat) > in.LeaseTTL && !ttlOverdue && in.LeaseRemaining > 0 {
		add(Finding{ID: "ttl-overdue", Severity: Warning, Instance: in.ID, Node: node,
			Reason: fmt.Sprintf("last heartbeat %s ago, longer than its TTL %s", now.Sub(*in.LastHeartbeat).Round(1e9), in.LeaseTTL),
			Next:   "check the instance's heartbeat loop"})
	}
	switch in.Health {
	case registry.Warning:
		// Warning instances still get traffic in most registries, but
		// something told the registry to worry (a TTL set to warn, an
		// instance taken out of service or disabled, a session no server
		// holds): it is a finding, so --fail-on warning can act on it.
		add(Finding{ID: "instance-warning", Severity: Warning, Instance: in.ID, Node: node,
			Reason: "checks in warning: " + strings.Join(checkStates(in.Checks, registry.Warning), "; "),
			Next:   "read the check output; fix what it reports, or put the instance back in service if it was taken out on purpose"})
	case registry.Unknown:
		reason := "the registry reports no health state for it"
		if cs := checkStates(in.Checks, registry.Unknown); len(cs) > 0 {
			reason = "health unknown: " + strings.Join(cs, "; ")
		}
		add(Finding{ID: "instance-unknown", Severity: Warning, Instance: in.ID, Node: node,
			Reason: reason,
			Next:   "clients may or may not be sent to it; check that its health check is configured and has run"})
	}
	if in.Health == registry.Critical {
		var failing []string
		var since *int64
		for _, c := range in.Checks {
			if c.Status == registry.Critical {
				s := c.ID
				if c.Output != "" {
					s += ": " + firstLine(c.Output)
				}
				failing = append(failing, s)
				if c.LastChanged != nil {
					d := int64(now.Sub(*c.LastChanged))
					if since == nil || d < *since {
						since = &d
					}
				}
			}
		}
		sev := Warning
		if healthy == 0 {
			sev = Critical
		}
		if since != nil && int64(opts.ZombieAfter) < *since {
			add(Finding{ID: "zombie", Severity: sev, Instance: in.ID, Node: node,
				Reason: fmt.Sprintf("critical for %s (threshold %s): %s", durationOf(*since), opts.ZombieAfter, strings.Join(failing, "; ")),
				Next:   fmt.Sprintf("deregister it if the instance is gone (msctl registry deregister %s %s), or set deregister_critical_service_after", in.Service, in.ID)})
		} else if !ttlOverdue {
			add(Finding{ID: "instance-critical", Severity: sev, Instance: in.ID, Node: node,
				Reason: "failing checks: " + strings.Join(failing, "; "),
				Next:   "fix the instance or its check; if the instance is gone, deregister it"})
		}
	}
}

// checkStates lists the checks in state as "ID: first line of output".
func checkStates(checks []registry.Check, state registry.Health) []string {
	var out []string
	for _, c := range checks {
		if c.Status != state {
			continue
		}
		s := c.ID
		if c.Output != "" {
			s += ": " + firstLine(c.Output)
		}
		out = append(out, s)
	}
	return out
}

// withAgentView copies the local agent's output of a check onto the
// catalog's copy where both have the same state. Consul syncs a change of
// output alone (a check that was critical on registration and is still
// critical, now saying "connection refused") only every few minutes, so
// the catalog's copy read in bulk often says critical with no reason while
// the agent knows it. The check's interval and definition, which only the
// agent tells, are copied too. States are left alone: agentView reports
// where they differ.
func withAgentView(a *agentState, ins []registry.Instance) {
	if a == nil || a.err != nil {
		return
	}
	for i := range ins {
		if ins[i].Node != a.node {
			continue
		}
		for j := range ins[i].Checks {
			c := &ins[i].Checks[j]
			ac, ok := a.checks[ins[i].ID][c.ID]
			if !ok {
				ac, ok = a.checks[""][c.ID] // a node check
			}
			if !ok {
				continue
			}
			if ac.Status == c.Status && ac.Output != "" {
				c.Output = ac.Output
			}
			if c.Interval == 0 {
				c.Interval = ac.Interval
			}
			if c.Definition == "" {
				c.Definition = ac.Definition
			}
		}
	}
}

func durationOf(ns int64) string {
	return fmt.Sprint(time.Duration(ns).Round(time.Second))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 100 {
		s = s[:99] + "…"
	}
	return s
}

// gossipView compares instances' nodes with the gossip pool.
func gossipView(ins []registry.Instance, members map[string]registry.Member, err error, add func(Finding)) SourceView {
	if err != nil {
		return SourceView{Name: "gossip", Status: "unavailable", Detail: err.Error()}
	}
	states := map[string]int{}
	bad := 0
	seen := map[string]bool{}
	for i := range ins {
		in := &ins[i]
		state := in.NodeState
		if m, ok := members[in.Node]; ok && state == "" {
			state = m.Status
			in.NodeState = state
		} else if !ok && state == "" && in.Node != "" {
			state = "none"
			in.NodeState = state
		}
		if !seen[in.Node] {
			seen[in.Node] = true
			states[state]++
		}
		switch state {
		case "failed", "left", "leaving":
			bad++
			sev := Critical
			if in.Health == registry.Critical {
				// Consul already marks it critical: discovery skips it, but
				// it lingers in the catalog.
				sev = Warning
			}
			add(Finding{ID: "node-" + map[string]string{"failed": "failed", "left": "left", "leaving": "left"}[state],
				Severity: sev, Instance: in.ID, Node: in.Node,
				Reason: fmt.Sprintf("registered on node %s, which gossip reports %s", in.Node, state),
				Next:   fmt.Sprintf("restart the agent on %s, or if the node is gone: consul force-leave %s and deregister its instances", in.Node, in.Node)})
		}
	}
	var parts []string
	for s, n := range states {
		parts = append(parts, fmt.Sprintf("%s %s", fmtCount(n, "node"), s))
	}
	sort.Strings(parts)
	st := "ok"
	if bad > 0 {
		st = "differs"
	}
	return SourceView{Name: "gossip", Status: st, Detail: strings.Join(parts, ", ")}
}

// duplicates finds one ID on several nodes and one address:port under
// several instance IDs.
func duplicates(ins []registry.Instance, add func(Finding)) {
	byID := map[string][]string{}
	byAddr := map[string][]string{}
	for _, in := range ins {
		byID[in.ID] = append(byID[in.ID], in.Node)
		if in.Port > 0 {
			a := net.JoinHostPort(in.Address, strconv.Itoa(in.Port))
			byAddr[a] = append(byAddr[a], in.ID)
		}
	}
	for _, id := range sortedKeys(byID) {
		if nodes := byID[id]; len(nodes) > 1 {
			add(Finding{ID: "duplicate-id", Severity: Warning, Instance: id,
				Reason: fmt.Sprintf("instance ID %s is registered on %d nodes (%s)", id, len(nodes), strings.Join(nodes, ", ")),
				Next:   "give each instance a unique ID (include the node or host in it) and deregister the stale copy"})
		}
	}
	for _, a := range sortedKeys(byAddr) {
		if ids := byAddr[a]; len(ids) > 1 {
			add(Finding{ID: "duplicate-address", Severity: Warning, Instance: strings.Join(ids, ","),
				Reason: fmt.Sprintf("%d instances (%s) share the address %s: one of them is probably a leftover", len(ids), strings.Join(ids, ", "), a),
				Next:   "deregister the instance that no longer runs (msctl registry deregister)"})
		}
	}
}

// skew finds tags that only some instances carry and several versions.
func skew(ins []registry.Instance, add func(Finding)) {
	if len(ins) < 2 {
		return
	}
	count := map[string]int{}
	versions := map[string][]string{}
	for _, in := range ins {
		seen := map[string]bool{}
		for _, t := range in.Tags {
			if !seen[t] {
				seen[t] = true
				count[t]++
			}
		}
		if in.Version != "" {
			versions[in.Version] = append(versions[in.Version], in.ID)
		}
	}
	var partial []string
	for _, t := range sortedKeys(count) {
		if count[t] < len(ins) && registry.VersionOf([]string{t}, nil) == "" {
			partial = append(partial, fmt.Sprintf("%s on %d of %d", t, count[t], len(ins)))
		}
	}
	if len(partial) > 0 {
		add(Finding{ID: "tag-skew", Severity: Warning,
			Reason: "instances disagree on tags: " + strings.Join(partial, ", "),
			Next:   "clients filtering by tag see only some instances; make the tags uniform unless this is a deliberate canary"})
	}
	if len(versions) > 1 {
		var parts []string
		for _, v := range sortedKeys(versions) {
			parts = append(parts, fmt.Sprintf("%s (%d)", v, len(versions[v])))
		}
		add(Finding{ID: "version-skew", Severity: Warning,
			Reason: "instances run different versions: " + strings.Join(parts, ", "),
			Next:   "expected during a rollout; otherwise finish or roll back the deployment"})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// dnsView compares the DNS SRV answers with the instances that should be
// in them: the ones not critical (Consul's DNS leaves critical ones out).
func dnsView(ctx context.Context, ds registry.DNSSource, name string, ins []registry.Instance, add func(Finding)) SourceView {
	srv, err := ds.LookupSRV(ctx, name)
	if err != nil {
		add(Finding{ID: "dns-unavailable", Severity: Info,
			Reason: "the registry's DNS interface did not answer: " + err.Error(),
			Next:   "check that the registry serves DNS where it says it does (Consul: ports.dns in the agent config, default 8600)"})
		return SourceView{Name: "dns", Status: "unavailable", Detail: err.Error()}
	}
	answers := map[string]bool{}
	ports := map[int]bool{}
	for _, s := range srv {
		answers[net.JoinHostPort(s.Address, strconv.Itoa(s.Port))] = true
		ports[s.Port] = true
	}
	expected := map[string]bool{}
	missing := 0
	for _, in := range ins {
		if in.Health == registry.Critical {
			continue
		}
		a := net.JoinHostPort(in.Address, strconv.Itoa(in.Port))
		expected[a] = true
		found := answers[a]
		if !found && (net.ParseIP(in.Address) == nil || len(srv) > 0 && srv[0].Address == "") {
			// A hostname address (SRV answers carry the resolved IP) or
			// answers without addresses: only the port can be compared.
			found = ports[in.Port]
		}
		if !found {
			missing++
			add(Finding{ID: "missing-from-dns", Severity: Warning, Instance: in.ID, Node: in.Node,
				Reason: fmt.Sprintf("%s is %s in the catalog but %s does not return %s", in.ID, in.Health, ds.DNSName(name), a),
				Next:   "check the DNS settings (only_passing, allow_stale/max_stale, a DNS cache) and query the DNS port directly: dig SRV " + ds.DNSName(name)})
		}
	}
	extra := 0
	for _, a := range sortedKeys(answers) {
		host, _, _ := net.SplitHostPort(a)
		if expected[a] || net.ParseIP(host) == nil {
			continue
		}
		extra++
		add(Finding{ID: "dns-extra", Severity: Warning,
			Reason: fmt.Sprintf("%s returns %s, which no healthy catalog instance has", ds.DNSName(name), a),
			Next:   "a stale DNS answer (max_stale or a cache); check the DNS servers' view and TTLs"})
	}
	st := "ok"
	if missing+extra > 0 {
		st = "differs"
	}
	return SourceView{Name: "dns", Status: st, Detail: fmt.Sprintf("%s for %s", fmtCount(len(srv), "SRV answer"), ds.DNSName(name))}
}

// consistencyView compares a stale read (any server) with a consistent one
// (the leader).
func consistencyView(ctx context.Context, cs registry.ConsistencySource, name string, add func(Finding)) (SourceView, []registry.Instance) {
	var stale, cons []registry.Instance
	var errS, errC error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); stale, errS = cs.InstancesWith(ctx, name, registry.Stale) }()
	go func() { defer wg.Done(); cons, errC = cs.InstancesWith(ctx, name, registry.Consistent) }()
	wg.Wait()
	if errS != nil || errC != nil {
		err := errC
		if err == nil {
			err = errS
		}
		return SourceView{Name: "consistency", Status: "unavailable", Detail: err.Error()}, nil
	}
	key := func(ins []registry.Instance) map[string]string {
		m := map[string]string{}
		for _, in := range ins {
			m[in.Node+"/"+in.ID] = string(in.Health)
		}
		return m
	}
	a, b := key(stale), key(cons)
	var diffs []string
	for _, k := range sortedKeys(b) {
		if a[k] != b[k] {
			diffs = append(diffs, fmt.Sprintf("%s leader=%s stale=%s", k, b[k], orNone(a[k])))
		}
	}
	for _, k := range sortedKeys(a) {
		if _, ok := b[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s leader=absent stale=%s", k, a[k]))
		}
	}
	if len(diffs) > 0 {
		add(Finding{ID: "servers-disagree", Severity: Warning,
			Reason: "a stale read disagrees with the leader: " + strings.Join(diffs, "; "),
			Next:   "a follower lags behind the leader; check replication (consul operator raft list-peers, autopilot health) and clients using ?stale"})
		return SourceView{Name: "consistency", Status: "differs", Detail: fmt.Sprintf("%d difference(s) between stale and consistent reads", len(diffs))}, cons
	}
	return SourceView{Name: "consistency", Status: "ok", Detail: "stale and consistent reads agree"}, cons
}

// agentState is the local agent's view, read once per diagnosis.
type agentState struct {
	node   string
	checks map[string]map[string]registry.Check
	err    error
}

// agentView compares the checks the local agent runs with the catalog's
// copy of them: a difference that persists means anti-entropy is not
// syncing (often an agent token without node:write or service:write).
func agentView(a *agentState, catalog []registry.Instance, add func(Finding)) SourceView {
	if a.err != nil {
		return SourceView{Name: "agent", Status: "unavailable", Detail: a.err.Error()}
	}
	compared, differ := 0, 0
	for _, in := range catalog {
		if in.Node != a.node {
			continue
		}
		own := a.checks[in.ID]
		for _, c := range in.Checks {
			ac, ok := own[c.ID]
			if !ok {
				continue
			}
			compared++
			if ac.Status != c.Status {
				differ++
				add(Finding{ID: "agent-catalog-out-of-sync", Severity: Warning, Instance: in.ID, Node: in.Node,
					Reason: fmt.Sprintf("the agent on %s has check %s %s, the catalog still says %s", a.node, c.ID, ac.Status, c.Status),
					Next:   "a lag of a few seconds is normal; if it persists, look for sync errors in the agent's log (an agent ACL token without node:write/service:write is the usual cause)"})
			}
		}
	}
	if compared == 0 {
		return SourceView{Name: "agent", Status: "ok", Detail: "no instance on the agent's node " + a.node}
	}
	st := "ok"
	if differ > 0 {
		st = "differs"
	}
	return SourceView{Name: "agent", Status: st, Detail: fmt.Sprintf("%d of %d checks on %s agree with the catalog", compared-differ, compared, a.node)}
}

func orNone(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}
