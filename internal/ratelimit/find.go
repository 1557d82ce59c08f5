package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/msctl/msctl/internal/loadtest"
)

// FindOptions bound and tune the search.
type FindOptions struct {
	// MaxDuration bounds the whole search (default 2m).
	MaxDuration time.Duration
	// StartRate is the first bracketing rate (default: the declared
	// policy's rate from the headers, or 10/s).
	StartRate float64
	// MaxRate ends the doubling: no throttling up to it means no limit.
	MaxRate float64
	// StepDuration is the length of a measured step (default 1s).
	StepDuration time.Duration
	// Precision is the bracket width bisection stops at (default 0.05).
	Precision float64
	// Identities are header sets naming different clients; with two or
	// more, find tells a per-client limit from a global one.
	Identities []http.Header
}

// Bracket is the rate interval the limit lies in.
type Bracket struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Find verdicts.
const (
	Found        = "found"
	Inconclusive = "inconclusive"
	NoLimit      = "no_limit"
)

// FindResult is the JSON report of `msctl ratelimit find`.
type FindResult struct {
	Target  string `json:"target"`
	Verdict string `json:"verdict"`
	// SustainedRate is the limit in requests per second.
	SustainedRate float64 `json:"sustained_rate"`
	// Burst is how many requests pass at once from a full bucket.
	Burst   float64 `json:"burst"`
	Bracket Bracket `json:"bracket"`
	// Scope is per-client or global (with two --identity sets).
	Scope         string   `json:"scope,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Declared      []Policy `json:"declared,omitempty"`
	HeaderSources []string `json:"header_sources,omitempty"`
	Steps         []Step   `json:"steps"`
	ElapsedS      float64  `json:"elapsed_s"`
}

// errInconclusive stops the search with a reason.
type errInconclusive struct{ reason string }

func (e *errInconclusive) Error() string { return e.reason }

type finder struct {
	*Prober
	opts     FindOptions
	res      *FindResult
	baseline float64
	// rate estimates: accepted counts and spans of steady windows.
	estN    float64
	estSpan float64
	rEst    float64
	bEst    float64
}

// Find discovers the target's rate limit: a low-rate look at the headers,
// doubling full-bucket steps (waiting for the reset in between) until
// requests are throttled, then bisection on a log scale with steps that
// start from a drained bucket, until the bracket is within Precision; the
// burst comes from how many requests pass before the first 429.
func (p *Prober) Find(ctx context.Context, opts FindOptions) (*FindResult, error) {
	if opts.MaxDuration <= 0 {
		opts.MaxDuration = 2 * time.Minute
	}
	if opts.MaxRate <= 0 {
		opts.MaxRate = 20000
	}
	if opts.StepDuration <= 0 {
		opts.StepDuration = time.Second
	}
	if opts.Precision <= 0 {
		opts.Precision = 0.05
	}
	began := time.Now()
	p.Deadline = began.Add(opts.MaxDuration)
	f := &finder{Prober: p, opts: opts, res: &FindResult{Target: p.Target.Name(), Steps: []Step{}}}
	err := f.search(ctx)
	res := f.res
	res.ElapsedS = round2(time.Since(began).Seconds())
	p.sigMu.Lock()
	res.Declared = p.policies
	for src := range p.sources {
		res.HeaderSources = append(res.HeaderSources, src)
	}
	p.sigMu.Unlock()
	sort.Strings(res.HeaderSources)
	var inc *errInconclusive
	switch {
	case errors.As(err, &inc):
		res.Verdict, res.Reason = Inconclusive, inc.reason
		res.SustainedRate, res.Burst = 0, 0
		return res, nil
	case err != nil && ctx.Err() != nil:
		res.Verdict, res.Reason = Inconclusive, "interrupted"
		return res, ctx.Err()
	case err != nil:
		return res, err
	}
	return res, nil
}

func (f *finder) identity() http.Header {
	if len(f.opts.Identities) > 0 {
		return f.opts.Identities[0]
	}
	return nil
}

func (f *finder) out(reason string) error { return &errInconclusive{reason: reason} }

// step runs a probe, records it and checks for saturation before any
// throttling was seen.
func (f *finder) step(ctx context.Context, phase string, pr probe) (Step, []rec, error) {
	if time.Until(f.Deadline) < 200*time.Millisecond {
		return Step{}, nil, f.out(fmt.Sprintf("out of time (--max-duration %s) before the bracket narrowed to %.0f%%", f.opts.MaxDuration, f.opts.Precision*100))
	}
	pr.identity = f.identity()
	st, recs, err := f.run(ctx, pr)
	if err != nil {
		return st, recs, err
	}
	st.Phase = phase
	if st.Sent > 0 && st.Accepted == 0 && st.Throttled == 0 && st.Unavailable == 0 && st.Errors == st.Sent {
		return st, recs, fmt.Errorf("every request to %s failed", f.Target.Name())
	}
	if sat := saturation(st, f.baseline); sat != "" && st.Throttled == 0 {
		st.Verdict = Saturated
		f.res.Steps = append(f.res.Steps, st)
		return st, recs, f.out("the target saturated before it throttled: " + sat + "; a rate limit (if any) is above what it can serve")
	}
	f.logf("ratelimit: %-9s %8s/s for %-6s accepted %d, throttled %d, p50 %sms", phase, f1(st.Rate), time.Duration(st.DurationS*float64(time.Second)).Round(10*time.Millisecond), st.Accepted, st.Throttled, f1(st.P50Ms))
	return st, recs, nil
}

func (f *finder) search(ctx context.Context) error {
	// 1. A low-rate look: baseline latency and any declared policy.
	hint, _, err := f.step(ctx, "hint", probe{rate: 5, d: time.Second})
	if err != nil {
		return err
	}
	hint.Verdict = Under
	if hint.Throttled > 0 {
		hint.Verdict = Over
	}
	f.res.Steps = append(f.res.Steps, hint)
	f.baseline = hint.P50Ms
	x := f.opts.StartRate
	if x <= 0 {
		f.sigMu.Lock()
		for _, pol := range f.policies {
			if r := pol.Rate(); r > 0 && (x == 0 || r < x) {
				x = r
			}
		}
		f.sigMu.Unlock()
	}
	if x <= 0 {
		x = 10
	}
	// 2. Bracket by doubling (or halving) with full-bucket steps.
	lo, hi := 0.0, 0.0
	var first Step
	for hi == 0 {
		// Only a throttled step leaves the bucket empty; after an
		// unthrottled one the next, faster step runs at once.
		if x < lo || len(f.res.Steps) > 0 && f.res.Steps[len(f.res.Steps)-1].Throttled > 0 {
			if err := f.sleep(ctx, f.resetWait(f.rEst, f.bEst)); err != nil {
				return f.timeOrErr(err)
			}
		}
		d := time.Duration(math.Min(2, math.Max(0.5, 15/x)) * float64(time.Second))
		st, recs, err := f.step(ctx, "bracket", probe{rate: x, d: d})
		if err != nil {
			return err
		}
		if st.Throttled > 0 {
			st.Verdict = Over
			f.addEstimate(recs, st.firstThrottle, x)
			st.AcceptedRate = round2(steady(recs, st.firstThrottle, x))
			hi, first = x, st
		} else {
			st.Verdict = Under
			st.AcceptedRate = round2(float64(st.Accepted) / st.DurationS)
			lo = x
		}
		f.res.Steps = append(f.res.Steps, st)
		switch {
		case hi > 0 && lo == 0:
			// Throttled at the first rate: look lower.
			if x < 0.5 {
				return f.out("throttled even at 0.5 requests per second")
			}
			hi, x = 0, x/4
		case hi == 0:
			x *= 2
			if x > f.opts.MaxRate {
				f.res.Verdict, f.res.Reason = NoLimit, fmt.Sprintf("no request was throttled up to %s/s (--max-rate)", f1(lo))
				f.res.Bracket = Bracket{Low: round2(lo)}
				return nil
			}
		}
	}
	f.bEst = f.burstFrom(first)
	// 3. Bisect on a log scale with drained steps. The full-bucket "under"
	// of the bracket may hide a limit just below it (the burst carried the
	// step), so lo is confirmed drained before it counts.
	loConfirmed := false
	var cands []float64
	if f.rEst > 0 {
		// The over-limit step measured the sustained rate directly (the
		// accepted rate once the bucket was empty): test just above and
		// just below it first. A full-bucket "under" above the estimate
		// was carried by the burst, so lo moves below the estimate.
		s := math.Sqrt(1 + f.opts.Precision*0.96)
		if f.rEst*s < hi {
			cands = append(cands, f.rEst*s)
		}
		cands = append(cands, f.rEst/s)
		if f.rEst/s <= lo {
			lo = f.rEst / 1.2
		}
	}
	rechecked := false
bisect:
	for hi/lo > 1+f.opts.Precision || !loConfirmed {
		var m float64
		switch {
		case hi/lo <= 1+f.opts.Precision:
			m = lo
		case len(cands) > 0:
			m, cands = cands[0], cands[1:]
			if m < lo || m >= hi || (m == lo && loConfirmed) {
				continue
			}
		default:
			m = math.Sqrt(lo * hi)
		}
		over, err := f.drained(ctx, m, hi, false)
		if err != nil {
			return err
		}
		switch {
		case over && m == lo:
			hi, lo = lo, lo/1.5
			if f.rEst > 0 && f.rEst < hi {
				lo = math.Min(lo, f.rEst/1.2)
			}
		case over:
			hi = m
		default:
			lo = m
			loConfirmed = true
		}
	}
	// Just above the limit a short step sees so few 429s that it can pass
	// for "under". When the rate measured while throttled says lo is over
	// the limit, lo is checked once more with a step twice as long.
	if est := f.estRate(); est > 0 && est < lo/(1+f.opts.Precision/2) && !rechecked {
		rechecked = true
		over, err := f.drained(ctx, lo, hi, true)
		if err != nil {
			return err
		}
		if over {
			s := math.Sqrt(1 + f.opts.Precision*0.96)
			hi, lo, loConfirmed = lo, math.Min(lo/(1+2*f.opts.Precision), est/1.1), false
			cands = []float64{est * s, est / s}
			goto bisect
		}
	}
	r := math.Sqrt(lo * hi)
	if f.estSpan > 0 {
		// The accepted rate measured while throttled is the better figure
		// when it agrees with the bisection. A step just above the limit
		// throttles so little that it can pass for "under" (one 429 is
		// treated as jitter), so the bracket widens to hold the estimate
		// rather than the report contradicting itself.
		if est := f.estN / f.estSpan; est >= lo/(1+f.opts.Precision) && est <= hi*(1+f.opts.Precision) {
			r = est
			lo, hi = math.Min(lo, est), math.Max(hi, est)
		}
	}
	f.res.Bracket = Bracket{Low: round2(lo), High: round2(hi)}
	f.rEst = r
	// 4. The burst, measured from a full bucket at twice the rate.
	if err := f.sleep(ctx, f.resetWait(r, f.bEst)); err != nil {
		return f.timeOrErr(err)
	}
	d := time.Duration(math.Max(0.3, math.Min(3, 2*(f.bEst+2)/r)) * float64(time.Second))
	st, _, err := f.step(ctx, "burst", probe{rate: 2 * r, d: d, stopOnThrottle: true})
	if err != nil {
		return err
	}
	st.Verdict = Over
	if st.Throttled == 0 {
		st.Verdict = Under
	}
	f.res.Steps = append(f.res.Steps, st)
	if st.Throttled > 0 {
		f.bEst = f.burstFrom(st)
	}
	f.res.Verdict = Found
	f.res.SustainedRate = round2(r)
	f.res.Burst = math.Round(f.bEst*10) / 10
	// 5. Per-client or global.
	if len(f.opts.Identities) >= 2 {
		scope, err := f.scope(ctx)
		if err != nil {
			return err
		}
		f.res.Scope = scope
	}
	return nil
}

func (f *finder) timeOrErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return f.out(err.Error())
}

// estRate is the sustained rate measured in throttled steps, or 0.
func (f *finder) estRate() float64 {
	if f.estSpan <= 0 {
		return 0
	}
	return f.estN / f.estSpan
}

// addEstimate adds the steady window (after the first throttle, when the
// bucket is empty) of an over-limit step to the rate estimate.
func (f *finder) addEstimate(recs []rec, from time.Duration, rate float64) {
	if len(recs) == 0 || from < 0 {
		return
	}
	var n float64
	for _, x := range recs {
		if x.off >= from && x.class == loadtest.Accepted {
			n++
		}
	}
	span := (recs[len(recs)-1].off - from + time.Duration(float64(time.Second)/rate)).Seconds()
	if span <= 0 {
		return
	}
	f.estN += n
	f.estSpan += span
	f.rEst = f.estN / f.estSpan
}

// burstFrom estimates the bucket size from a full-bucket step at rate x:
// the k requests accepted before the first throttle satisfy
// 1+(k-1)(1-r/x) < b <= 1+k(1-r/x); the middle of that interval is taken.
func (f *finder) burstFrom(st Step) float64 {
	if st.firstThrottle < 0 || f.rEst <= 0 {
		return 0
	}
	rho := math.Min(1, f.rEst/st.Rate)
	k := float64(st.acceptedBefore)
	return math.Max(0, 1+(k-0.5)*(1-rho))
}

// drained runs a step at rate m right after emptying the bucket at a
// higher rate, and says whether m is over the sustained limit: whether
// the accepted rate, after a warm-up, stays below m.
//
// No wait for the reset is needed: the drain empties whatever the bucket
// holds, which is what keeps a refilled bucket from skewing the step.
func (f *finder) drained(ctx context.Context, m, hi float64, long bool) (bool, error) {
	drainRate := math.Max(2*hi, 4*f.rEst)
	drainFor := time.Duration(math.Max(0.2, 2.5*(f.bEst+2)/math.Max(1, drainRate-f.rEst)) * float64(time.Second))
	measure := max(f.opts.StepDuration, time.Duration(40/m*float64(time.Second)))
	measure = min(measure, 5*time.Second)
	if long {
		measure *= 2
	}
	var st Step
	var recs []rec
	for try := 0; ; try++ {
		prof := loadtest.Profile{Text: "drain", Stages: []loadtest.Stage{
			{Kind: "constant", From: drainRate, Duration: drainFor},
			{Kind: "constant", From: m, Duration: measure},
		}}
		var err error
		st, recs, err = f.step(ctx, "bisect", probe{profile: prof, rate: m, d: drainFor + measure})
		if err != nil {
			return false, err
		}
		// The drain must have met the limit, or a bucket it did not
		// empty carries the measured stage.
		if (st.firstThrottle >= 0 && st.firstThrottle < drainFor) || try == 2 {
			break
		}
		drainFor *= 2
	}
	st.Drained = true
	from := drainFor + measure/5
	var n, thr float64
	for _, x := range recs {
		if x.off >= from {
			switch x.class {
			case loadtest.Accepted:
				n++
			case loadtest.Throttled:
				thr++
			}
		}
	}
	// One throttled request can be jitter (a burst of sends after a
	// scheduling hiccup finds the bucket empty); two and 1% cannot.
	over := thr >= 2 && thr >= 0.01*(n+thr)
	st.AcceptedRate = round2(steady(recs, from, m))
	if over {
		st.Verdict = Over
		f.addEstimate(recs, from, m)
	} else {
		st.Verdict = Under
	}
	f.res.Steps = append(f.res.Steps, st)
	return over, nil
}

// scope keeps the first identity's bucket empty (sending at twice the
// rate) while the second identity sends a few requests at the rate: with
// one global bucket the second mostly meets 429s (it competes for the
// refill), with a bucket per client all of them pass. Running both at once
// keeps a slow start of the second identity from finding a refilled
// bucket.
func (f *finder) scope(ctx context.Context) (string, error) {
	if err := f.sleep(ctx, f.resetWait(f.rEst, f.bEst)); err != nil {
		return "", f.timeOrErr(err)
	}
	a, b := f.opts.Identities[0], f.opts.Identities[1]
	n := int64(math.Max(5, math.Min(10, f.bEst/2)))
	drainFor := math.Max(0.2, 2*(f.bEst+1)/f.rEst)
	aFor := time.Duration((drainFor + 1 + float64(n)/f.rEst) * float64(time.Second))
	type result struct {
		st  Step
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, _, err := f.run(ctx, probe{identity: a, rate: 2 * f.rEst, d: aFor})
		done <- result{st, err}
	}()
	if err := f.sleep(ctx, time.Duration(drainFor*float64(time.Second))); err != nil {
		<-done
		return "", f.timeOrErr(err)
	}
	other, _, err := f.run(ctx, probe{identity: b, rate: f.rEst, d: 5 * time.Second, requests: n})
	ra := <-done
	if err != nil {
		return "", err
	}
	if ra.err != nil {
		return "", ra.err
	}
	if ra.st.Throttled == 0 {
		return "", f.out("could not empty the first identity's bucket to compare identities")
	}
	other.Phase, other.Verdict = "scope", Under
	if other.Throttled > 0 {
		other.Verdict = Over
	}
	f.res.Steps = append(f.res.Steps, other)
	if float64(other.Accepted) >= 0.9*float64(other.Sent) {
		return "per-client", nil
	}
	return "global", nil
}
