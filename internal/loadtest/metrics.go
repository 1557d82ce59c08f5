package loadtest

import (
	"sort"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Class sorts an outcome into what the report counts.
type Class uint8

// Outcome classes.
const (
	// Accepted is a 2xx response or gRPC OK.
	Accepted Class = iota
	// Throttled is HTTP 429 or gRPC RESOURCE_EXHAUSTED.
	Throttled
	// Unavailable is HTTP 503 or gRPC UNAVAILABLE: a sign of saturation
	// (or of a limiter that answers 503).
	Unavailable
	// Failed is any other response status.
	Failed
	// Timeout is a request that got no answer in time.
	Timeout
	// TransportError is a connection failure (refused, reset, TLS).
	TransportError
	// Canceled is a request cut short because the run was stopped; it is
	// not counted.
	Canceled
)

// Histogram bounds: latencies are recorded in microseconds from 1µs to one
// hour with 3 significant digits, so memory is constant whatever the run's
// length (about 200 KB per histogram).
const (
	histMin    = 1
	histMax    = int64(time.Hour / time.Microsecond)
	histDigits = 3
	// lateAfter is how far behind its intended time a send may start
	// before it counts as late.
	lateAfter = 10 * time.Millisecond
)

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histDigits) }

func recordMicros(h *hdr.Histogram, d time.Duration) {
	us := int64(d / time.Microsecond)
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	_ = h.RecordValue(us)
}

// Second is one point of the per-second time series. Rates are counts in
// that second; Offered is by intended send time, Achieved by actual send
// time, the rest by completion time.
type Second struct {
	Offered     int64 `json:"offered"`
	Achieved    int64 `json:"achieved"`
	Accepted    int64 `json:"accepted"`
	Throttled   int64 `json:"throttled"`
	Unavailable int64 `json:"unavailable"`
	Errors      int64 `json:"errors"`
	// Latency (corrected) percentiles of the requests completed in this
	// second, in milliseconds.
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// Metrics collects outcomes. It is safe for concurrent use; one mutex is
// enough because recording costs far less than the request itself.
type Metrics struct {
	mu          sync.Mutex
	start       time.Time
	corrected   *hdr.Histogram
	uncorrected *hdr.Histogram
	lag         *hdr.Histogram
	codes       map[int]int64
	classes     [Canceled + 1]int64
	errs        map[string]int64
	late        int64
	sent        int64
	bytesIn     int64
	series      []Second
	// cur is the second whose latencies curHist holds.
	cur      int
	curHist  *hdr.Histogram
	first    time.Time
	last     time.Time
	maxLagUs int64
}

// NewMetrics starts collecting for a run that began at start.
func NewMetrics(start time.Time) *Metrics {
	return &Metrics{
		start:       start,
		corrected:   newHist(),
		uncorrected: newHist(),
		lag:         newHist(),
		curHist:     hdr.New(histMin, histMax, 2),
		codes:       map[int]int64{},
		errs:        map[string]int64{},
	}
}

func (m *Metrics) secondAt(t time.Time) *Second {
	i := int(t.Sub(m.start) / time.Second)
	if i < 0 {
		i = 0
	}
	for len(m.series) <= i {
		m.series = append(m.series, Second{})
	}
	return &m.series[i]
}

// Offer counts one intended send (called by the pacer).
func (m *Metrics) Offer(n int64, at time.Time) {
	m.mu.Lock()
	m.secondAt(at).Offered += n
	m.mu.Unlock()
}

const maxErrorKinds = 20

// Record adds one finished request.
func (m *Metrics) Record(intended, sent, done time.Time, o *Outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o.Class == Canceled {
		return
	}
	m.sent++
	m.secondAt(sent).Achieved++
	lag := sent.Sub(intended)
	if lag > lateAfter {
		m.late++
	}
	recordMicros(m.lag, lag)
	if m.first.IsZero() || sent.Before(m.first) {
		m.first = sent
	}
	if done.After(m.last) {
		m.last = done
	}
	m.classes[o.Class]++
	if o.Code != 0 {
		m.codes[o.Code]++
	}
	if o.Err != nil {
		msg := o.Err.Error()
		if _, ok := m.errs[msg]; ok || len(m.errs) < maxErrorKinds {
			m.errs[msg]++
		}
	}
	m.bytesIn += o.BytesIn
	sec := m.secondAt(done)
	switch o.Class {
	case Accepted:
		sec.Accepted++
	case Throttled:
		sec.Throttled++
	case Unavailable:
		sec.Unavailable++
	default:
		sec.Errors++
	}
	corr := done.Sub(intended)
	recordMicros(m.corrected, corr)
	recordMicros(m.uncorrected, done.Sub(sent))
	// Per-second latency: one small histogram for the current second,
	// folded into the series when the next second starts, so memory does
	// not grow with the run.
	i := int(done.Sub(m.start) / time.Second)
	if i > m.cur {
		m.flushSecond()
		m.cur = i
	}
	recordMicros(m.curHist, corr)
}

func (m *Metrics) flushSecond() {
	if m.curHist.TotalCount() == 0 {
		return
	}
	for len(m.series) <= m.cur {
		m.series = append(m.series, Second{})
	}
	s := &m.series[m.cur]
	s.P50Ms = ms(m.curHist.ValueAtQuantile(50))
	s.P99Ms = ms(m.curHist.ValueAtQuantile(99))
	s.MaxMs = ms(m.curHist.Max())
	m.curHist.Reset()
}

func ms(us int64) float64 { return float64(us) / 1000 }

// Snapshot is a consistent view of the metrics so far, for the live view
// and for the rate-limit algorithms.
type Snapshot struct {
	Sent        int64
	Accepted    int64
	Throttled   int64
	Unavailable int64
	Errors      int64
	Late        int64
	Codes       map[int]int64
	P50         time.Duration
	P99         time.Duration
	P99Uncorr   time.Duration
	MaxLag      time.Duration
	// Last is the last full second of the series.
	Last Second
}

// Snapshot returns the counts so far.
func (m *Metrics) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Snapshot{
		Sent:        m.sent,
		Accepted:    m.classes[Accepted],
		Throttled:   m.classes[Throttled],
		Unavailable: m.classes[Unavailable],
		Errors:      m.classes[Failed] + m.classes[Timeout] + m.classes[TransportError],
		Late:        m.late,
		Codes:       make(map[int]int64, len(m.codes)),
		P50:         time.Duration(m.corrected.ValueAtQuantile(50)) * time.Microsecond,
		P99:         time.Duration(m.corrected.ValueAtQuantile(99)) * time.Microsecond,
		P99Uncorr:   time.Duration(m.uncorrected.ValueAtQuantile(99)) * time.Microsecond,
		MaxLag:      time.Duration(m.lag.Max()) * time.Microsecond,
	}
	for k, v := range m.codes {
		s.Codes[k] = v
	}
	if i := int(time.Since(m.start)/time.Second) - 1; i >= 0 && i < len(m.series) {
		s.Last = m.series[i]
	}
	return s
}

// errorList returns the sampled error messages, most frequent first.
func (m *Metrics) errorList() []ErrorCount {
	var out []ErrorCount
	for k, v := range m.errs {
		out = append(out, ErrorCount{Error: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Error < out[j].Error
	})
	return out
}
