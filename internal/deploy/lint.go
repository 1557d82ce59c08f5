package deploy

import "fmt"

// Finding is a trap lint found in a plan.
type Finding struct {
	// Severity is info, warning or error.
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	// Why explains the trap and what to do.
	Why  string `json:"why"`
	Step int    `json:"step,omitempty"`
}

// Lint finds the known traps in a plan. Each finding says why it matters.
func Lint(p *Plan) []Finding {
	s := p.Spec
	fs := []Finding{}
	add := func(sev, code string, step int, msg, why string) {
		fs = append(fs, Finding{Severity: sev, Code: code, Step: step, Message: msg, Why: why})
	}
	routed := s.TrafficRouter != "none"
	if s.Replicas == 0 {
		add("info", "no-replicas", 0, "0 replicas: the rollout only changes the template",
			"a workload scaled to zero serves nothing and no step can be judged; the new version first runs when it is scaled up, with no canary or gate in between.")
	}
	if s.Replicas == 1 {
		add("warning", "single-replica", 0, "only 1 replica",
			"with one pod every rollout either surges to a second pod or takes the only one down; a canary cannot be smaller than 100% of the old capacity, and any node drain is an outage. Run at least 2 replicas (3 to survive a drain during a rollout).")
	}
	if s.Strategy == Canary {
		for _, st := range p.Steps {
			w := int(st.RequestedTrafficPercent)
			if routed || w == 0 || w == 100 {
				continue
			}
			if CanaryFallback(s.Replicas, w, p.Fenceposts.Surge) {
				add("error", "canary-weight-unmeetable", st.Step, fmt.Sprintf("weight %d%% on %d replicas without surge gives 0 canary pods", w, s.Replicas),
					"Argo Rollouts finds no split of the replicas that keeps both sides above zero and falls back to no canary at all, so the step tests nothing. Allow a surge of 1, change the weight or the replica count, or use a traffic router.")
				continue
			}
			if d := st.TrafficPercent - float64(w); d > 5 || d < -5 {
				add("warning", "canary-weight-unmeetable", st.Step, fmt.Sprintf("weight %d%% becomes %g%% of traffic (%d of %d pods)", w, st.TrafficPercent, st.NewReplicas, st.NewReplicas+st.OldReplicas),
					"without a traffic router traffic follows pod counts, so a weight can only be met in steps of one pod; the canary takes more (or less) traffic than asked. Use more replicas or a traffic router (istio, nginx, gateway-api, ...) so the weight is exact.")
			}
		}
	}
	for _, st := range p.Steps {
		if st.Gate && !st.EnoughToJudge {
			add("warning", "gate-too-little-traffic", st.Step, fmt.Sprintf("the new version sees %d requests, %d are needed to judge a %g%% error rate", st.NewRequests, st.RequestsNeeded, s.ErrorThreshold),
				"with no errors in n requests the error rate is only known to be below 3/n (rule of three, 95% confidence); fewer requests than 3/threshold mean the gate passes a version it cannot judge. Pause longer, raise the weight or judge on a longer window.")
		}
	}
	if s.HPA && (s.Strategy == Canary || s.Strategy == Rolling || s.Strategy == BlueGreen) {
		add("warning", "hpa-fights-rollout", 0, "a HorizontalPodAutoscaler scales the workload during the rollout",
			"an HPA that targets the Deployment or the ReplicaSets changes replicas mid-rollout: the controller re-splits the new count proportionally, a replica-weighted canary's share shifts, and blue-green's preview size is off. Point the HPA at the Rollout (Argo scales both sides) or pause autoscaling for the rollout.")
	}
	if (s.Strategy == AB || s.Strategy == Shadow) && !routed {
		add("error", "needs-l7-router", 0, fmt.Sprintf("%s needs a layer-7 traffic router, --traffic-router is none", s.Strategy),
			"a Kubernetes Service picks endpoints at random: it cannot route by header or cookie (A/B) nor copy requests (shadow). Without a router the new version gets a replica-weighted share of all users instead. Use istio, nginx, gateway-api or another L7 router.")
	}
	if s.Strategy == Shadow && s.ShadowWrites {
		add("error", "shadow-non-idempotent", 0, "the mirrored traffic includes non-idempotent requests",
			"the shadow executes every copied request for real: payments are charged twice, emails sent twice, rows written twice to shared stores. Mirror only GET/idempotent routes, or point the shadow at stubbed dependencies and its own database.")
	}
	if s.Strategy == BlueGreen || s.Strategy == AB || s.Strategy == Shadow {
		extra := p.Summary.PeakPods - s.Replicas
		switch {
		case s.CapacityHeadroom == nil && s.Strategy == BlueGreen:
			add("info", "blue-green-capacity", 0, fmt.Sprintf("blue-green needs room for %d extra pods at the switch", extra),
				"both copies run at full size until the scale-down delay ends; pass --capacity-headroom to check the cluster has room, or preview with fewer replicas.")
		case s.CapacityHeadroom != nil && s.CapacityHeadroom.Scaled(s.Replicas, false) < extra:
			add("error", "blue-green-capacity", 0, fmt.Sprintf("the rollout needs %d extra pods, the cluster has room for %d", extra, s.CapacityHeadroom.Scaled(s.Replicas, false)),
				"the second copy's pods stay Pending, the switch waits forever (or, with autoPromotion, happens onto too few pods). Add capacity, lower --preview-replicas, or use a rolling or canary strategy that needs only the surge.")
		}
	}
	if s.SchemaChange == "breaking" && s.Strategy != Recreate {
		add("error", "breaking-schema-change", 0, fmt.Sprintf("a breaking schema change with %s runs old and new code against one schema", s.Strategy),
			"during every strategy but recreate both versions serve at once: the old code fails on the new schema (or the new on the old), and rollback meets a migrated database. Split it expand/contract: add the new schema compatibly, deploy, migrate, then remove the old in a later release; or accept recreate's downtime.")
	}
	return fs
}

var severityRank = map[string]int{"info": 1, "warning": 2, "error": 3, "never": 99}

// AtOrAbove reports whether any finding is at or above severity.
func AtOrAbove(fs []Finding, severity string) bool {
	for _, f := range fs {
		if severityRank[f.Severity] >= severityRank[severity] {
			return true
		}
	}
	return false
}
