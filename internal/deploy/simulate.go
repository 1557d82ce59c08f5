package deploy

import "fmt"

// SimStep is the state of a rolling update at one tick of the simulation.
// Ticks are --ready-time apart: pods created at one tick are ready at the
// next, unless they fail.
type SimStep struct {
	Step         int      `json:"step"`
	AtSeconds    float64  `json:"at_seconds"`
	OldReplicas  int      `json:"old_replicas"`
	NewReplicas  int      `json:"new_replicas"`
	OldAvailable int      `json:"old_available"`
	NewAvailable int      `json:"new_available"`
	Available    int      `json:"available"`
	Pods         int      `json:"pods"`
	Actions      []string `json:"actions"`
}

// Simulation is the result of SimulateRolling.
type Simulation struct {
	Replicas       int       `json:"replicas"`
	MaxSurge       string    `json:"max_surge"`
	MaxUnavailable string    `json:"max_unavailable"`
	MaxPods        int       `json:"max_pods"`
	MinAvailable   int       `json:"min_available"`
	ReadySeconds   float64   `json:"ready_seconds"`
	FailAt         int       `json:"fail_at,omitempty"`
	Steps          []SimStep `json:"steps"`
	// LowestAvailable is the fewest available pods seen at any tick.
	LowestAvailable int  `json:"lowest_available"`
	PeakPods        int  `json:"peak_pods"`
	Complete        bool `json:"complete"`
	// Stalled means the rollout stopped making progress (new pods never
	// became ready); Kubernetes would report ProgressDeadlineExceeded.
	Stalled         bool    `json:"stalled"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// SimulateRolling steps through a rolling update of replicas pods the way
// the deployment controller reconciles it: at every sync it first scales
// the new ReplicaSet up within maxSurge (NewRSNewReplicas), then scales old
// ReplicaSets down, unhealthy pods first, only as far as availability
// allows (reconcileOldReplicaSets). Pods become ready ready after they are
// created; with failAt > 0 the pods created from that tick on never become
// ready, as with a crash-looping image.
func SimulateRolling(replicas int, maxSurge, maxUnavailable IntOrPercent, ready Duration, failAt int) Simulation {
	return simulateRolling(replicas, maxSurge, maxUnavailable, ready, failAt, true)
}

// simulateRolling runs the simulation; describe says whether to write the
// actions of each tick, which plans of many replicas do not need.
func simulateRolling(replicas int, maxSurge, maxUnavailable IntOrPercent, ready Duration, failAt int, describe bool) Simulation {
	fp := Bounds(maxSurge, maxUnavailable, replicas)
	sim := Simulation{
		Replicas: replicas, MaxSurge: maxSurge.String(), MaxUnavailable: maxUnavailable.String(),
		MaxPods: fp.MaxPods, MinAvailable: fp.MinAvailable, ReadySeconds: ready.D().Seconds(),
		FailAt: failAt, LowestAvailable: replicas,
	}
	rs := rollState{old: replicas, oldAvail: replicas}
	// A tick moves about surge+unavailable pods; sizing the slice once
	// matters for thousands of replicas moved one at a time.
	sim.Steps = make([]SimStep, 0, replicas/max(1, fp.Surge+fp.Unavailable)+3)
	// Every tick moves at least one pod or makes one ready, so the loop
	// ends within a bounded number of ticks; the cap is a safety net.
	limit := 4*replicas + 8
	for tick := 1; tick <= limit; tick++ {
		rs.newReady += rs.pendingOK
		rs.pendingOK = 0
		actions, changed := rs.reconcile(fp, replicas, failAt > 0 && tick >= failAt, describe)
		st := SimStep{
			Step: tick, AtSeconds: float64(tick-1) * ready.D().Seconds(),
			OldReplicas: rs.old, NewReplicas: rs.new, OldAvailable: rs.oldAvail, NewAvailable: rs.newReady,
			Available: rs.oldAvail + rs.newReady, Pods: rs.old + rs.new, Actions: actions,
		}
		sim.Steps = append(sim.Steps, st)
		sim.LowestAvailable = min(sim.LowestAvailable, st.Available)
		sim.PeakPods = max(sim.PeakPods, st.Pods)
		if rs.old == 0 && rs.newReady == replicas && rs.new == replicas {
			sim.Complete = true
			sim.DurationSeconds = st.AtSeconds
			return sim
		}
		if !changed && rs.pendingOK == 0 {
			sim.Stalled = true
			sim.DurationSeconds = st.AtSeconds
			return sim
		}
	}
	sim.Stalled = true
	return sim
}

// rollState is the old and new ReplicaSets' spec and available counts.
type rollState struct {
	old, oldAvail int
	new, newReady int
	// pendingOK are created pods that will be ready at the next tick.
	pendingOK int
}

// reconcile runs controller syncs until nothing changes and returns what
// they did.
func (r *rollState) reconcile(fp Fenceposts, desired int, failing, describe bool) (actions []string, moved bool) {
	note := func(format string, a ...any) {
		moved = true
		if describe {
			actions = append(actions, fmt.Sprintf(format, a...))
		}
	}
	// A sync scales up or down and returns; the next sync follows at once.
	// Three syncs settle a tick (up, down, up into the freed room); the
	// bound only guards against a bug looping forever.
	for i := 0; i < 16; i++ {
		changed := false
		// reconcileNewReplicaSet / NewRSNewReplicas: scale up within surge,
		// never past desired.
		if r.new < desired {
			if total := r.old + r.new; total < fp.MaxPods {
				up := min(fp.MaxPods-total, desired-r.new)
				note("scale new %d→%d", r.new, r.new+up)
				r.new += up
				if !failing {
					r.pendingOK += up
				}
				changed = true
			}
		}
		// reconcileOldReplicaSets: only when the new set's unavailable
		// pods leave room, unhealthy old pods first, then down to
		// minAvailable.
		if r.old > 0 {
			maxScaledDown := r.old + r.new - fp.MinAvailable - (r.new - r.newReady)
			if maxScaledDown > 0 {
				if bad := r.old - r.oldAvail; bad > 0 {
					n := min(bad, maxScaledDown)
					note("clean up %d unhealthy old", n)
					r.old -= n
					changed = true
				}
				if avail := r.oldAvail + r.newReady; avail > fp.MinAvailable && r.old > 0 {
					n := min(r.old, avail-fp.MinAvailable)
					note("scale old %d→%d", r.old, r.old-n)
					r.old -= n
					r.oldAvail = min(r.oldAvail, r.old)
					changed = true
				}
			}
		}
		if !changed {
			break
		}
	}
	return actions, moved
}

// rollbackSeconds is how long `kubectl rollout undo` takes from a tick of a
// rolling update: the old ReplicaSet becomes the new one and the controller
// rolls back under the same bounds; the current new pods that are not ready
// yet count as unhealthy and are cleaned up first.
func rollbackSeconds(st SimStep, fp Fenceposts, replicas int, ready Duration) float64 {
	rs := rollState{old: st.NewReplicas, oldAvail: st.NewAvailable, new: st.OldReplicas, newReady: st.OldAvailable}
	limit := 4*replicas + 8
	for tick := 1; tick <= limit; tick++ {
		rs.newReady += rs.pendingOK
		rs.pendingOK = 0
		_, changed := rs.reconcile(fp, replicas, false, false)
		if rs.old == 0 && rs.newReady == replicas && rs.new == replicas {
			return float64(tick-1) * ready.D().Seconds()
		}
		if !changed && rs.pendingOK == 0 {
			break
		}
	}
	return -1
}

// rollbackWaves estimates how many ready-time waves a rolling update needs
// to move n pods back: each wave moves at most surge+unavailable pods.
func rollbackWaves(n int, fp Fenceposts) int {
	per := max(1, fp.Surge+fp.Unavailable)
	return (n + per - 1) / per
}
