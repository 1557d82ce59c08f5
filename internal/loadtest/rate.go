package loadtest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// RateSyntax documents the --rate grammar; commands print it in their help.
const RateSyntax = `A rate is a number of requests per unit: 500/s, 30/m, 2/h, 50/100ms
(a bare number means per second). A --rate value is a comma-separated list
of stages, each SHAPE[:DURATION]; only the last stage may omit its duration,
and then it lasts until --duration or --requests ends the run:
  500/s                          constant
  100/s:30s,200/s:30s            steps (connections stay open between stages)
  100/s..1000/s:60s              linear ramp from 100/s to 1000/s over 60s
  sine(500/s,200/s,10s):60s      sine around 500/s, amplitude 200/s, period 10s
  burst(100/s,2000/s,1s,10s):60s 100/s, with a 1s burst at 2000/s every 10s
Stages combine: 100/s:10s,100/s..800/s:30s,800/s:1m.`

// Stage is one piece of a rate profile.
type Stage struct {
	// Kind is constant, ramp, sine or burst.
	Kind string `json:"kind"`
	// From is the rate (constant), the start (ramp), the mean (sine) or
	// the base rate (burst), in requests per second.
	From float64 `json:"from"`
	// To is the end rate (ramp), amplitude (sine) or peak (burst).
	To float64 `json:"to,omitempty"`
	// Period is the sine period or the burst interval.
	Period time.Duration `json:"period,omitempty"`
	// Length is the burst length.
	Length time.Duration `json:"length,omitempty"`
	// Duration is how long the stage lasts; 0 means until the run ends
	// (last stage only).
	Duration time.Duration `json:"duration,omitempty"`
}

// Profile is a rate that changes over time: a list of stages.
type Profile struct {
	Stages []Stage `json:"stages"`
	// Text is the profile as the user wrote it.
	Text string `json:"text"`
}

// Constant returns a profile of one constant rate.
func Constant(perSecond float64) Profile {
	return Profile{Stages: []Stage{{Kind: "constant", From: perSecond}}, Text: formatRate(perSecond)}
}

// Steps returns a profile of constant stages.
func Steps(rates []float64, each time.Duration) Profile {
	p := Profile{}
	var parts []string
	for _, r := range rates {
		p.Stages = append(p.Stages, Stage{Kind: "constant", From: r, Duration: each})
		parts = append(parts, formatRate(r)+":"+each.String())
	}
	p.Text = strings.Join(parts, ",")
	return p
}

func formatRate(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) + "/s" }

// Total is the sum of the stage durations, or 0 when the last stage is
// open-ended.
func (p Profile) Total() time.Duration {
	var t time.Duration
	for _, s := range p.Stages {
		if s.Duration == 0 {
			return 0
		}
		t += s.Duration
	}
	return t
}

// Peak is the highest rate the profile asks for.
func (p Profile) Peak() float64 {
	var m float64
	for _, s := range p.Stages {
		v := s.From
		switch s.Kind {
		case "ramp", "burst":
			v = math.Max(s.From, s.To)
		case "sine":
			v = s.From + s.To
		}
		m = math.Max(m, v)
	}
	return m
}

// Scale returns the profile with every rate multiplied by f (used to split
// a run across workers).
func (p Profile) Scale(f float64) Profile {
	q := Profile{Text: p.Text, Stages: make([]Stage, len(p.Stages))}
	for i, s := range p.Stages {
		s.From *= f
		s.To *= f
		q.Stages[i] = s
	}
	return q
}

// RateAt is the intended rate in requests per second at elapsed time t.
func (p Profile) RateAt(t time.Duration) float64 {
	start := time.Duration(0)
	for i, s := range p.Stages {
		if s.Duration != 0 && t >= start+s.Duration && i < len(p.Stages)-1 {
			start += s.Duration
			continue
		}
		if s.Duration != 0 && t >= start+s.Duration {
			return 0
		}
		return s.rateAt(t - start)
	}
	return 0
}

func (s Stage) rateAt(t time.Duration) float64 {
	switch s.Kind {
	case "ramp":
		if s.Duration == 0 {
			return s.To
		}
		f := float64(t) / float64(s.Duration)
		return s.From + (s.To-s.From)*f
	case "sine":
		return math.Max(0, s.From+s.To*math.Sin(2*math.Pi*float64(t)/float64(s.Period)))
	case "burst":
		if t%s.Period < s.Length {
			return s.To
		}
		return s.From
	default:
		return s.From
	}
}

// MaxRate is the highest rate one msctl process accepts, in requests per
// second: a send every microsecond, beyond what one process can schedule
// and time (the open model sleeps between sends and measures each send's
// lag). A higher --rate would only measure the generator; for more load,
// split it across machines with --workers (Profile.CheckSchedulable).
const MaxRate = 1e6

// ParseRate parses one rate such as 500/s, 30/m, 50/100ms or 500.
func ParseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num, unit, found := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("invalid rate %q: want a number of requests per unit such as 500/s", s)
	}
	if !found {
		return n, nil
	}
	var per time.Duration
	switch unit {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	case "ms":
		per = time.Millisecond
	default:
		if unit != "" && (unit[0] < '0' || unit[0] > '9') {
			unit = "1" + unit
		}
		per, err = time.ParseDuration(unit)
		if err != nil || per <= 0 {
			return 0, fmt.Errorf("invalid rate unit in %q: use s, m, h or a duration such as 100ms", s)
		}
	}
	r := n / per.Seconds()
	if math.IsInf(r, 0) {
		return 0, fmt.Errorf("invalid rate %q: want a number of requests per unit such as 500/s", s)
	}
	return r, nil
}

// CheckSchedulable refuses a profile whose share for each of workers
// processes peaks above MaxRate.
func (p Profile) CheckSchedulable(workers int) error {
	workers = max(workers, 1)
	share := p.Peak() / float64(workers)
	if share <= MaxRate {
		return nil
	}
	short := func(r float64) string { return strconv.FormatFloat(r, 'g', 6, 64) + "/s" }
	what := fmt.Sprintf("rate %q peaks at %s", p.Text, short(p.Peak()))
	if workers > 1 {
		what += fmt.Sprintf(", %s for each of %d workers", short(share), workers)
	}
	return fmt.Errorf("%s, above %s, the most one process can schedule: lower it, or split the load across more machines with --workers", what, formatRate(MaxRate))
}

// ParseProfile parses a --rate value (see RateSyntax).
func ParseProfile(text string) (Profile, error) {
	p := Profile{Text: text}
	parts := splitTop(text)
	for i, part := range parts {
		st, err := parseStage(strings.TrimSpace(part))
		if err != nil {
			return Profile{}, err
		}
		if st.Duration == 0 && i < len(parts)-1 {
			return Profile{}, fmt.Errorf("stage %q needs a duration (SHAPE:DURATION): only the last stage may be open-ended", part)
		}
		if st.Kind == "ramp" && st.Duration == 0 {
			return Profile{}, fmt.Errorf("ramp %q needs a duration", part)
		}
		p.Stages = append(p.Stages, st)
	}
	if len(p.Stages) == 0 {
		return Profile{}, fmt.Errorf("empty rate")
	}
	if p.Peak() <= 0 {
		return Profile{}, fmt.Errorf("rate %q never sends anything", text)
	}
	if math.IsInf(p.Peak(), 0) {
		return Profile{}, fmt.Errorf("rate %q is not a finite rate", text)
	}
	return p, nil
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func parseStage(s string) (Stage, error) {
	var st Stage
	shape := s
	if i := strings.LastIndex(s, ":"); i >= 0 && i > strings.LastIndex(s, ")") {
		d, err := time.ParseDuration(s[i+1:])
		if err != nil || d <= 0 {
			return st, fmt.Errorf("invalid stage duration in %q: want a duration such as 30s", s)
		}
		st.Duration = d
		shape = s[:i]
	}
	switch {
	case strings.HasPrefix(shape, "sine(") && strings.HasSuffix(shape, ")"):
		args := strings.Split(shape[5:len(shape)-1], ",")
		if len(args) != 3 {
			return st, fmt.Errorf("invalid %q: want sine(MEAN,AMPLITUDE,PERIOD)", shape)
		}
		var err error
		st.Kind = "sine"
		if st.From, err = ParseRate(args[0]); err != nil {
			return st, err
		}
		if st.To, err = ParseRate(args[1]); err != nil {
			return st, err
		}
		if st.Period, err = time.ParseDuration(strings.TrimSpace(args[2])); err != nil || st.Period <= 0 {
			return st, fmt.Errorf("invalid sine period in %q", shape)
		}
	case strings.HasPrefix(shape, "burst(") && strings.HasSuffix(shape, ")"):
		args := strings.Split(shape[6:len(shape)-1], ",")
		if len(args) != 4 {
			return st, fmt.Errorf("invalid %q: want burst(BASE,PEAK,LENGTH,EVERY)", shape)
		}
		var err error
		st.Kind = "burst"
		if st.From, err = ParseRate(args[0]); err != nil {
			return st, err
		}
		if st.To, err = ParseRate(args[1]); err != nil {
			return st, err
		}
		if st.Length, err = time.ParseDuration(strings.TrimSpace(args[2])); err != nil || st.Length <= 0 {
			return st, fmt.Errorf("invalid burst length in %q", shape)
		}
		if st.Period, err = time.ParseDuration(strings.TrimSpace(args[3])); err != nil || st.Period < st.Length {
			return st, fmt.Errorf("invalid burst interval in %q: it must be at least the burst length", shape)
		}
	case strings.Contains(shape, ".."):
		a, b, _ := strings.Cut(shape, "..")
		var err error
		st.Kind = "ramp"
		if st.From, err = ParseRate(a); err != nil {
			return st, err
		}
		if st.To, err = ParseRate(b); err != nil {
			return st, err
		}
	default:
		r, err := ParseRate(shape)
		if err != nil {
			return st, err
		}
		st.Kind, st.From = "constant", r
	}
	return st, nil
}

// Schedule turns a profile into intended send offsets from the start of
// the run. It is used by one goroutine (the pacer).
type Schedule struct {
	p     Profile
	end   time.Duration // 0: unbounded
	t     float64       // next offset in nanoseconds
	stage int
	start float64 // start of the current stage, ns
	hits  int64   // hits in the current constant stage
}

// NewSchedule makes a schedule that stops at end (0 = the profile's end).
func NewSchedule(p Profile, end time.Duration) *Schedule {
	if total := p.Total(); total > 0 && (end == 0 || total < end) {
		end = total
	}
	return &Schedule{p: p, end: end}
}

// Next returns the next intended send offset, or false when the profile
// is over.
func (s *Schedule) Next() (time.Duration, bool) {
	for s.stage < len(s.p.Stages) {
		st := s.p.Stages[s.stage]
		stageEnd := math.Inf(1)
		if st.Duration > 0 {
			stageEnd = s.start + float64(st.Duration)
		}
		var next float64
		if st.Kind == "constant" {
			if st.From <= 0 {
				next = math.Inf(1)
			} else {
				// Exact multiples avoid drift from summing intervals.
				next = s.start + float64(s.hits)*1e9/st.From
			}
		} else {
			next = s.t
			// Skip quiet stretches (a sine trough, the gap between
			// bursts) in 1ms steps.
			for next < stageEnd && st.rateAt(time.Duration(next-s.start)) <= 0 {
				next += 1e6
			}
		}
		if next >= stageEnd {
			s.stage++
			s.start = stageEnd
			s.t = stageEnd
			s.hits = 0
			continue
		}
		if s.end > 0 && next >= float64(s.end) {
			return 0, false
		}
		if st.Kind == "constant" {
			s.hits++
		} else {
			// Midpoint rule: the interval uses the rate half an interval
			// ahead, which keeps ramps unbiased.
			r := st.rateAt(time.Duration(next - s.start))
			mid := st.rateAt(time.Duration(next - s.start + 0.5e9/r))
			if mid <= 0 {
				mid = r
			}
			s.t = next + 1e9/mid
		}
		return time.Duration(next), true
	}
	return 0, false
}
