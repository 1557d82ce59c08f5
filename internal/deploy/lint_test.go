package deploy

import (
	"testing"
	"time"
)

func TestLint(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Spec)
		want string // a finding code; "" means none expected
	}{
		{"clean rolling", func(s *Spec) { s.Replicas = 4 }, ""},
		{"single replica", func(s *Spec) { s.Replicas = 1 }, "single-replica"},
		{"unmeetable fallback", func(s *Spec) {
			s.Strategy, s.Replicas, s.MaxSurge, s.MaxUnavailable = Canary, 5, mustIP("0"), mustIP("1")
			s.Steps, _ = ParseSteps("90,100", Duration(time.Hour), false)
		}, "canary-weight-unmeetable"},
		{"weight off by a pod", func(s *Spec) {
			s.Strategy, s.Replicas = Canary, 4
			s.Steps, _ = ParseSteps("10,100", Duration(time.Hour), false)
		}, "canary-weight-unmeetable"},
		{"too few requests", func(s *Spec) {
			s.Strategy, s.Replicas, s.RPS = Canary, 10, 1
			s.Steps, _ = ParseSteps("10:1m,100", 0, true)
		}, "gate-too-little-traffic"},
		{"hpa", func(s *Spec) { s.Replicas, s.HPA = 4, true }, "hpa-fights-rollout"},
		{"ab without router", func(s *Spec) { s.Strategy, s.Replicas = AB, 4 }, "needs-l7-router"},
		{"shadow without router", func(s *Spec) { s.Strategy, s.Replicas = Shadow, 4 }, "needs-l7-router"},
		{"shadow writes", func(s *Spec) { s.Strategy, s.Replicas, s.TrafficRouter, s.ShadowWrites = Shadow, 4, "istio", true }, "shadow-non-idempotent"},
		{"blue-green capacity", func(s *Spec) {
			h := mustIP("50%")
			s.Strategy, s.Replicas, s.CapacityHeadroom = BlueGreen, 4, &h
		}, "blue-green-capacity"},
		{"breaking schema", func(s *Spec) { s.Replicas, s.SchemaChange = 4, "breaking" }, "breaking-schema-change"},
		{"breaking schema with recreate is fine", func(s *Spec) { s.Strategy, s.Replicas, s.SchemaChange = Recreate, 4, "breaking" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSpec()
			tt.mod(&s)
			p, err := Build(s)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(p.Findings) != 0 {
					t.Errorf("unexpected findings %+v", p.Findings)
				}
				return
			}
			for _, f := range p.Findings {
				if f.Code == tt.want {
					if f.Why == "" || f.Message == "" {
						t.Errorf("finding without explanation: %+v", f)
					}
					return
				}
			}
			t.Errorf("no %s finding in %+v", tt.want, p.Findings)
		})
	}
}

func TestAtOrAbove(t *testing.T) {
	fs := []Finding{{Severity: "warning"}}
	if !AtOrAbove(fs, "warning") || !AtOrAbove(fs, "info") || AtOrAbove(fs, "error") || AtOrAbove(fs, "never") {
		t.Error("severity ordering is wrong")
	}
}
