package deploy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var bounds = []string{"0", "1", "2", "5", "0%", "10%", "25%", "33%", "50%", "100%"}

// TestSimulationKeepsBounds checks over many (replicas, surge, unavailable)
// values that the simulated controller never exceeds max pods, never drops
// below min available, and always completes when no pod fails.
func TestSimulationKeepsBounds(t *testing.T) {
	for r := 0; r <= 40; r++ {
		for _, sv := range bounds {
			for _, uv := range bounds {
				surge, unav := mustIP(sv), mustIP(uv)
				if surge.Value == 0 && unav.Value == 0 {
					continue
				}
				for _, failAt := range []int{0, 1, 2, 3} {
					sim := SimulateRolling(r, surge, unav, Duration(time.Second), failAt)
					name := fmt.Sprintf("r=%d surge=%s unav=%s fail=%d", r, sv, uv, failAt)
					for _, st := range sim.Steps {
						if st.Pods > sim.MaxPods {
							t.Fatalf("%s: step %d has %d pods > max %d", name, st.Step, st.Pods, sim.MaxPods)
						}
						if st.Available < sim.MinAvailable {
							t.Fatalf("%s: step %d has %d available < min %d", name, st.Step, st.Available, sim.MinAvailable)
						}
					}
					if failAt == 0 && !sim.Complete {
						t.Fatalf("%s: did not complete: %+v", name, sim.Steps[len(sim.Steps)-1])
					}
				}
			}
		}
	}
}

// TestPlansKeepBounds checks that no step of a rolling or replica-weighted
// canary plan breaks the surge or availability bounds.
func TestPlansKeepBounds(t *testing.T) {
	for r := 1; r <= 30; r++ {
		for _, sv := range bounds {
			for _, uv := range bounds {
				for _, strategy := range []string{Rolling, Canary} {
					s := DefaultSpec()
					s.Strategy, s.Replicas = strategy, r
					s.MaxSurge, s.MaxUnavailable = mustIP(sv), mustIP(uv)
					if s.MaxSurge.Value == 0 && s.MaxUnavailable.Value == 0 {
						continue
					}
					s.Steps, _ = ParseSteps("1,5,15,33,50,75,99,100", Duration(time.Minute), true)
					p, err := Build(s)
					if err != nil {
						t.Fatal(err)
					}
					for _, st := range p.Steps {
						if st.MaxPods > p.Fenceposts.MaxPods {
							t.Fatalf("%s r=%d %s/%s step %d: %d pods > %d", strategy, r, sv, uv, st.Step, st.MaxPods, p.Fenceposts.MaxPods)
						}
						if strings.Contains(st.Action, "never reached") {
							t.Fatalf("%s r=%d %s/%s step %d: %s", strategy, r, sv, uv, st.Step, st.Action)
						}
						if st.MinAvailable < p.Fenceposts.MinAvailable {
							t.Fatalf("%s r=%d %s/%s step %d: %d available < %d", strategy, r, sv, uv, st.Step, st.MinAvailable, p.Fenceposts.MinAvailable)
						}
					}
					last := p.Steps[len(p.Steps)-1]
					if last.NewReplicas != r || last.OldReplicas != 0 || last.TrafficPercent != 100 {
						t.Fatalf("%s r=%d: does not end on the new version: %+v", strategy, r, last)
					}
				}
			}
		}
	}
}

func TestRollingExample(t *testing.T) {
	// 10 replicas, 25%/25%: surge 3, unavailable 2 (kubernetes #21922's
	// rounding). The first sync creates 3 new pods, drops 2 old, then
	// fills the freed room: 8 old + 5 new = 13 pods, 8 available.
	sim := SimulateRolling(10, mustIP("25%"), mustIP("25%"), Duration(30*time.Second), 0)
	first := sim.Steps[0]
	if first.OldReplicas != 8 || first.NewReplicas != 5 || first.Available != 8 || first.Pods != 13 {
		t.Errorf("first tick = %+v", first)
	}
	if !sim.Complete || sim.DurationSeconds != 60 || len(sim.Steps) != 3 {
		t.Errorf("complete=%v in %gs over %d ticks, want 60s over 3", sim.Complete, sim.DurationSeconds, len(sim.Steps))
	}
}

func TestSimulationStalls(t *testing.T) {
	sim := SimulateRolling(5, mustIP("1"), mustIP("0"), Duration(30*time.Second), 1)
	if sim.Complete || !sim.Stalled || sim.LowestAvailable != 5 {
		t.Errorf("want a stall with all 5 old pods serving, got %+v", sim)
	}
}

func TestCanaryPlanExample(t *testing.T) {
	s := DefaultSpec()
	s.Strategy, s.Replicas = Canary, 10
	s.Steps, _ = ParseSteps("15,100", Duration(time.Minute), true)
	p, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	st := p.Steps[0]
	if st.NewReplicas != 2 || st.OldReplicas != 9 || st.TrafficPercent != 18.2 || st.RequestedTrafficPercent != 15 {
		t.Errorf("15%% of 10 = %+v, want 2 canary, 9 stable, 18.2%% traffic", st)
	}
	s.TrafficRouter = "istio"
	p, _ = Build(s)
	if st := p.Steps[0]; st.NewReplicas != 2 || st.OldReplicas != 10 || st.TrafficPercent != 15 {
		t.Errorf("routed 15%% of 10 = %+v, want 2 canary, 10 stable, 15%% traffic", st)
	}
}

func TestGateEvidence(t *testing.T) {
	s := DefaultSpec()
	s.Strategy, s.Replicas, s.RPS, s.ErrorThreshold = Canary, 20, 2, 1
	s.Steps, _ = ParseSteps("5:1m,100", 0, true)
	p, _ := Build(s)
	// 1 of 20 pods gets 5% of 2 rps; over the 60 s pause (the 30 s the pod
	// takes to be ready do not count) that is 6 requests, < 300.
	if st := p.Steps[0]; !st.Gate || st.EnoughToJudge || st.RequestsNeeded != 300 || st.NewRequests != 6 {
		t.Errorf("step = %+v", st)
	}
}

func TestStrategiesShape(t *testing.T) {
	for _, strategy := range Strategies {
		s := DefaultSpec()
		s.Strategy, s.Replicas, s.TrafficRouter = strategy, 4, "istio"
		s.Resources = map[string]string{"cpu": "250m", "memory": "128Mi"}
		p, err := Build(s)
		if err != nil {
			t.Fatalf("%s: %v", strategy, err)
		}
		last := p.Steps[len(p.Steps)-1]
		if last.NewReplicas != 4 || last.OldReplicas != 0 || last.TrafficPercent != 100 {
			t.Errorf("%s: last step %+v", strategy, last)
		}
		if p.Summary.PeakCPUMilli != int64(p.Summary.PeakPods)*250 {
			t.Errorf("%s: peak CPU %d for %d pods", strategy, p.Summary.PeakCPUMilli, p.Summary.PeakPods)
		}
		if (strategy == Recreate) != p.Summary.Downtime {
			t.Errorf("%s: downtime = %v", strategy, p.Summary.Downtime)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		mod  func(*Spec)
		want string
	}{
		{func(s *Spec) { s.Replicas = -1 }, "replicas is -1"},
		{func(s *Spec) { s.Strategy = "yolo" }, `unknown strategy "yolo"`},
		{func(s *Spec) { s.MaxSurge, s.MaxUnavailable = mustIP("0"), mustIP("0%") }, "both 0"},
		{func(s *Spec) { s.Steps = []CanaryStep{{Weight: 50}, {Weight: 20}} }, "increasing order"},
		{func(s *Spec) { s.Steps = []CanaryStep{{Weight: 150}} }, "outside 0-100"},
		{func(s *Spec) { s.TrafficRouter = "carrier-pigeon" }, "unknown traffic router"},
		{func(s *Spec) { s.Resources = map[string]string{"cpu": "lots"} }, "not a Kubernetes quantity"},
		{func(s *Spec) { s.Match = []string{"header:x"} }, "match rule"},
	}
	for _, tt := range tests {
		s := DefaultSpec()
		tt.mod(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}

func TestPlanFile(t *testing.T) {
	in := "strategy: canary\nreplicas: 8\nmax_surge: 1\nmax_unavailable: 0\ntraffic_router: nginx\nsteps:\n  - weight: 20\n    pause: 2m\n    analysis: true\n  - weight: 100\nready_time: 45s\n"
	s, err := LoadPlanFile("plan.yaml", []byte(in), DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	if s.Replicas != 8 || s.MaxSurge != mustIP("1") || s.Steps[0].Pause.D() != 2*time.Minute || s.ReadyTime.D() != 45*time.Second || s.TrafficRouter != "nginx" {
		t.Errorf("parsed %+v", s)
	}
	if _, err := LoadPlanFile("plan.yaml", []byte("replica: 3\n"), DefaultSpec()); err == nil || !strings.Contains(err.Error(), "plan.yaml") {
		t.Errorf("unknown field: err = %v", err)
	}
}

func TestCanaryPromotesAfterLastStep(t *testing.T) {
	s := DefaultSpec()
	s.Strategy, s.Replicas = Canary, 10
	s.Steps, _ = ParseSteps("20,40", Duration(time.Minute), true)
	p, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 3 || p.Steps[2].NewReplicas != 10 || p.Steps[2].Gate {
		t.Errorf("steps = %+v", p.Steps)
	}
	if len(p.Spec.Steps) != 2 {
		t.Errorf("the spec's steps changed: %+v", p.Spec.Steps)
	}
}

func TestDurationString(t *testing.T) {
	for in, want := range map[time.Duration]string{0: "0s", 30 * time.Second: "30s", 5 * time.Minute: "5m",
		90 * time.Second: "1m30s", time.Hour: "1h", 90 * time.Minute: "1h30m", 1500 * time.Millisecond: "2s"} {
		if got := Duration(in).String(); got != want {
			t.Errorf("%v: got %q, want %q", in, got, want)
		}
	}
}
