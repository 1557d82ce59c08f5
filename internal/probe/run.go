package probe

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// StatusMatcher is a parsed --expect-status: a list of numeric codes
// ("200"), classes ("2xx"), ranges ("200-299") and status words
// ("SERVING", "NOT_FOUND"), any of which may match.
type StatusMatcher []string

// ParseStatusMatcher parses a comma-separated --expect-status value.
func ParseStatusMatcher(s string) (StatusMatcher, error) {
	var m StatusMatcher
	for _, tok := range strings.Split(s, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		if lo, hi, ok := strings.Cut(tok, "-"); ok {
			if _, err := strconv.Atoi(lo); err != nil {
				return nil, fmt.Errorf("invalid status range %q", tok)
			}
			if _, err := strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("invalid status range %q", tok)
			}
		}
		m = append(m, tok)
	}
	return m, nil
}

// Match reports whether code (or its word) is expected; with no
// expectation, def decides.
func (m StatusMatcher) Match(code int, word string, def func(int) bool) bool {
	if len(m) == 0 {
		return def(code)
	}
	num := strconv.Itoa(code)
	for _, tok := range m {
		switch {
		case tok == num:
			return true
		case len(tok) == 3 && strings.HasSuffix(strings.ToLower(tok), "xx") && len(num) == 3 && tok[0] == num[0]:
			return true
		case strings.Contains(tok, "-"):
			lo, hi, _ := strings.Cut(tok, "-")
			l, _ := strconv.Atoi(lo)
			h, _ := strconv.Atoi(hi)
			if code >= l && code <= h {
				return true
			}
		case word != "" && (strings.EqualFold(tok, word) || strings.EqualFold(num+" "+tok, word)):
			return true
		}
	}
	return false
}

// Describe says what is expected, for messages.
func (m StatusMatcher) Describe(def string) string {
	if len(m) == 0 {
		return def
	}
	return strings.Join(m, " or ")
}

// RunOptions drive repeated probes and the checks applied to each.
type RunOptions struct {
	Count    int           // probes to send; 0 means 1
	Interval time.Duration // pause between probes
	Timeout  time.Duration // per probe; 0 means none
	// ExpectBody must match the received body; MaxLatency bounds the
	// total duration. Either failing is an assertion failure.
	ExpectBody *regexp.Regexp
	MaxLatency time.Duration
	// Now and Sleep are the clock; defaults are the real ones.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// OnResult receives each result as soon as it is known.
	OnResult func(*Result) error
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Run probes Count times, checks each result and returns them all. It stops
// early only when ctx is cancelled, returning the results so far and the
// context's error.
func Run(ctx context.Context, p Prober, o RunOptions) ([]*Result, error) {
	if o.Count <= 0 {
		o.Count = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	results := make([]*Result, 0, o.Count)
	for i := range o.Count {
		if i > 0 && o.Interval > 0 {
			if err := o.Sleep(ctx, o.Interval); err != nil {
				return results, err
			}
		}
		if err := ctx.Err(); err != nil {
			return results, err
		}
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if o.Timeout > 0 {
			pctx, cancel = context.WithTimeout(ctx, o.Timeout)
		}
		at := o.Now()
		r := p.Probe(pctx)
		cancel()
		if ctx.Err() != nil && !r.OK {
			// Interrupted, not a failure of the target.
			return results, ctx.Err()
		}
		r.Seq, r.Time = i+1, at.UTC()
		Check(r, o.ExpectBody, o.MaxLatency)
		results = append(results, r)
		if o.OnResult != nil {
			if err := o.OnResult(r); err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

// Check applies the body and latency assertions to a result that has not
// already failed.
func Check(r *Result, body *regexp.Regexp, maxLatency time.Duration) {
	if r.ErrorClass != ClassNone {
		return
	}
	if body != nil && !body.Match(r.Body) {
		r.Fail("check", ClassAssertion, fmt.Errorf("body does not match /%s/", body))
		return
	}
	if maxLatency > 0 {
		if total := time.Duration(r.TotalMS * float64(time.Millisecond)); total > maxLatency {
			r.Fail("check", ClassAssertion, fmt.Errorf("took %s, more than --max-latency %s", total.Round(time.Microsecond), maxLatency))
		}
	}
}

// ExitCode is the process exit code for a set of results: 0 when all
// passed; 3 when any target was unreachable (dns, connect, tls, timeout);
// else a protocol's own code (gRPC: 64 + status) when one asks for it;
// else 1.
func ExitCode(results []*Result) int {
	code := 0
	for _, r := range results {
		switch {
		case r.ErrorClass == ClassNone:
		case r.ErrorClass.Unreachable():
			return 3
		case r.ExitCode != 0:
			code = r.ExitCode
		case code == 0:
			code = 1
		}
	}
	return code
}

// PhaseStats are the order statistics of one phase over many probes, in
// milliseconds.
type PhaseStats struct {
	Phase    string  `json:"phase"`
	Count    int     `json:"count"`
	MinMS    float64 `json:"min_ms"`
	MedianMS float64 `json:"median_ms"`
	P90MS    float64 `json:"p90_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
}

// Summary describes a run of probes of one target.
type Summary struct {
	Protocol string             `json:"protocol"`
	Target   string             `json:"target"`
	Probes   int                `json:"probes"`
	OK       int                `json:"ok"`
	Failed   int                `json:"failed"`
	Errors   map[ErrorClass]int `json:"errors,omitempty"`
	Phases   []PhaseStats       `json:"phases"`
}

// Summarize computes per-phase statistics (in the order phases first
// appear, then the total) over the results.
func Summarize(results []*Result) *Summary {
	s := &Summary{Probes: len(results)}
	samples := map[string][]float64{}
	var order []string
	for _, r := range results {
		s.Protocol, s.Target = r.Protocol, r.Target
		if r.ErrorClass == ClassNone {
			s.OK++
		} else {
			s.Failed++
			if s.Errors == nil {
				s.Errors = map[ErrorClass]int{}
			}
			s.Errors[r.ErrorClass]++
		}
		for _, p := range r.Phases {
			if _, ok := samples[p.Name]; !ok {
				order = append(order, p.Name)
			}
			samples[p.Name] = append(samples[p.Name], p.DurationMS)
		}
		samples["total"] = append(samples["total"], r.TotalMS)
	}
	if len(results) > 0 {
		order = append(order, "total")
	}
	for _, name := range order {
		v := samples[name]
		slices.Sort(v)
		s.Phases = append(s.Phases, PhaseStats{
			Phase: name, Count: len(v),
			MinMS: v[0], MedianMS: percentile(v, 50), P90MS: percentile(v, 90),
			P99MS: percentile(v, 99), MaxMS: v[len(v)-1],
		})
	}
	return s
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}
