package deploy

import "testing"

// TestBasicCanaryCountsMatchArgo replays the cases of Argo Rollouts'
// TestCalculateReplicaCountsForCanary that have no older ReplicaSets and no
// traffic router: one evaluation from the given ReplicaSets must give the
// same canary and stable counts.
func TestBasicCanaryCountsMatchArgo(t *testing.T) {
	tests := []struct {
		name                    string
		replicas, weight        int
		surge, unavailable      string
		stableSpec, stableAvail int
		canarySpec, canaryAvail int
		wantStable, wantCanary  int
	}{
		{"extra available over spec", 10, 100, "3", "0", 7, 8, 6, 3, 7, 6},
		{"max surge int scales canary up", 10, 20, "2", "0", 10, 10, 0, 0, 10, 2},
		{"max surge percentage", 10, 20, "20%", "0", 10, 10, 0, 0, 10, 2},
		{"scale down extra stable", 10, 20, "20%", "0", 10, 10, 2, 2, 8, 2},
		{"not past max surge", 10, 30, "2", "0", 10, 10, 0, 0, 10, 2},
		{"max unavailable int scales stable down", 10, 20, "0", "2", 10, 10, 0, 0, 8, 0},
		{"max unavailable percentage", 10, 20, "0", "20%", 10, 10, 0, 0, 8, 0},
		{"not past max unavailable", 10, 30, "0", "2", 10, 10, 0, 0, 8, 0},
		{"surge and unavailable", 10, 50, "2", "1", 10, 10, 0, 0, 9, 2},
		{"weight 0 scales canary to zero", 10, 0, "1", "1", 10, 10, 1, 1, 10, 0},
		{"weight 100 scales stable to zero", 10, 100, "1", "1", 1, 1, 10, 10, 0, 10},
		{"canary not zero on non-zero weight", 1, 20, "1", "0", 1, 1, 0, 0, 1, 1},
		{"canary not zero on non-100 weight", 1, 90, "1", "0", 1, 1, 0, 0, 1, 1},
		{"scale down canary and stable", 10, 30, "0", "3", 8, 5, 4, 4, 7, 3},
		{"stable and canary available", 10, 100, "1", "0", 10, 2, 10, 8, 2, 9},
		{"uneven weight, no surge", 10, 5, "0", "1", 10, 10, 0, 0, 9, 0},
		{"uneven weight, no surge, part 2", 10, 5, "0", "1", 9, 9, 0, 0, 9, 1},
		{"0% and 0% become unavailable 1", 10, 10, "0%", "0%", 10, 10, 0, 0, 9, 0},
		{"surge honoured while stable unavailable", 4, 100, "1", "0", 4, 1, 0, 0, 4, 1},
		{"down to max unavailable without surge", 3, 99, "0", "2", 3, 3, 0, 0, 1, 0},
		{"down to max unavailable without surge, part 2", 3, 99, "0", "2", 1, 1, 0, 0, 1, 2},
		{"unavailable honoured while stable unavailable", 4, 100, "1", "0", 4, 1, 1, 1, 3, 1},
		{"abort honours unavailable", 4, 0, "1", "0", 0, 0, 4, 4, 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp := Bounds(mustIP(tt.surge), mustIP(tt.unavailable), tt.replicas)
			canary := replicaSet{spec: tt.canarySpec, ready: tt.canaryAvail}
			stable := replicaSet{spec: tt.stableSpec, ready: tt.stableAvail}
			n, s := basicCanaryCounts(tt.replicas, tt.weight, fp, canary, stable)
			if n != tt.wantCanary || s != tt.wantStable {
				t.Errorf("got canary %d stable %d, want canary %d stable %d", n, s, tt.wantCanary, tt.wantStable)
			}
		})
	}
}

func TestCanaryStepReachesEveryWeight(t *testing.T) {
	for r := 1; r <= 25; r++ {
		for _, sv := range []string{"0", "1", "25%"} {
			for _, uv := range []string{"0", "1", "25%"} {
				fp := Bounds(mustIP(sv), mustIP(uv), r)
				canary, stable := replicaSet{}, replicaSet{spec: r, ready: r}
				for _, w := range []int{1, 10, 33, 50, 90, 100} {
					tr := simulateCanaryStep(r, w, fp, canary, stable)
					if !tr.reached {
						t.Fatalf("r=%d %s/%s weight %d not reached: %+v", r, sv, uv, w, tr)
					}
					if tr.peakPods > fp.MaxPods || tr.lowestAvailable < fp.MinAvailable {
						t.Fatalf("r=%d %s/%s weight %d: peak %d (max %d), lowest %d (min %d)", r, sv, uv, w, tr.peakPods, fp.MaxPods, tr.lowestAvailable, fp.MinAvailable)
					}
					canary, stable = tr.canary, tr.stable
				}
			}
		}
	}
}
