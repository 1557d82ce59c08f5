package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/msctl/msctl/internal/loadtest"
)

// VerifyOptions describe the declared limit and how strictly to check it.
type VerifyOptions struct {
	// Limit is the declared sustained rate, requests per second.
	Limit float64
	// Burst is the declared bucket size; 0 skips the burst check.
	Burst int
	// Tolerance is the allowed relative error (default 0.1).
	Tolerance float64
	// StepDuration is the length of the measured steps (default 2s).
	StepDuration time.Duration
	// MaxDuration bounds the whole check (default 1m).
	MaxDuration time.Duration
}

// Check is one verified property.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// VerifyResult is the JSON report of `msctl ratelimit verify`.
type VerifyResult struct {
	Target string  `json:"target"`
	Limit  float64 `json:"limit"`
	Burst  int     `json:"burst,omitempty"`
	// Enforced is true when every check passed.
	Enforced bool `json:"enforced"`
	// MeasuredRate is the accepted rate above the limit, once the bucket
	// was empty; MeasuredBurst how many passed at once from a full bucket.
	MeasuredRate  float64  `json:"measured_rate"`
	MeasuredBurst float64  `json:"measured_burst,omitempty"`
	Checks        []Check  `json:"checks"`
	Declared      []Policy `json:"declared,omitempty"`
	HeaderSources []string `json:"header_sources,omitempty"`
	Steps         []Step   `json:"steps"`
	ElapsedS      float64  `json:"elapsed_s"`
}

// Verify checks that a declared limit is enforced: below it nothing is
// throttled, above it the accepted rate stays at the limit, the burst is
// the declared one, and the headers are consistent with what happened.
func (p *Prober) Verify(ctx context.Context, opts VerifyOptions) (*VerifyResult, error) {
	if opts.Limit <= 0 {
		return nil, errors.New("the declared limit must be positive")
	}
	if opts.Tolerance <= 0 {
		opts.Tolerance = 0.1
	}
	if opts.StepDuration <= 0 {
		opts.StepDuration = 2 * time.Second
	}
	if opts.MaxDuration <= 0 {
		opts.MaxDuration = time.Minute
	}
	began := time.Now()
	p.Deadline = began.Add(opts.MaxDuration)
	res := &VerifyResult{Target: p.Target.Name(), Limit: opts.Limit, Burst: opts.Burst, Steps: []Step{}}
	err := p.verify(ctx, opts, res)
	res.ElapsedS = round2(time.Since(began).Seconds())
	p.sigMu.Lock()
	res.Declared = p.policies
	for src := range p.sources {
		res.HeaderSources = append(res.HeaderSources, src)
	}
	p.sigMu.Unlock()
	sort.Strings(res.HeaderSources)
	if err != nil {
		return res, err
	}
	res.Checks = append(res.Checks, p.headerChecks(opts)...)
	res.Enforced = true
	for _, c := range res.Checks {
		res.Enforced = res.Enforced && c.OK
	}
	return res, nil
}

func (p *Prober) verify(ctx context.Context, opts VerifyOptions, res *VerifyResult) error {
	L, tol := opts.Limit, opts.Tolerance
	burst := float64(opts.Burst)
	// Start from a full bucket, whatever came before.
	if err := p.sleep(ctx, time.Duration((burst+1)/L*float64(time.Second))+100*time.Millisecond); err != nil {
		return err
	}
	// 1. Below the limit nothing is throttled.
	below := 0.8 * L
	d := max(opts.StepDuration, time.Duration(30/below*float64(time.Second)))
	st, _, err := p.run(ctx, probe{rate: below, d: d})
	if err != nil {
		return err
	}
	st.Phase, st.Verdict = "below", Under
	if st.Throttled > 0 {
		st.Verdict = Over
	}
	res.Steps = append(res.Steps, st)
	if st.Sent > 0 && st.Accepted == 0 && st.Throttled == 0 {
		return fmt.Errorf("no request to %s succeeded (%d errors)", p.Target.Name(), st.Errors+st.Unavailable)
	}
	res.Checks = append(res.Checks, Check{Name: "below_limit", OK: st.Throttled == 0,
		Detail: fmt.Sprintf("%d requests at %s/s (80%% of the limit): %d accepted, %d throttled", st.Sent, f1(below), st.Accepted, st.Throttled)})

	// 2. Above the limit, once the bucket is empty, the accepted rate is
	// the limit.
	above := 1.5 * L
	drainFor := time.Duration(math.Max(0.1, 1.5*(burst+1)/(3*L-L)) * float64(time.Second))
	measure := max(opts.StepDuration, time.Duration(60/L*float64(time.Second)))
	prof := loadtest.Profile{Text: "drain", Stages: []loadtest.Stage{
		{Kind: "constant", From: 3 * L, Duration: drainFor},
		{Kind: "constant", From: above, Duration: measure},
	}}
	st, recs, err := p.run(ctx, probe{profile: prof, rate: above, d: drainFor + measure})
	if err != nil {
		return err
	}
	st.Phase, st.Drained = "above", true
	from := drainFor + measure/5
	measured := steady(recs, from, above)
	st.AcceptedRate = round2(measured)
	st.Verdict = Over
	res.Steps = append(res.Steps, st)
	res.MeasuredRate = round2(measured)
	c := Check{Name: "above_limit", OK: math.Abs(measured-L) <= tol*L}
	switch {
	case st.Throttled == 0:
		c.Detail = fmt.Sprintf("not enforced: all %d requests at %s/s (150%% of the limit) were accepted", st.Sent, f1(above))
		c.OK = false
	case measured > L*(1+tol):
		c.Detail = fmt.Sprintf("accepted %s/s at %s/s offered, more than the declared %s/s (tolerance %.0f%%)", f1(measured), f1(above), f1(L), tol*100)
	case measured < L*(1-tol):
		c.Detail = fmt.Sprintf("accepted only %s/s at %s/s offered, less than the declared %s/s (tolerance %.0f%%)", f1(measured), f1(above), f1(L), tol*100)
	default:
		c.Detail = fmt.Sprintf("accepted %s/s at %s/s offered (declared %s/s, tolerance %.0f%%); %d throttled", f1(measured), f1(above), f1(L), tol*100, st.Throttled)
	}
	res.Checks = append(res.Checks, c)

	// 3. The burst, from a full bucket at twice the limit.
	if opts.Burst > 0 {
		r := L
		if c.OK {
			r = measured
		}
		if err := p.sleep(ctx, p.resetWait(r, burst)); err != nil {
			return err
		}
		d := time.Duration(math.Max(0.3, math.Min(3, 2*(burst+2)/r)) * float64(time.Second))
		st, _, err := p.run(ctx, probe{rate: 2 * r, d: d, stopOnThrottle: true})
		if err != nil {
			return err
		}
		st.Phase, st.Verdict = "burst", Over
		res.Steps = append(res.Steps, st)
		bc := Check{Name: "burst"}
		if st.firstThrottle < 0 {
			bc.Detail = fmt.Sprintf("no request was throttled in %d sent at %s/s from a full bucket: the burst is larger than %d", st.Sent, f1(2*r), st.Sent)
		} else {
			f := &finder{Prober: p, rEst: r}
			b := f.burstFrom(st)
			res.MeasuredBurst = math.Round(b*10) / 10
			bc.OK = math.Abs(b-burst) <= math.Max(1, tol*burst)
			bc.Detail = fmt.Sprintf("%s requests passed at once (declared %d, tolerance %.0f%%)", f1(b), opts.Burst, tol*100)
		}
		res.Checks = append(res.Checks, bc)
	}
	return nil
}

// headerChecks compares what the headers said with the declared limit:
// the remaining count goes down as requests pass, and resets are within
// the declared window.
func (p *Prober) headerChecks(opts VerifyOptions) []Check {
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	if len(p.sources) == 0 {
		return []Check{{Name: "headers", OK: true, Detail: "no rate-limit headers to check"}}
	}
	var out []Check
	states := append([]stateAt(nil), p.states...)
	sort.Slice(states, func(i, j int) bool { return states[i].at.Before(states[j].at) })
	if len(states) >= 2 {
		down, up := 0, 0
		for i := 1; i < len(states); i++ {
			a, b := states[i-1].s.Remaining, states[i].s.Remaining
			if a < 0 || b < 0 {
				continue
			}
			// A refill between two requests may add what the limit
			// allows in that time.
			allowed := int64(math.Ceil(opts.Limit*states[i].at.Sub(states[i-1].at).Seconds())) + 1
			switch {
			case b < a:
				down++
			case b-a > allowed:
				up++
			}
		}
		out = append(out, Check{Name: "remaining_counts_down", OK: down > 0 && up <= max(1, down/10),
			Detail: fmt.Sprintf("remaining went down %d times and jumped up more than refills allow %d times", down, up)})
	}
	window := time.Duration(0)
	for _, pol := range p.policies {
		window = max(window, pol.Window)
	}
	if window == 0 && opts.Burst > 0 {
		window = time.Duration(math.Ceil(float64(opts.Burst)/opts.Limit)) * time.Second
	}
	if window > 0 {
		var worst time.Duration
		for _, s := range states {
			worst = max(worst, s.s.ResetIn, s.s.Window)
		}
		// Reset values are whole seconds, rounded up.
		limit := window + time.Second
		out = append(out, Check{Name: "reset_within_window", OK: worst <= limit,
			Detail: fmt.Sprintf("longest reset announced %s; window %s", worst, window)})
	}
	for _, pol := range p.policies {
		out = append(out, Check{Name: "declared_policy", OK: true,
			Detail: fmt.Sprintf("the server declares %d requests per %s (%s/s) from %s", pol.Quota, pol.Window, f1(pol.Rate()), pol.Source)})
		break
	}
	return out
}
