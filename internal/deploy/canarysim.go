package deploy

// replicaSet is a ReplicaSet in the canary simulation: its desired count,
// and how many of its pods are ready or still starting.
type replicaSet struct {
	spec, ready, pending int
}

// scaleTo sets the desired count. Scaling down removes starting pods
// first, as the ReplicaSet controller deletes unready pods before ready ones.
func (rs *replicaSet) scaleTo(n int) {
	if n > rs.spec {
		rs.pending += n - rs.spec
	} else {
		d := rs.spec - n
		fromPending := min(d, rs.pending)
		rs.pending -= fromPending
		rs.ready -= d - fromPending
	}
	rs.spec = n
}

// forScaleDown is GetReplicasForScaleDown: the pods a scale-down may count
// on, ignoring availability when asked.
func (rs *replicaSet) forScaleDown(ignoreAvailability bool) int {
	if rs.spec < rs.ready {
		return rs.spec
	}
	if ignoreAvailability {
		return rs.spec
	}
	return rs.ready
}

// basicCanaryCounts is one evaluation of Argo Rollouts'
// CalculateReplicaCountsForBasicCanary for a rollout with a stable and a
// canary ReplicaSet and no older ones: scale up within maxSurge (stable
// before canary), then scale down within maxUnavailable, the side being
// drained first, and finally keep both within the limits.
func basicCanaryCounts(replicas, weight int, fp Fenceposts, canary, stable replicaSet) (newCount, stableCount int) {
	desiredNew, desiredStable := BasicCanaryCounts(replicas, weight, fp.Surge)
	return canaryCountsToward(replicas, desiredNew, desiredStable, fp, canary, stable)
}

// canaryCountsToward is basicCanaryCounts with the weight already turned
// into desired counts.
func canaryCountsToward(replicas, desiredNew, desiredStable int, fp Fenceposts, canary, stable replicaSet) (newCount, stableCount int) {
	newCount, stableCount = canary.spec, stable.spec
	maxAllowed := replicas + fp.Surge
	scaleUp := maxAllowed - (canary.spec + stable.spec)
	if stable.spec < desiredStable && scaleUp > 0 {
		if stable.spec+scaleUp < desiredStable {
			stableCount = stable.spec + scaleUp
			scaleUp = 0
		} else {
			stableCount = desiredStable
			scaleUp -= desiredStable - stable.spec
		}
	}
	if canary.spec < desiredNew && scaleUp > 0 {
		newCount = min(desiredNew, canary.spec+scaleUp)
	}
	minAvailable := fp.MinAvailable
	increasing := desiredNew >= canary.spec
	toScaleDown := canary.forScaleDown(!increasing) + stable.forScaleDown(increasing)
	if toScaleDown <= minAvailable {
		return newCount, stableCount
	}
	scaleDown := toScaleDown - minAvailable
	if !increasing {
		if canary.spec > desiredNew {
			newCount = max(desiredNew, canary.spec-scaleDown)
		}
		newCount, stableCount = adjustWithinLimits(canary, stable, newCount, stableCount, maxAllowed, minAvailable)
	} else {
		if stable.spec > desiredStable {
			stableCount = max(desiredStable, stable.spec-scaleDown)
		}
		stableCount, newCount = adjustWithinLimits(stable, canary, stableCount, newCount, maxAllowed, minAvailable)
	}
	return newCount, stableCount
}

// adjustWithinLimits is Argo's adjustReplicaWithinLimits: it trims the
// side whose availability counts (adjust) back under max surge, gives back
// pods if that would break availability, and takes any excess from the
// side being drained.
func adjustWithinLimits(drain, adjust replicaSet, drainCount, adjustCount, maxAllowed, minAvailable int) (int, int) {
	over := max(0, adjustCount+drainCount-maxAllowed)
	totalAvailable := min(drain.ready, drainCount)
	adjustCount -= over
	totalAvailable += min(adjust.ready, adjustCount)
	extra := max(0, adjust.ready-adjustCount)
	need := max(0, minAvailable-totalAvailable)
	adjustCount += min(extra, need)
	over = max(0, adjustCount+drainCount-maxAllowed)
	drainCount -= over
	return drainCount, adjustCount
}

// canaryTransition is what happens while a replica-weighted canary moves to
// a new weight.
type canaryTransition struct {
	waves                     int
	peakPods, lowestAvailable int
	oldMax, newMax            int
	oldLowest, newLowest      int
	canary, stable            replicaSet
	reached                   bool
}

// simulateCanaryStep runs Argo Rollouts' basic canary reconciliation from
// the given ReplicaSets to weight. Each sync scales the stable ReplicaSet
// if its count changed, otherwise the canary (reconcileCanaryStableReplicaSet
// returns before reconcileNewReplicaSet), and syncs repeat at once; pods
// created in one wave are ready at the next. The step is reached when both
// sides have their desired counts and the canary's pods are all ready
// (AtDesiredReplicaCountsForCanary).
func simulateCanaryStep(replicas, weight int, fp Fenceposts, canary, stable replicaSet) canaryTransition {
	t := canaryTransition{
		peakPods: canary.spec + stable.spec, lowestAvailable: canary.ready + stable.ready,
		oldMax: stable.spec, newMax: canary.spec, oldLowest: stable.ready, newLowest: canary.ready,
	}
	observe := func() {
		t.peakPods = max(t.peakPods, canary.spec+stable.spec)
		t.lowestAvailable = min(t.lowestAvailable, canary.ready+stable.ready)
		t.oldMax, t.newMax = max(t.oldMax, stable.spec), max(t.newMax, canary.spec)
		t.oldLowest, t.newLowest = min(t.oldLowest, stable.ready), min(t.newLowest, canary.ready)
	}
	// After the last step a Rollout's weight is 100, which the same
	// arithmetic turns into all canary, no stable.
	desiredNew, desiredStable := BasicCanaryCounts(replicas, weight, fp.Surge)
	limit := 2*replicas + 8
	for wave := 0; wave <= limit; wave++ {
		for sync := 0; sync < 64; sync++ {
			n, s := canaryCountsToward(replicas, desiredNew, desiredStable, fp, canary, stable)
			switch {
			case s != stable.spec:
				stable.scaleTo(s)
			case n != canary.spec:
				canary.scaleTo(n)
			default:
				sync = 64
				continue
			}
			observe()
		}
		if canary.spec == desiredNew && canary.ready == desiredNew && stable.spec == desiredStable && stable.pending == 0 {
			t.reached = true
			break
		}
		// The pods started in this wave become ready.
		canary.ready += canary.pending
		canary.pending = 0
		stable.ready += stable.pending
		stable.pending = 0
		t.waves++
		observe()
	}
	t.canary, t.stable = canary, stable
	return t
}
