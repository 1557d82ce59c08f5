package loadtest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion names the result format; merge refuses other versions.
const SchemaVersion = "msctl.loadtest/v1"

// Percentiles are latencies in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Requests counts sends.
type Requests struct {
	// Planned is what the schedule asked for within the run.
	Planned int64 `json:"planned"`
	// Sent is what actually went out (and was not cut short by Ctrl-C).
	Sent int64 `json:"sent"`
	// Late counts sends that started more than 10ms after their intended time.
	Late int64 `json:"late"`
	// Dropped counts planned sends that never went out.
	Dropped int64 `json:"dropped"`
}

// Status counts responses by class.
type Status struct {
	Accepted        int64 `json:"accepted"`
	Throttled       int64 `json:"throttled"`
	Unavailable     int64 `json:"unavailable"`
	Failed          int64 `json:"failed"`
	Timeouts        int64 `json:"timeouts"`
	TransportErrors int64 `json:"transport_errors"`
}

// Latency holds both views of latency.
type Latency struct {
	// Corrected is measured from the intended send time: it includes the
	// time a request waited because the target (or generator) was slow.
	Corrected Percentiles `json:"corrected"`
	// Uncorrected is measured from the actual send time, as closed-model
	// tools report it; it hides stalls (coordinated omission).
	Uncorrected Percentiles `json:"uncorrected"`
}

// Generator describes whether the load generator kept up.
type Generator struct {
	KeptUp  bool   `json:"kept_up"`
	Verdict string `json:"verdict,omitempty"`
	// SendLag is how far sends started behind their intended times, ms.
	SendLag Percentiles `json:"send_lag_ms"`
	Workers int         `json:"workers"`
}

// ErrorCount is one kind of error and how often it happened.
type ErrorCount struct {
	Error string `json:"error"`
	Count int64  `json:"count"`
}

// Histograms are the HDR histograms (microseconds), in the standard
// compressed base64 encoding, so that results from several machines merge
// exactly.
type Histograms struct {
	Corrected   string `json:"corrected"`
	Uncorrected string `json:"uncorrected"`
	SendLag     string `json:"send_lag"`
}

// Result is the report of one run (or of several merged). It is the -o
// json output and the result file; docs/loadtest.md documents it.
type Result struct {
	Schema      string    `json:"schema"`
	Target      string    `json:"target"`
	Model       string    `json:"model"`
	Rate        string    `json:"rate,omitempty"`
	Concurrency int       `json:"concurrency,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	// DurationS is how long sending lasted, in seconds.
	DurationS float64 `json:"duration_s"`
	// OfferedRate is planned sends per second.
	OfferedRate float64 `json:"offered_rate"`
	// AchievedRate is actual sends per second.
	AchievedRate float64 `json:"achieved_rate"`
	// Throughput is accepted (2xx / OK) responses per second.
	Throughput  float64          `json:"throughput"`
	Requests    Requests         `json:"requests"`
	Status      Status           `json:"status"`
	Codes       map[string]int64 `json:"codes"`
	LatencyMs   Latency          `json:"latency_ms"`
	Generator   Generator        `json:"generator"`
	Interrupted bool             `json:"interrupted,omitempty"`
	Errors      []ErrorCount     `json:"errors,omitempty"`
	Series      []Second         `json:"series"`
	Histograms  Histograms       `json:"histograms"`
	// Runs is the number of runs merged into this result.
	Runs int `json:"runs"`

	corrected, uncorrected, lag *hdr.Histogram
}

func percentiles(h *hdr.Histogram) Percentiles {
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P99:  ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)),
		Max:  ms(h.Max()),
		Mean: math.Round(h.Mean()) / 1000,
	}
}

func buildResult(target string, opts Options, m *Metrics, start time.Time, st runStats, interrupted bool) *Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flushSecond()
	r := &Result{
		Schema:      SchemaVersion,
		Target:      target,
		StartedAt:   start.UTC(),
		Interrupted: interrupted,
		Codes:       map[string]int64{},
		Runs:        1,
		corrected:   m.corrected,
		uncorrected: m.uncorrected,
		lag:         m.lag,
		Series:      append([]Second(nil), m.series...),
		Errors:      m.errorList(),
	}
	if opts.Profile != nil {
		r.Model, r.Rate = "open", opts.Profile.Text
	} else {
		r.Model, r.Concurrency = "closed", opts.Concurrency
	}
	dur := st.stoppedAt.Sub(start)
	if opts.Profile != nil && !interrupted {
		// The open model's window is the schedule's, even when the last
		// send went out a little before its end.
		if end := opts.Duration; end > 0 {
			dur = end
		} else if total := opts.Profile.Total(); total > dur && opts.Requests == 0 {
			dur = total
		}
	}
	r.DurationS = dur.Seconds()
	r.Requests = Requests{Planned: st.planned, Sent: m.sent, Late: m.late, Dropped: max(0, st.planned-m.sent)}
	if opts.Profile == nil || interrupted {
		r.Requests.Dropped = 0
		if opts.Profile == nil {
			r.Requests.Planned = m.sent
		} else {
			r.Requests.Dropped = max(0, st.planned-st.dispatched)
		}
	}
	r.Status = Status{
		Accepted:        m.classes[Accepted],
		Throttled:       m.classes[Throttled],
		Unavailable:     m.classes[Unavailable],
		Failed:          m.classes[Failed],
		Timeouts:        m.classes[Timeout],
		TransportErrors: m.classes[TransportError],
	}
	for k, v := range m.codes {
		r.Codes[CodeName(k)] = v
	}
	r.Generator.Workers = st.workers
	r.finish()
	if opts.Profile != nil {
		r.Generator.Verdict = generatorVerdict(r.OfferedRate, r.AchievedRate, r.Requests.Planned,
			r.Requests.Dropped, r.Requests.Late, time.Duration(m.lag.Max())*time.Microsecond, st, opts.MaxWorkers)
		r.Generator.KeptUp = r.Generator.Verdict == ""
	} else {
		r.Generator.KeptUp = true
	}
	return r
}

// finish derives the rates, percentiles and encoded histograms from the
// counts and histograms.
func (r *Result) finish() {
	if r.DurationS > 0 {
		r.OfferedRate = round2(float64(r.Requests.Planned) / r.DurationS)
		r.AchievedRate = round2(float64(r.Requests.Sent) / r.DurationS)
		r.Throughput = round2(float64(r.Status.Accepted) / r.DurationS)
	}
	r.LatencyMs = Latency{Corrected: percentiles(r.corrected), Uncorrected: percentiles(r.uncorrected)}
	r.Generator.SendLag = percentiles(r.lag)
	r.Histograms = Histograms{Corrected: encode(r.corrected), Uncorrected: encode(r.uncorrected), SendLag: encode(r.lag)}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func encode(h *hdr.Histogram) string {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return ""
	}
	return string(b)
}

// ReadResult loads a result file written with -o json or --save.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := DecodeResult(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// DecodeResult decodes one JSON result, histograms included.
func DecodeResult(b []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("not a loadtest result: %w", err)
	}
	if r.Schema != SchemaVersion {
		return nil, fmt.Errorf("schema %q is not %s", r.Schema, SchemaVersion)
	}
	for _, h := range []struct {
		enc string
		dst **hdr.Histogram
	}{{r.Histograms.Corrected, &r.corrected}, {r.Histograms.Uncorrected, &r.uncorrected}, {r.Histograms.SendLag, &r.lag}} {
		d, err := hdr.Decode([]byte(h.enc))
		if err != nil {
			return nil, fmt.Errorf("bad histogram: %w", err)
		}
		*h.dst = d
	}
	return &r, nil
}

// Merge combines results of runs made at the same time from several
// machines: counts and histograms add exactly, series add second by
// second (aligned on each run's start), and rates are over the longest run.
func Merge(results []*Result) (*Result, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	out := &Result{
		Schema:      SchemaVersion,
		Target:      results[0].Target,
		Model:       results[0].Model,
		Rate:        results[0].Rate,
		StartedAt:   results[0].StartedAt,
		Codes:       map[string]int64{},
		corrected:   newHist(),
		uncorrected: newHist(),
		lag:         newHist(),
	}
	out.Generator.KeptUp = true
	errs := map[string]int64{}
	for _, r := range results {
		if r.corrected == nil {
			return nil, fmt.Errorf("result for %s has no histograms", r.Target)
		}
		if r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		out.DurationS = math.Max(out.DurationS, r.DurationS)
		out.Concurrency += r.Concurrency
		out.Runs += r.Runs
		out.Interrupted = out.Interrupted || r.Interrupted
		out.Requests.Planned += r.Requests.Planned
		out.Requests.Sent += r.Requests.Sent
		out.Requests.Late += r.Requests.Late
		out.Requests.Dropped += r.Requests.Dropped
		s := &out.Status
		s.Accepted += r.Status.Accepted
		s.Throttled += r.Status.Throttled
		s.Unavailable += r.Status.Unavailable
		s.Failed += r.Status.Failed
		s.Timeouts += r.Status.Timeouts
		s.TransportErrors += r.Status.TransportErrors
		for k, v := range r.Codes {
			out.Codes[k] += v
		}
		for _, e := range r.Errors {
			errs[e.Error] += e.Count
		}
		out.corrected.Merge(r.corrected)
		out.uncorrected.Merge(r.uncorrected)
		out.lag.Merge(r.lag)
		out.Generator.Workers += r.Generator.Workers
		if !r.Generator.KeptUp {
			out.Generator.KeptUp = false
			out.Generator.Verdict = r.Generator.Verdict
		}
		for i, sec := range r.Series {
			for len(out.Series) <= i {
				out.Series = append(out.Series, Second{})
			}
			o := &out.Series[i]
			o.Offered += sec.Offered
			o.Achieved += sec.Achieved
			o.Accepted += sec.Accepted
			o.Throttled += sec.Throttled
			o.Unavailable += sec.Unavailable
			o.Errors += sec.Errors
			// Per-second percentiles cannot be merged exactly; the
			// worst machine's value is the honest summary.
			o.P50Ms = math.Max(o.P50Ms, sec.P50Ms)
			o.P99Ms = math.Max(o.P99Ms, sec.P99Ms)
			o.MaxMs = math.Max(o.MaxMs, sec.MaxMs)
		}
	}
	for k, v := range errs {
		out.Errors = append(out.Errors, ErrorCount{Error: k, Count: v})
	}
	sort.Slice(out.Errors, func(i, j int) bool { return out.Errors[i].Count > out.Errors[j].Count })
	out.finish()
	return out, nil
}
