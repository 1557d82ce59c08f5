package ratelimit

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/msctl/msctl/internal/loadtest"
)

// Target makes requesters; identity, when not nil, adds headers (or gRPC
// metadata) that name a client.
type Target interface {
	New(identity http.Header) (loadtest.Requester, error)
	Name() string
}

// Prober runs probe steps against a target.
type Prober struct {
	Target Target
	Draft  Draft
	// Log receives one line per step (progress on stderr); may be nil.
	Log io.Writer
	// Deadline bounds the whole search.
	Deadline time.Time

	// sigMu guards the last signals seen.
	sigMu   sync.Mutex
	last    Signals
	lastAt  time.Time
	sources map[string]bool
	// policies is the first declared policy set seen.
	policies []Policy
	states   []stateAt
}

type stateAt struct {
	at time.Time
	s  State
}

// Step is one probe at a constant rate, as reported in JSON.
type Step struct {
	Phase string  `json:"phase"`
	Rate  float64 `json:"rate"`
	// Drained is true when the bucket was emptied right before the step,
	// so that what passes is the sustained rate alone.
	Drained     bool    `json:"drained"`
	DurationS   float64 `json:"duration_s"`
	Sent        int64   `json:"sent"`
	Accepted    int64   `json:"accepted"`
	Throttled   int64   `json:"throttled"`
	Unavailable int64   `json:"unavailable"`
	Errors      int64   `json:"errors"`
	// AcceptedRate is the accepted rate once throttling began (steady
	// state), or over the whole step when nothing was throttled.
	AcceptedRate float64 `json:"accepted_rate"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	Verdict      string  `json:"verdict"`

	// firstThrottle is when the first throttled request was sent,
	// relative to the step's start; acceptedBefore counts what was
	// accepted before it.
	firstThrottle  time.Duration
	acceptedBefore int64
	keptUp         bool
}

// Step verdicts.
const (
	Under     = "under"
	Over      = "over"
	Saturated = "saturated"
)

type rec struct {
	off              time.Duration
	intended, sentAt time.Time
	class            loadtest.Class
}

// probe describes one step to run.
type probe struct {
	identity http.Header
	profile  loadtest.Profile
	// rate is the rate reported for the step (the measured stage).
	rate     float64
	d        time.Duration
	requests int64
	// stopOnThrottle ends the step at the first throttled response.
	stopOnThrottle bool
}

// run sends one probe step.
func (p *Prober) run(ctx context.Context, pr probe) (Step, []rec, error) {
	identity, rate, d, stopOnThrottle := pr.identity, pr.rate, pr.d, pr.stopOnThrottle
	r, err := p.Target.New(identity)
	if err != nil {
		return Step{}, nil, err
	}
	defer r.Close()
	if left := time.Until(p.Deadline); d > left {
		d = max(left, 100*time.Millisecond)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var recs []rec
	prof := pr.profile
	if len(prof.Stages) == 0 {
		prof = loadtest.Constant(rate)
	}
	opts := loadtest.Options{Profile: &prof, Duration: d, Requests: pr.requests, Workers: 8, MaxWorkers: 2000,
		OnResponse: func(o *loadtest.Outcome) {
			mu.Lock()
			recs = append(recs, rec{intended: o.Intended, sentAt: o.Sent, class: o.Class})
			mu.Unlock()
			if o.Class == loadtest.Throttled && stopOnThrottle {
				cancel()
			}
			p.observe(o)
		}}
	res, err := loadtest.Run(runCtx, r, opts)
	if err != nil {
		return Step{}, nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	var start time.Time
	for _, x := range recs {
		if start.IsZero() || x.intended.Before(start) {
			start = x.intended
		}
	}
	for i := range recs {
		recs[i].off = recs[i].sentAt.Sub(start)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].off < recs[j].off })
	st := Step{
		Rate: rate, DurationS: res.DurationS, Sent: res.Requests.Sent,
		Accepted: res.Status.Accepted, Throttled: res.Status.Throttled, Unavailable: res.Status.Unavailable,
		Errors: res.Status.Failed + res.Status.Timeouts + res.Status.TransportErrors,
		P50Ms:  res.LatencyMs.Uncorrected.P50, P99Ms: res.LatencyMs.Uncorrected.P99,
		firstThrottle: -1, keptUp: res.Generator.KeptUp,
	}
	for _, x := range recs {
		if x.class == loadtest.Throttled {
			st.firstThrottle = x.off
			break
		}
		if x.class == loadtest.Accepted {
			st.acceptedBefore++
		}
	}
	if ctx.Err() != nil {
		return st, recs, ctx.Err()
	}
	return st, recs, nil
}

// steady is the accepted rate over [from, end of step].
func steady(recs []rec, from time.Duration, rate float64) float64 {
	if len(recs) == 0 {
		return 0
	}
	var n int64
	for _, x := range recs {
		if x.off >= from && x.class == loadtest.Accepted {
			n++
		}
	}
	// The window ends one interval after the last send.
	span := recs[len(recs)-1].off - from + time.Duration(float64(time.Second)/rate)
	if span <= 0 {
		return 0
	}
	return float64(n) / span.Seconds()
}

func (p *Prober) observe(o *loadtest.Outcome) {
	var s Signals
	now := time.Now()
	if o.Code >= loadtest.GRPCCodeBase {
		s = ParseGRPC(o.Status, o.Header, now, p.Draft)
	} else {
		s = ParseHTTP(o.Code, o.Header, now, p.Draft)
	}
	if !s.Any() {
		return
	}
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	if p.sources == nil {
		p.sources = map[string]bool{}
	}
	for _, src := range s.Sources {
		p.sources[src] = true
	}
	if p.policies == nil && len(s.Policies) > 0 {
		p.policies = s.Policies
	}
	if len(s.States) > 0 && len(p.states) < 10000 {
		p.states = append(p.states, stateAt{at: o.Sent, s: s.States[0]})
	}
	p.last, p.lastAt = s, now
}

// resetWait is how long to wait for the bucket to refill: what the server
// said last (Retry-After, reset, window), else the estimate burst/rate,
// plus a margin.
func (p *Prober) resetWait(rate float64, burst float64) time.Duration {
	p.sigMu.Lock()
	s := p.last
	p.sigMu.Unlock()
	var w time.Duration
	for _, st := range s.States {
		w = max(w, st.ResetIn, st.Window)
	}
	w = max(w, s.RetryAfter)
	if rate > 0 && burst > 0 {
		w = max(w, time.Duration(burst/rate*float64(time.Second)))
	}
	if w == 0 {
		w = time.Second
	}
	return w + w/5 + 50*time.Millisecond
}

func (p *Prober) sleep(ctx context.Context, d time.Duration) error {
	if left := time.Until(p.Deadline); d > left {
		return fmt.Errorf("out of time (--max-duration) while waiting for the limit to reset")
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Prober) logf(format string, a ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, format+"\n", a...)
	}
}

// saturation describes a step that shows overload rather than a limit:
// 503s, timeouts or errors, or latency far above the baseline.
func saturation(st Step, baselineP50 float64) string {
	bad := st.Unavailable + st.Errors
	if st.Sent > 0 && float64(bad) > 0.01*float64(st.Sent) {
		return fmt.Sprintf("%d of %d requests at %s/s failed with 503, errors or timeouts", bad, st.Sent, f1(st.Rate))
	}
	if baselineP50 > 0 && st.P50Ms > 10*baselineP50 && st.P50Ms > 20 {
		return fmt.Sprintf("median latency rose from %sms to %sms at %s/s", f1(baselineP50), f1(st.P50Ms), f1(st.Rate))
	}
	if !st.keptUp {
		return fmt.Sprintf("msctl could not send %s/s on this machine", f1(st.Rate))
	}
	return ""
}

func f1(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
