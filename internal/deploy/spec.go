package deploy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// The strategies msctl plans.
const (
	Recreate  = "recreate"
	Rolling   = "rolling"
	BlueGreen = "blue-green"
	Canary    = "canary"
	AB        = "ab"
	Shadow    = "shadow"
)

// Strategies lists the strategy names, for flags and completion.
var Strategies = []string{Recreate, Rolling, BlueGreen, Canary, AB, Shadow}

// TrafficRouters lists the --traffic-router values. "none" means traffic
// follows the number of ready pods behind one Service; the others split
// traffic by weight or by request attributes at layer 7.
var TrafficRouters = []string{"none", "istio", "nginx", "gateway-api", "linkerd", "traefik", "alb", "apisix", "contour"}

// Duration is a time.Duration written as "30s" or "5m" in plan files and JSON.
type Duration time.Duration

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "30s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("duration must be like 30s or 5m")
		}
		*d = Duration(n * float64(time.Second))
		return nil
	}
	v, err := ParseDuration(s)
	*d = v
	return err
}

// ParseDuration parses a non-negative Go duration.
func ParseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 30s or 5m", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return Duration(v), nil
}

// UnmarshalJSON accepts 3 as well as "3" and "25%".
func (v *IntOrPercent) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		if n < 0 {
			return fmt.Errorf("%d is negative", n)
		}
		*v = IntOrPercent{Value: n}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be an integer or a percentage like 25%%")
	}
	return v.UnmarshalText([]byte(s))
}

// CanaryStep is one setWeight step of a canary, with the pause after it
// and whether an analysis gate judges the new version before moving on.
type CanaryStep struct {
	Weight   int      `json:"weight"`
	Pause    Duration `json:"pause"`
	Analysis bool     `json:"analysis"`
}

// Spec is everything a plan is computed from. It is what a plan file holds
// (YAML with these snake_case names), what --from service.yaml fills in,
// and what the flags override.
type Spec struct {
	Name           string       `json:"name,omitempty"`
	Strategy       string       `json:"strategy"`
	Replicas       int          `json:"replicas"`
	MaxSurge       IntOrPercent `json:"max_surge"`
	MaxUnavailable IntOrPercent `json:"max_unavailable"`
	// Steps are the canary's weights; A/B and shadow use the first pause.
	Steps []CanaryStep `json:"steps,omitempty"`
	// Pause is how long A/B and shadow observe the new version, and the
	// default pause of canary steps given on the command line.
	Pause         Duration `json:"pause"`
	TrafficRouter string   `json:"traffic_router"`
	// PreviewReplicas is how many green pods blue-green starts before the
	// switch (Argo's previewReplicaCount); 0 means all replicas.
	PreviewReplicas int `json:"preview_replicas,omitempty"`
	// ScaleDownDelay keeps blue running after the switch for instant rollback.
	ScaleDownDelay Duration `json:"scale_down_delay"`
	// Match are the A/B rules (header:NAME=VALUE, cookie:NAME=VALUE, ...).
	Match []string `json:"match,omitempty"`
	// MatchPercent is the share of traffic the A/B rules are expected to select.
	MatchPercent float64 `json:"match_percent,omitempty"`
	// ShadowPercent is the share of traffic mirrored to the new version.
	ShadowPercent float64 `json:"shadow_percent,omitempty"`
	// ShadowWrites says the mirrored traffic includes non-idempotent requests.
	ShadowWrites bool              `json:"shadow_writes,omitempty"`
	ReadyTime    Duration          `json:"ready_time"`
	RPS          float64           `json:"rps"`
	Resources    map[string]string `json:"resources,omitempty"`
	// ErrorThreshold is the error rate, in percent, an analysis gate fails at.
	ErrorThreshold float64 `json:"error_threshold"`
	// HPA says a HorizontalPodAutoscaler scales the workload.
	HPA bool `json:"hpa,omitempty"`
	// SchemaChange is none, backward or breaking.
	SchemaChange string `json:"schema_change,omitempty"`
	// CapacityHeadroom is the spare room in the cluster, as a share of the
	// service's desired pods (for blue-green's second copy).
	CapacityHeadroom *IntOrPercent `json:"capacity_headroom,omitempty"`
}

// DefaultSpec holds the defaults: Kubernetes' 25%/25% rolling update, Argo's
// 30 s blue-green scale-down delay, and a 10/25/50/100 canary.
func DefaultSpec() Spec {
	return Spec{
		Strategy:       Rolling,
		Replicas:       3,
		MaxSurge:       IntOrPercent{Value: 25, Percent: true},
		MaxUnavailable: IntOrPercent{Value: 25, Percent: true},
		TrafficRouter:  "none",
		ScaleDownDelay: Duration(30 * time.Second),
		MatchPercent:   10,
		ShadowPercent:  100,
		ReadyTime:      Duration(30 * time.Second),
		Pause:          Duration(5 * time.Minute),
		RPS:            100,
		ErrorThreshold: 1,
		SchemaChange:   "none",
	}
}

// DefaultSteps are the canary weights used when none are given.
func DefaultSteps(pause Duration) []CanaryStep {
	return []CanaryStep{{10, pause, true}, {25, pause, true}, {50, pause, true}, {100, 0, false}}
}

// ParseSteps parses --steps: comma-separated weights, each optionally with
// its own pause (25:10m). Steps without one get pause; every step below
// 100% gets an analysis gate when analysis is set.
func ParseSteps(s string, pause Duration, analysis bool) ([]CanaryStep, error) {
	var steps []CanaryStep
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			// An empty item is a typo ("5,,25"); dropping it would deploy
			// a plan the user did not write.
			return nil, fmt.Errorf("empty step in %q: give a weight between each comma", s)
		}
		w, p, hasPause := strings.Cut(part, ":")
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(w), "%"))
		if err != nil {
			return nil, fmt.Errorf("step %q: weight is not a number", part)
		}
		st := CanaryStep{Weight: n, Pause: pause, Analysis: analysis}
		if hasPause {
			d, err := ParseDuration(p)
			if err != nil {
				return nil, fmt.Errorf("step %q: %w", part, err)
			}
			st.Pause = d
		}
		steps = append(steps, st)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("no weights in %q", s)
	}
	if last := &steps[len(steps)-1]; last.Weight == 100 && !strings.Contains(s, "100:") {
		last.Pause, last.Analysis = 0, false
	}
	return steps, nil
}

// Resources are per-replica requests parsed into exact quantities.
type Resources struct {
	CPUMilli    int64
	MemoryBytes int64
}

// ParseResources parses cpu=500m,memory=256Mi (Kubernetes quantities).
func ParseResources(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not NAME=QUANTITY", kv)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// resources parses and checks the resource map.
func (s *Spec) resources() (Resources, error) {
	var r Resources
	keys := make([]string, 0, len(s.Resources))
	for k := range s.Resources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		q, err := resource.ParseQuantity(s.Resources[k])
		if err != nil {
			return r, fmt.Errorf("resources: %s=%q is not a Kubernetes quantity like 500m or 256Mi", k, s.Resources[k])
		}
		if q.Sign() < 0 {
			return r, fmt.Errorf("resources: %s is negative", k)
		}
		switch k {
		case "cpu":
			r.CPUMilli = q.MilliValue()
		case "memory":
			r.MemoryBytes = q.Value()
		default:
			return r, fmt.Errorf("resources: unknown resource %q: use cpu and memory", k)
		}
	}
	return r, nil
}

// Validate checks the spec, returning one error that says what is wrong.
func (s *Spec) Validate() error {
	if !contains(Strategies, s.Strategy) {
		return fmt.Errorf("unknown strategy %q: use one of %s", s.Strategy, strings.Join(Strategies, ", "))
	}
	if !contains(TrafficRouters, s.TrafficRouter) {
		return fmt.Errorf("unknown traffic router %q: use one of %s", s.TrafficRouter, strings.Join(TrafficRouters, ", "))
	}
	if s.Replicas < 0 {
		return fmt.Errorf("replicas is %d: it must be 0 or more", s.Replicas)
	}
	if s.Replicas > 100_000 {
		return fmt.Errorf("replicas is %d: plans stop at 100000 (one Deployment rarely exceeds a few thousand)", s.Replicas)
	}
	if s.MaxUnavailable.Percent && s.MaxUnavailable.Value > 100 {
		return fmt.Errorf("max unavailable %s is over 100%%", s.MaxUnavailable)
	}
	if (s.Strategy == Rolling || s.Strategy == Canary) && s.MaxSurge.Value == 0 && s.MaxUnavailable.Value == 0 {
		return fmt.Errorf("max surge and max unavailable are both 0: the rollout could never make progress (Kubernetes rejects it too)")
	}
	prev := -1
	for i, st := range s.Steps {
		if st.Weight < 0 || st.Weight > 100 {
			return fmt.Errorf("step %d: weight %d is outside 0-100", i+1, st.Weight)
		}
		if st.Weight <= prev {
			return fmt.Errorf("step %d: weight %d does not increase on %d: weights must be in increasing order", i+1, st.Weight, prev)
		}
		prev = st.Weight
	}
	if s.PreviewReplicas < 0 || s.PreviewReplicas > s.Replicas {
		return fmt.Errorf("preview replicas %d must be between 0 and replicas (%d)", s.PreviewReplicas, s.Replicas)
	}
	if s.MatchPercent < 0 || s.MatchPercent > 100 {
		return fmt.Errorf("match percent %g is outside 0-100", s.MatchPercent)
	}
	if s.ShadowPercent < 0 || s.ShadowPercent > 100 {
		return fmt.Errorf("shadow percent %g is outside 0-100", s.ShadowPercent)
	}
	if s.RPS < 0 {
		return fmt.Errorf("rps %g is negative", s.RPS)
	}
	if s.ErrorThreshold <= 0 || s.ErrorThreshold >= 100 {
		return fmt.Errorf("error threshold %g%% must be above 0 and below 100", s.ErrorThreshold)
	}
	if !contains([]string{"none", "backward", "breaking"}, s.SchemaChange) {
		return fmt.Errorf("unknown schema change %q: use none, backward or breaking", s.SchemaChange)
	}
	for _, m := range s.Match {
		if _, err := ParseMatch(m); err != nil {
			return err
		}
	}
	_, err := s.resources()
	return err
}

// Match is one A/B routing rule.
type Match struct {
	Kind  string `json:"kind"` // header, cookie, query
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ParseMatch parses header:NAME=VALUE, cookie:NAME=VALUE or query:NAME=VALUE.
func ParseMatch(s string) (Match, error) {
	kind, rest, ok := strings.Cut(s, ":")
	name, value, ok2 := strings.Cut(rest, "=")
	if !ok || !ok2 || name == "" || !contains([]string{"header", "cookie", "query"}, kind) {
		return Match{}, fmt.Errorf("match rule %q is not header:NAME=VALUE, cookie:NAME=VALUE or query:NAME=VALUE", s)
	}
	return Match{Kind: kind, Name: name, Value: value}, nil
}

// LoadPlanFile reads a plan file (YAML with Spec's field names) over base.
// Unknown fields are errors, so typos do not silently fall back to defaults.
func LoadPlanFile(path string, b []byte, base Spec) (Spec, error) {
	s := base
	if err := yaml.UnmarshalStrict(b, &s); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
