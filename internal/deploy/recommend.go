package deploy

import (
	"fmt"
	"strings"
)

// Constraints are the inputs of `msctl deploy recommend`.
type Constraints struct {
	Stateful         bool         `json:"stateful"`
	SchemaChange     string       `json:"schema_change"` // none, backward, breaking
	CapacityHeadroom IntOrPercent `json:"capacity_headroom"`
	DowntimeOK       bool         `json:"downtime_ok"`
	Risk             string       `json:"risk"` // low, medium, high
	TrafficRouter    string       `json:"traffic_router"`
	Replicas         int          `json:"replicas"`
}

// Pattern is a way of running service instances, with its trade-offs.
type Pattern struct {
	Name      string `json:"name"`
	Isolation string `json:"isolation"`
	Density   string `json:"density"`
	StartUp   string `json:"start_up"`
	Cost      string `json:"cost"`
	When      string `json:"when"`
}

// Recommendation is the output of `msctl deploy recommend`.
type Recommendation struct {
	Strategy string   `json:"strategy"`
	Spec     Spec     `json:"spec"`
	Reasons  []string `json:"reasons"`
	// Pattern is the recommended deployment pattern; Patterns compares all.
	Pattern  string    `json:"pattern"`
	Patterns []Pattern `json:"patterns"`
}

// Patterns are the four deployment patterns for service instances.
var Patterns = []Pattern{
	{"multiple instances per host", "weak: instances share the OS, CPU and memory; one noisy or leaking instance hurts the others",
		"highest", "fastest (a process)", "lowest", "a few trusted services on dedicated hardware; legacy hosts"},
	{"instance per virtual machine", "strong: a hypervisor boundary per instance",
		"low: a whole OS per instance", "slow (minutes to boot an image)", "highest; paid per VM, idle capacity included", "strict isolation or licensing per machine"},
	{"instance per container", "good: namespaces and cgroups, a shared kernel",
		"high", "fast (seconds)", "moderate; bin-packed by an orchestrator", "the default for microservices on Kubernetes; what every strategy here renders to"},
	{"serverless", "strong, managed by the provider",
		"provider's concern", "cold starts of 100 ms to seconds", "per request; cheap when idle, dear at steady high load",
		"spiky or low traffic, stateless request handlers; long-lived connections and strict latency fit badly"},
}

// Recommend picks a strategy and its parameters for the constraints.
func Recommend(c Constraints) (*Recommendation, error) {
	if !contains([]string{"none", "backward", "breaking"}, c.SchemaChange) {
		return nil, fmt.Errorf("unknown schema change %q: use none, backward or breaking", c.SchemaChange)
	}
	if !contains([]string{"low", "medium", "high"}, c.Risk) {
		return nil, fmt.Errorf("unknown risk %q: use low, medium or high", c.Risk)
	}
	if !contains(TrafficRouters, c.TrafficRouter) {
		return nil, fmt.Errorf("unknown traffic router %q", c.TrafficRouter)
	}
	if c.Replicas < 1 {
		return nil, fmt.Errorf("replicas is %d: it must be 1 or more", c.Replicas)
	}
	s := DefaultSpec()
	s.Replicas, s.TrafficRouter, s.SchemaChange = c.Replicas, c.TrafficRouter, c.SchemaChange
	headroom := c.CapacityHeadroom.Scaled(c.Replicas, false)
	routed := c.TrafficRouter != "none"
	r := &Recommendation{Patterns: Patterns, Pattern: "instance per container"}
	why := func(f string, a ...any) { r.Reasons = append(r.Reasons, fmt.Sprintf(f, a...)) }
	switch {
	case c.SchemaChange == "breaking" && c.DowntimeOK:
		s.Strategy = Recreate
		why("a breaking schema change cannot run old and new code side by side; downtime is acceptable, so recreate stops the old version before the new one starts")
	case c.SchemaChange == "breaking":
		s.Strategy = BlueGreen
		why("a breaking schema change without downtime: split it expand/contract, and meanwhile blue-green keeps the two versions from serving at the same time (one switch, instant switch back while blue is kept)")
	case c.Stateful && c.DowntimeOK:
		s.Strategy = Recreate
		why("stateful instances that own their data (volumes, leases, leaders) should not run twice; downtime is acceptable, so recreate avoids two writers")
	case c.Stateful:
		s.Strategy = Rolling
		s.MaxSurge, s.MaxUnavailable = IntOrPercent{Value: 0}, IntOrPercent{Value: 1}
		why("stateful instances: replace one at a time without surge (maxSurge 0, maxUnavailable 1) so no two pods claim the same identity or volume")
	case c.Risk == "high" && routed:
		s.Strategy = Canary
		s.Steps = []CanaryStep{{1, Duration(10 * 60e9), true}, {5, Duration(10 * 60e9), true}, {25, Duration(10 * 60e9), true}, {50, Duration(10 * 60e9), true}, {100, 0, false}}
		why("high risk with a %s router: a canary with small exact weights (1%%, 5%%) and an error-rate gate at each step limits the blast radius", c.TrafficRouter)
	case c.Risk == "high" && headroom >= c.Replicas:
		s.Strategy = BlueGreen
		why("high risk without a traffic router: a replica-weighted canary cannot go below one pod's share (%.0f%% with %d replicas); blue-green tests the full copy before any user sees it, and the headroom (%d pods) fits a second copy", 100/float64(c.Replicas), c.Replicas, headroom)
	case c.Risk == "high":
		s.Strategy = Canary
		s.Steps = []CanaryStep{{10, Duration(10 * 60e9), true}, {25, Duration(10 * 60e9), true}, {50, Duration(10 * 60e9), true}, {100, 0, false}}
		why("high risk, no router and no room for a second copy: a replica-weighted canary with gates; its smallest step is one pod (%.0f%% of traffic with %d replicas)", 100/float64(c.Replicas), c.Replicas)
	case c.Risk == "medium" && routed:
		s.Strategy = Canary
		s.Steps = []CanaryStep{{10, Duration(5 * 60e9), true}, {50, Duration(5 * 60e9), true}, {100, 0, false}}
		why("medium risk with a router: a short canary (10%%, 50%%) with gates")
	default:
		s.Strategy = Rolling
		why("%s risk: a rolling update is enough and needs no extra tooling", c.Risk)
	}
	if s.Strategy == Rolling && !c.Stateful {
		if headroom >= 1 {
			s.MaxSurge, s.MaxUnavailable = IntOrPercent{Value: min(max(headroom, 1), max(1, c.Replicas/4))}, IntOrPercent{Value: 0}
			why("capacity headroom of %d pods: surge %s with maxUnavailable 0 keeps full capacity during the rollout", headroom, s.MaxSurge)
		} else {
			s.MaxSurge, s.MaxUnavailable = IntOrPercent{Value: 0}, IntOrPercent{Value: 1}
			why("no capacity headroom: surge 0, replace one pod at a time (maxUnavailable 1), so capacity dips by one pod")
		}
	}
	if s.Strategy == BlueGreen && headroom < c.Replicas {
		s.PreviewReplicas = max(1, headroom)
		why("headroom of %d pods is less than a second copy of %d: preview with %d replicas and scale green up only at promotion", headroom, c.Replicas, s.PreviewReplicas)
	}
	if c.Replicas == 1 {
		why("only 1 replica: consider 2 or more, every strategy above is safer with them")
	}
	if c.Stateful {
		r.Pattern = "instance per container"
		why("pattern: one instance per container (a StatefulSet) gives each instance its own identity and volume; serverless does not fit state")
	} else if c.Risk == "low" && c.Replicas <= 2 {
		r.Pattern = "serverless"
		why("pattern: a small, low-risk stateless service may fit serverless (pay per request, provider-managed rollout), if cold starts are acceptable")
	} else {
		why("pattern: one instance per container, the density and start-up time that make rolling, canary and blue-green cheap")
	}
	r.Strategy = s.Strategy
	r.Spec = s
	return r, nil
}

// PlanCommand is the `msctl deploy plan` command line for spec.
func PlanCommand(s Spec) string {
	cmd := fmt.Sprintf("msctl deploy plan --strategy %s --replicas %d", s.Strategy, s.Replicas)
	switch s.Strategy {
	case Rolling:
		cmd += fmt.Sprintf(" --max-surge %s --max-unavailable %s", s.MaxSurge, s.MaxUnavailable)
	case Canary:
		var parts []string
		for _, st := range s.Steps {
			p := fmt.Sprint(st.Weight)
			if st.Pause > 0 {
				p += ":" + st.Pause.String()
			}
			parts = append(parts, p)
		}
		cmd += " --steps " + strings.Join(parts, ",")
	case BlueGreen:
		if s.PreviewReplicas > 0 {
			cmd += fmt.Sprintf(" --preview-replicas %d", s.PreviewReplicas)
		}
	}
	if s.TrafficRouter != "none" {
		cmd += " --traffic-router " + s.TrafficRouter
	}
	if s.SchemaChange != "none" {
		cmd += " --schema-change " + s.SchemaChange
	}
	return cmd
}
