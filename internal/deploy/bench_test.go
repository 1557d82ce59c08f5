package deploy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkPlan10kReplicas100Steps is the budget: a canary of
// 10,000 replicas with 100 steps must plan in under 50 ms.
func BenchmarkPlan10kReplicas100Steps(b *testing.B) {
	var w []string
	for i := 1; i <= 100; i++ {
		w = append(w, fmt.Sprint(i))
	}
	steps, err := ParseSteps(strings.Join(w, ","), Duration(time.Minute), true)
	if err != nil {
		b.Fatal(err)
	}
	for _, router := range []string{"none", "istio"} {
		b.Run("router="+router, func(b *testing.B) {
			s := DefaultSpec()
			s.Strategy, s.Replicas, s.Steps, s.TrafficRouter = Canary, 10000, steps, router
			s.Resources = map[string]string{"cpu": "500m", "memory": "256Mi"}
			for b.Loop() {
				if _, err := Build(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("router=none,surge=1", func(b *testing.B) {
		// The slowest canary: one pod at a time, every wave simulated.
		s := DefaultSpec()
		s.Strategy, s.Replicas, s.Steps = Canary, 10000, steps
		s.MaxSurge, s.MaxUnavailable = IntOrPercent{Value: 1}, IntOrPercent{Value: 0}
		for b.Loop() {
			if _, err := Build(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rolling-surge-1", func(b *testing.B) {
		// 10,000 replicas one pod at a time: 10,000 controller ticks.
		s := DefaultSpec()
		s.Replicas, s.MaxSurge, s.MaxUnavailable = 10000, IntOrPercent{Value: 1}, IntOrPercent{Value: 0}
		for b.Loop() {
			if _, err := Build(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
