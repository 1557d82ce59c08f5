package deploy

import (
	"strings"
	"testing"
)

func TestRecommend(t *testing.T) {
	base := Constraints{SchemaChange: "none", Risk: "medium", TrafficRouter: "none", Replicas: 10}
	tests := []struct {
		name     string
		mod      func(*Constraints)
		strategy string
		reason   string
		check    func(*testing.T, *Recommendation)
	}{
		{"breaking with downtime", func(c *Constraints) { c.SchemaChange, c.DowntimeOK = "breaking", true }, Recreate, "breaking schema change", nil},
		{"breaking without downtime", func(c *Constraints) { c.SchemaChange = "breaking" }, BlueGreen, "expand/contract", nil},
		{"stateful", func(c *Constraints) { c.Stateful = true }, Rolling, "one at a time", func(t *testing.T, r *Recommendation) {
			if r.Spec.MaxSurge.Value != 0 || r.Spec.MaxUnavailable.Value != 1 {
				t.Errorf("stateful rolling should be 0/1, got %s/%s", r.Spec.MaxSurge, r.Spec.MaxUnavailable)
			}
		}},
		{"high risk with router", func(c *Constraints) { c.Risk, c.TrafficRouter = "high", "istio" }, Canary, "small exact weights", func(t *testing.T, r *Recommendation) {
			if r.Spec.Steps[0].Weight != 1 || !r.Spec.Steps[0].Analysis {
				t.Errorf("first step %+v", r.Spec.Steps[0])
			}
		}},
		{"high risk, room for a copy", func(c *Constraints) { c.Risk, c.CapacityHeadroom = "high", mustIP("100%") }, BlueGreen, "fits a second copy", nil},
		{"high risk, no room", func(c *Constraints) { c.Risk = "high" }, Canary, "one pod", nil},
		{"low risk with headroom", func(c *Constraints) { c.Risk, c.CapacityHeadroom = "low", mustIP("20%") }, Rolling, "maxUnavailable 0", func(t *testing.T, r *Recommendation) {
			if r.Spec.MaxSurge.Value != 2 || r.Spec.MaxUnavailable.Value != 0 {
				t.Errorf("got %s/%s, want surge 2 (20%% of 10), unavailable 0", r.Spec.MaxSurge, r.Spec.MaxUnavailable)
			}
		}},
		{"low risk, tiny", func(c *Constraints) { c.Risk, c.Replicas = "low", 2 }, Rolling, "serverless", func(t *testing.T, r *Recommendation) {
			if r.Pattern != "serverless" {
				t.Errorf("pattern %q", r.Pattern)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mod(&c)
			r, err := Recommend(c)
			if err != nil {
				t.Fatal(err)
			}
			if r.Strategy != tt.strategy {
				t.Errorf("strategy %s, want %s (reasons %q)", r.Strategy, tt.strategy, r.Reasons)
			}
			if !strings.Contains(strings.Join(r.Reasons, "\n"), tt.reason) {
				t.Errorf("reasons %q lack %q", r.Reasons, tt.reason)
			}
			if len(r.Patterns) != 4 {
				t.Errorf("%d patterns", len(r.Patterns))
			}
			// The recommended spec must plan without errors.
			if _, err := Build(r.Spec); err != nil {
				t.Errorf("recommended spec does not plan: %v", err)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestRecommendRejects(t *testing.T) {
	for _, c := range []Constraints{
		{SchemaChange: "maybe", Risk: "low", TrafficRouter: "none", Replicas: 1},
		{SchemaChange: "none", Risk: "extreme", TrafficRouter: "none", Replicas: 1},
		{SchemaChange: "none", Risk: "low", TrafficRouter: "none", Replicas: 0},
	} {
		if _, err := Recommend(c); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
}
