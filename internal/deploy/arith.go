// Package deploy plans, simulates, lints, recommends and renders deployment
// strategies (recreate, rolling update, blue-green, canary, A/B, shadow).
//
// Its arithmetic follows the controllers that run these strategies, so that
// a plan shows the replica counts the cluster will really have: the
// Kubernetes deployment controller for rolling updates (ResolveFenceposts,
// NewRSNewReplicas, reconcileOldReplicaSets) and Argo Rollouts for canaries
// (approximateWeightedCanaryStableReplicaCounts for replica-weighted
// canaries, trafficWeightToReplicas when a traffic router splits traffic).
// The code is our own; tests pin it to the controllers' documented results
// and to k8s.io/apimachinery's intstr rounding.
package deploy

import (
	"fmt"
	"strconv"
	"strings"
)

// IntOrPercent is a count of pods or a percentage of the desired replicas,
// as maxSurge and maxUnavailable are in a Deployment.
type IntOrPercent struct {
	Value   int
	Percent bool
}

// String prints the value as the user wrote it: "3" or "25%".
func (v IntOrPercent) String() string {
	if v.Percent {
		return strconv.Itoa(v.Value) + "%"
	}
	return strconv.Itoa(v.Value)
}

// MarshalText lets plan files and JSON carry the value as "25%" or "3".
func (v IntOrPercent) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses "25%" or "3".
func (v *IntOrPercent) UnmarshalText(b []byte) error {
	p, err := ParseIntOrPercent(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ParseIntOrPercent parses a non-negative integer or percentage.
func ParseIntOrPercent(s string) (IntOrPercent, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil {
		return IntOrPercent{}, fmt.Errorf("%q is not an integer or a percentage like 25%%", s)
	}
	if n < 0 {
		return IntOrPercent{}, fmt.Errorf("%q is negative", s)
	}
	return IntOrPercent{Value: n, Percent: pct}, nil
}

// Scaled resolves v against total as intstr.GetScaledValueFromIntOrPercent
// does: a percentage is rounded up when roundUp is set, down otherwise. The
// arithmetic is integer so that it is exact for any replica count.
func (v IntOrPercent) Scaled(total int, roundUp bool) int {
	if !v.Percent {
		return v.Value
	}
	if roundUp {
		return (v.Value*total + 99) / 100
	}
	return v.Value * total / 100
}

// ResolveFenceposts turns maxSurge and maxUnavailable into pod counts for
// desired replicas, exactly as the deployment controller does: surge rounds
// up, unavailable rounds down, and when both come out zero unavailable
// becomes one, on the theory that surge may be blocked by a quota.
func ResolveFenceposts(maxSurge, maxUnavailable IntOrPercent, desired int) (surge, unavailable int) {
	surge = maxSurge.Scaled(desired, true)
	unavailable = maxUnavailable.Scaled(desired, false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// Fenceposts are the resolved bounds of a rolling update or canary.
type Fenceposts struct {
	Surge       int
	Unavailable int
	// MaxPods is the most pods that may exist at once (desired + surge).
	MaxPods int
	// MinAvailable is the fewest available pods allowed (desired - unavailable).
	MinAvailable int
}

// Bounds resolves the fenceposts and caps unavailable at desired, as the
// controller's MaxUnavailable does.
func Bounds(maxSurge, maxUnavailable IntOrPercent, desired int) Fenceposts {
	s, u := ResolveFenceposts(maxSurge, maxUnavailable, desired)
	if desired == 0 {
		u = 0
	}
	u = min(u, desired)
	return Fenceposts{Surge: s, Unavailable: u, MaxPods: desired + s, MinAvailable: desired - u}
}

// BasicCanaryCounts returns the canary and stable replica counts Argo
// Rollouts aims for at weight percent when no traffic router is configured
// and traffic follows pod counts. Of the candidate splits (rounding the
// canary up or down, over spec replicas or, when surge is allowed, over
// spec+1) it picks the one whose canary share is closest to weight; when the
// floor and ceiling are equally close it takes the larger canary. For
// weights 1-99 neither side is scaled to zero unless a single replica
// without surge leaves no choice.
func BasicCanaryCounts(replicas, weight, surge int) (canary, stable int) {
	if replicas == 0 {
		return 0, 0
	}
	type option struct{ canary, total int }
	// At most four candidates; a fixed array keeps this allocation-free,
	// since simulations call it at every sync.
	var buf [4]option
	opts := buf[:0]
	ceil := (replicas*weight + 99) / 100
	floor := replicas * weight / 100
	zeroAllowed := weight == 100 || weight == 0 || (replicas == 1 && surge == 0)
	if ceil < replicas || zeroAllowed {
		opts = append(opts, option{ceil, replicas})
	}
	if !halfTied(weight, replicas) && (floor != 0 || zeroAllowed) {
		opts = append(opts, option{floor, replicas})
	}
	if surge > 0 {
		opts = append(opts, option{ceil, replicas + 1})
		if !halfTied(weight, replicas+1) && (floor != 0 || zeroAllowed) {
			opts = append(opts, option{floor, replicas + 1})
		}
	}
	if len(opts) == 0 {
		// Argo's fallback (see CanaryFallback): no canary at all.
		return 0, replicas
	}
	best := opts[0]
	for _, o := range opts[1:] {
		// Compare |c/t - w/100| exactly: |100c - w t| / t, cross-multiplied.
		if absInt(100*o.canary-weight*o.total)*best.total < absInt(100*best.canary-weight*best.total)*o.total {
			best = o
		}
	}
	return best.canary, best.total - best.canary
}

// CanaryFallback reports whether Argo Rollouts finds no acceptable split for
// a replica-weighted canary and falls back to zero canary pods: without
// surge, when replicas*weight/100 ends in exactly one half and rounding up
// would leave no stable pod (for example 5 replicas at 90%, or 2 at 75%).
// The weight is then unmeetable, which lint reports.
func CanaryFallback(replicas, weight, surge int) bool {
	if replicas == 0 || weight == 0 || weight == 100 || surge > 0 || replicas == 1 {
		return false
	}
	return (replicas*weight+99)/100 >= replicas && halfTied(weight, replicas)
}

// halfTied reports whether total*weight/100 has a fractional part of
// exactly one half, so that rounding down and up are equally far off.
func halfTied(weight, total int) bool { return (total*weight)%100 == 50 }

// RoutedCanaryCount is the canary replica count Argo Rollouts runs at weight
// percent when a traffic router splits traffic: the weight of the replicas,
// rounded up. The stable side stays fully scaled.
func RoutedCanaryCount(replicas, weight int) int { return (replicas*weight + 99) / 100 }

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
