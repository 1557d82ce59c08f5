package deploy

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Step is one row of a plan: the state of the old and new versions while
// the step lasts and what it costs and risks.
type Step struct {
	Step   int    `json:"step"`
	Action string `json:"action"`
	// Desired, at most and at least available pods of each version.
	OldReplicas     int `json:"old_replicas"`
	OldMax          int `json:"old_max"`
	OldMinAvailable int `json:"old_min_available"`
	NewReplicas     int `json:"new_replicas"`
	NewMax          int `json:"new_max"`
	NewMinAvailable int `json:"new_min_available"`
	// MaxPods is the peak pod count during the step (transition included);
	// MinAvailable the fewest available pods.
	MaxPods      int `json:"max_pods"`
	MinAvailable int `json:"min_available"`
	// RequestedTrafficPercent is the weight asked for (canary setWeight, A/B
	// match share); TrafficPercent is what the new version actually gets.
	RequestedTrafficPercent float64 `json:"requested_traffic_percent"`
	TrafficPercent          float64 `json:"traffic_percent"`
	// MirroredPercent is the share of requests copied to a shadow.
	MirroredPercent float64 `json:"mirrored_percent,omitempty"`
	// CapacityPercent is MinAvailable as a share of the desired replicas,
	// capped at 100.
	CapacityPercent float64 `json:"capacity_percent"`
	PeakCPUMilli    int64   `json:"peak_cpu_millicores"`
	PeakMemoryBytes int64   `json:"peak_memory_bytes"`
	DurationSeconds float64 `json:"duration_seconds"`
	// NewRequests are the requests the new version serves (or, for a
	// shadow, receives as copies) during the step.
	NewRequests int64 `json:"new_requests"`
	// Gate says an analysis judges the new version at the end of the step;
	// RequestsNeeded is what the error-rate threshold needs (rule of three:
	// 3/threshold requests with no error bound the error rate below the
	// threshold at 95% confidence) and EnoughToJudge compares the two.
	Gate           bool  `json:"gate"`
	RequestsNeeded int64 `json:"requests_needed,omitempty"`
	EnoughToJudge  bool  `json:"enough_to_judge"`
	// BlastRadiusPercent is the share of user requests a bad new version
	// would hurt during the step, BlastRPS the same in requests per second.
	BlastRadiusPercent float64 `json:"blast_radius_percent"`
	BlastRPS           float64 `json:"blast_rps"`
	RollbackAction     string  `json:"rollback_action"`
	RollbackSeconds    float64 `json:"rollback_seconds"`

	// observeSeconds, when set, is the part of the step in which the new
	// version serves its full share: a canary's pause after its pods are
	// ready. Requests are counted over it rather than the whole step.
	observeSeconds float64
}

// Summary totals a plan.
type Summary struct {
	DurationSeconds float64 `json:"duration_seconds"`
	PeakPods        int     `json:"peak_pods"`
	PeakCPUMilli    int64   `json:"peak_cpu_millicores"`
	PeakMemoryBytes int64   `json:"peak_memory_bytes"`
	MinAvailable    int     `json:"min_available"`
	Downtime        bool    `json:"downtime"`
}

// Plan is the output of `msctl deploy plan`.
type Plan struct {
	Spec       Spec       `json:"spec"`
	Fenceposts Fenceposts `json:"fenceposts"`
	Steps      []Step     `json:"steps"`
	Summary    Summary    `json:"summary"`
	Findings   []Finding  `json:"findings"`
}

// MarshalJSON-friendly names for Fenceposts.
func (f Fenceposts) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"max_surge_pods":%d,"max_unavailable_pods":%d,"max_pods":%d,"min_available":%d}`,
		f.Surge, f.Unavailable, f.MaxPods, f.MinAvailable)), nil
}

// Build validates spec and computes its plan.
func Build(spec Spec) (*Plan, error) {
	if spec.Strategy == Canary && len(spec.Steps) == 0 {
		spec.Steps = DefaultSteps(spec.Pause)
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	res, _ := spec.resources()
	b := builder{spec: spec, res: res, r: spec.Replicas}
	b.fp = Bounds(spec.MaxSurge, spec.MaxUnavailable, spec.Replicas)
	switch spec.Strategy {
	case Recreate:
		b.recreate()
	case Rolling:
		b.rolling()
	case BlueGreen:
		b.blueGreen()
	case Canary:
		b.canary()
	case AB:
		b.ab()
	case Shadow:
		b.shadow()
	}
	p := &Plan{Spec: spec, Fenceposts: b.fp, Steps: b.steps}
	p.Summary = summarize(p.Steps, spec.Replicas)
	p.Findings = Lint(p)
	return p, nil
}

type builder struct {
	spec  Spec
	res   Resources
	r     int
	fp    Fenceposts
	steps []Step
}

func (b *builder) ready() float64 { return b.spec.ReadyTime.D().Seconds() }

// add completes a step's derived columns and appends it.
func (b *builder) add(st Step, gate bool) {
	st.Step = len(b.steps) + 1
	if st.OldMax == 0 {
		st.OldMax = st.OldReplicas
	}
	if st.NewMax == 0 {
		st.NewMax = st.NewReplicas
	}
	st.MaxPods = max(st.MaxPods, st.OldReplicas+st.NewReplicas)
	// A simulated step knows its true lowest total, which can be above the
	// sum of each side's lowest (they need not coincide).
	st.MinAvailable = max(st.MinAvailable, st.OldMinAvailable+st.NewMinAvailable)
	if b.r > 0 {
		// Capped: pods beyond the desired count (an idle blue copy) add
		// no serving capacity the plan can count on.
		st.CapacityPercent = min(100, round1(100*float64(st.MinAvailable)/float64(b.r)))
	}
	st.PeakCPUMilli = int64(st.MaxPods) * b.res.CPUMilli
	st.PeakMemoryBytes = int64(st.MaxPods) * b.res.MemoryBytes
	seen := st.TrafficPercent
	if st.MirroredPercent > 0 {
		seen = st.MirroredPercent
	}
	window := st.DurationSeconds
	if st.observeSeconds > 0 {
		window = st.observeSeconds
	}
	st.NewRequests = int64(math.Floor(b.spec.RPS * seen / 100 * window))
	// Users are hurt only through the responses they get: a shadow's
	// responses are discarded, so its mirrored share does not count.
	st.BlastRadiusPercent = st.TrafficPercent
	st.BlastRPS = round1(b.spec.RPS * st.BlastRadiusPercent / 100)
	st.Gate = gate
	if gate {
		st.RequestsNeeded = RequestsNeeded(b.spec.ErrorThreshold)
		st.EnoughToJudge = st.NewRequests >= st.RequestsNeeded
	}
	b.steps = append(b.steps, st)
}

// RequestsNeeded is how many requests without an error show, with 95%
// confidence, that the error rate is below threshold percent (the rule of
// three: 3/p).
func RequestsNeeded(thresholdPercent float64) int64 {
	return int64(math.Ceil(300 / thresholdPercent))
}

func (b *builder) recreate() {
	r := b.r
	b.add(Step{Action: "scale old to 0 (downtime begins)", OldReplicas: 0, OldMax: r, NewReplicas: 0,
		MaxPods: r, RollbackAction: "scale old back up", RollbackSeconds: b.ready()}, false)
	b.add(Step{Action: "create new; ready after ready time", NewReplicas: r, NewMinAvailable: 0,
		DurationSeconds: b.ready(), RequestedTrafficPercent: 100, TrafficPercent: 100,
		RollbackAction: "recreate old version (downtime again)", RollbackSeconds: b.ready()}, false)
	b.add(Step{Action: "new serving", NewReplicas: r, NewMinAvailable: r, RequestedTrafficPercent: 100, TrafficPercent: 100,
		RollbackAction: "recreate old version (downtime again)", RollbackSeconds: 2 * b.ready()}, false)
}

func (b *builder) rolling() {
	sim := simulateRolling(b.r, b.spec.MaxSurge, b.spec.MaxUnavailable, b.spec.ReadyTime, 0, false)
	b.steps = make([]Step, 0, len(sim.Steps))
	for i, s := range sim.Steps {
		st := Step{
			Action:      "rolling wave",
			OldReplicas: s.OldReplicas, OldMinAvailable: s.OldAvailable,
			NewReplicas: s.NewReplicas, NewMinAvailable: s.NewAvailable,
			DurationSeconds: b.ready(),
			RollbackAction:  "kubectl rollout undo",
		}
		if i == 0 {
			st.OldMax = b.r
		} else {
			st.OldMax = sim.Steps[i-1].OldReplicas
		}
		if avail := s.OldAvailable + s.NewAvailable; avail > 0 {
			st.TrafficPercent = round1(100 * float64(s.NewAvailable) / float64(avail))
		}
		st.RequestedTrafficPercent = st.TrafficPercent
		st.MaxPods = max(s.Pods, st.OldMax+s.NewReplicas)
		if st.MaxPods > b.fp.MaxPods {
			// The old pods go before the new ones are created when surge
			// leaves no room; the controller never exceeds max pods.
			st.MaxPods = b.fp.MaxPods
		}
		if i == len(sim.Steps)-1 {
			st.Action, st.DurationSeconds = "complete", 0
		}
		// The exact undo is a rolling update of its own; with very many
		// ticks (thousands of replicas one at a time) running one per tick
		// would be quadratic, so those get the wave estimate.
		st.RollbackSeconds = -1
		if len(sim.Steps) <= 500 {
			st.RollbackSeconds = rollbackSeconds(s, b.fp, b.r, b.spec.ReadyTime)
		}
		if st.RollbackSeconds < 0 {
			st.RollbackSeconds = float64(rollbackWaves(s.NewReplicas, b.fp)) * b.ready()
		}
		b.add(st, false)
	}
}

func (b *builder) blueGreen() {
	r := b.r
	preview := b.spec.PreviewReplicas
	if preview == 0 {
		preview = r
	}
	delay := b.spec.ScaleDownDelay.D().Seconds()
	b.add(Step{Action: fmt.Sprintf("start green (%d preview replicas), no user traffic", preview),
		OldReplicas: r, OldMinAvailable: r, NewReplicas: preview, DurationSeconds: b.ready(),
		RollbackAction: "delete green"}, false)
	if preview < r {
		b.add(Step{Action: "scale green to full size before the switch",
			OldReplicas: r, OldMinAvailable: r, NewReplicas: r, NewMinAvailable: preview, DurationSeconds: b.ready(),
			RollbackAction: "delete green"}, false)
	}
	b.add(Step{Action: "switch active service to green; blue kept for scale-down delay",
		OldReplicas: r, OldMinAvailable: r, NewReplicas: r, NewMinAvailable: r,
		RequestedTrafficPercent: 100, TrafficPercent: 100, DurationSeconds: delay,
		RollbackAction: "switch active service back to blue"}, true)
	b.add(Step{Action: "scale blue down", OldReplicas: 0, OldMax: r, NewReplicas: r, NewMinAvailable: r,
		RequestedTrafficPercent: 100, TrafficPercent: 100,
		RollbackAction: "scale blue up, then switch back", RollbackSeconds: b.ready()}, false)
}

func (b *builder) routed() bool { return b.spec.TrafficRouter != "none" }

func (b *builder) canary() {
	r := b.r
	c0, s0 := 0, r
	canaryRS, stableRS := replicaSet{}, replicaSet{spec: r, ready: r}
	steps := b.spec.Steps
	if steps[len(steps)-1].Weight < 100 {
		// After its last step a Rollout promotes to 100% on its own.
		steps = append(steps[:len(steps):len(steps)], CanaryStep{Weight: 100})
	}
	for _, cs := range steps {
		w := cs.Weight
		st := Step{RequestedTrafficPercent: float64(w)}
		var c, s, waves int
		if b.routed() {
			// Argo with a router: the canary gets weight's share of pods
			// rounded up, stable stays fully scaled, and the router sends
			// exactly the weight.
			c, s = RoutedCanaryCount(r, w), r
			st.TrafficPercent = float64(w)
			st.OldMinAvailable = r
			st.NewMinAvailable = min(c0, c)
			st.MaxPods = r + max(c, c0)
			st.Action = fmt.Sprintf("set weight %d%% at %s", w, b.spec.TrafficRouter)
			st.RollbackAction = "abort: router weight to 0, scale canary down"
		} else {
			// Without a router, step through Argo's reconciliation.
			t := simulateCanaryStep(r, w, b.fp, canaryRS, stableRS)
			canaryRS, stableRS = t.canary, t.stable
			c, s = canaryRS.spec, stableRS.spec
			if c+s > 0 {
				st.TrafficPercent = round1(100 * float64(c) / float64(c+s))
			}
			st.OldMinAvailable, st.NewMinAvailable = t.oldLowest, t.newLowest
			st.MinAvailable = t.lowestAvailable
			st.MaxPods = t.peakPods
			st.Action = fmt.Sprintf("set weight %d%% (replica-weighted)", w)
			if !t.reached {
				st.Action += ": never reached"
			}
			st.RollbackAction = "abort: scale stable back up, canary to 0"
			// An abort sets the weight to 0: the same reconciliation back.
			st.RollbackSeconds = float64(simulateCanaryStep(r, 0, b.fp, canaryRS, stableRS).waves) * b.ready()
			waves = t.waves
		}
		st.OldReplicas, st.NewReplicas = s, c
		st.OldMax, st.NewMax = max(st.OldMax, s, s0), max(st.NewMax, c, c0)
		if b.routed() && c > c0 {
			waves = 1
		}
		st.DurationSeconds = float64(waves)*b.ready() + cs.Pause.D().Seconds()
		st.observeSeconds = cs.Pause.D().Seconds()
		b.add(st, cs.Analysis && w < 100)
		c0, s0 = c, s
	}
	if b.routed() && s0 > 0 {
		b.add(Step{Action: "promoted: scale stable down", OldReplicas: 0, OldMax: s0,
			NewReplicas: c0, NewMinAvailable: c0, RequestedTrafficPercent: 100, TrafficPercent: 100,
			DurationSeconds: 30, RollbackAction: "roll forward or redeploy the old version", RollbackSeconds: b.ready()}, false)
	}
}

// observe is how long A/B and shadow steps watch the new version.
func (b *builder) observe() float64 { return b.spec.Pause.D().Seconds() }

func (b *builder) ab() {
	r := b.r
	pct := b.spec.MatchPercent
	nb := max(1, int(math.Ceil(float64(r)*pct/100)))
	b.add(Step{Action: "start version B, no traffic yet", OldReplicas: r, OldMinAvailable: r,
		NewReplicas: nb, DurationSeconds: b.ready(), RollbackAction: "delete B"}, false)
	st := Step{Action: "route requests matching the rules to B", OldReplicas: r, OldMinAvailable: r,
		NewReplicas: nb, NewMinAvailable: nb, RequestedTrafficPercent: pct, TrafficPercent: pct,
		DurationSeconds: b.observe(), RollbackAction: "remove the match rules"}
	if !b.routed() {
		// Without an L7 router the Service picks endpoints at random.
		st.TrafficPercent = round1(100 * float64(nb) / float64(r+nb))
		st.Action = "no L7 router: B gets a replica-weighted share, rules ignored"
		st.RollbackAction = "delete B"
	}
	b.add(st, true)
	b.promoteAndRetire(nb)
}

func (b *builder) shadow() {
	r := b.r
	pct := b.spec.ShadowPercent
	ns := max(1, int(math.Ceil(float64(r)*pct/100)))
	b.add(Step{Action: "start shadow copy, no traffic yet", OldReplicas: r, OldMinAvailable: r,
		NewReplicas: ns, DurationSeconds: b.ready(), RollbackAction: "delete shadow"}, false)
	b.add(Step{Action: fmt.Sprintf("mirror %g%% of requests; responses discarded", pct), OldReplicas: r, OldMinAvailable: r,
		NewReplicas: ns, NewMinAvailable: ns, MirroredPercent: pct, DurationSeconds: b.observe(),
		RollbackAction: "stop mirroring"}, true)
	b.promoteAndRetire(ns)
}

// promoteAndRetire scales the new version to full size, switches all
// traffic to it and then retires the old version, as a blue-green switch.
func (b *builder) promoteAndRetire(n int) {
	r := b.r
	b.add(Step{Action: "scale new to full size, switch all traffic", OldReplicas: r, OldMinAvailable: r,
		NewReplicas: r, NewMinAvailable: n, RequestedTrafficPercent: 100, TrafficPercent: 100,
		DurationSeconds: b.ready() + b.spec.ScaleDownDelay.D().Seconds(), RollbackAction: "switch traffic back to old"}, false)
	b.add(Step{Action: "scale old down", OldReplicas: 0, OldMax: r, NewReplicas: r, NewMinAvailable: r,
		RequestedTrafficPercent: 100, TrafficPercent: 100,
		RollbackAction: "scale old up, then switch back", RollbackSeconds: b.ready()}, false)
}

func summarize(steps []Step, replicas int) Summary {
	s := Summary{MinAvailable: replicas}
	for _, st := range steps {
		s.DurationSeconds += st.DurationSeconds
		s.PeakPods = max(s.PeakPods, st.MaxPods)
		s.PeakCPUMilli = max(s.PeakCPUMilli, st.PeakCPUMilli)
		s.PeakMemoryBytes = max(s.PeakMemoryBytes, st.PeakMemoryBytes)
		s.MinAvailable = min(s.MinAvailable, st.MinAvailable)
	}
	s.Downtime = replicas > 0 && s.MinAvailable == 0
	return s
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// FormatDuration prints seconds compactly: 45s, 5m, 1h2m.
func FormatDuration(sec float64) string {
	return Duration(sec * float64(time.Second)).String()
}

// String prints the duration as a Go duration without zero units, rounded
// to the second: 30s, 5m, 1h30m, 2m30s.
func (d Duration) String() string {
	v := time.Duration(d).Round(time.Second)
	if v == 0 {
		return "0s"
	}
	s := v.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
