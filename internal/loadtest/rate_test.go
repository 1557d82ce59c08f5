package loadtest

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{"500/s", 500, false},
		{"500", 500, false},
		{"30/m", 0.5, false},
		{"3600/h", 1, false},
		{"5/100ms", 50, false},
		{"1/ms", 1000, false},
		{"x/s", 0, true},
		{"-1/s", 0, true},
		{"5/parsec", 0, true},
		{"1000000/s", 1e6, false},
		{"NaN/s", 0, true},
		{"+Inf/s", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if (err != nil) != tt.err || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseProfile(t *testing.T) {
	tests := []struct {
		in     string
		stages int
		total  time.Duration
		peak   float64
		err    bool
	}{
		{"500/s", 1, 0, 500, false},
		{"100/s:30s,200/s:30s", 2, time.Minute, 200, false},
		{"100/s..1000/s:60s", 1, time.Minute, 1000, false},
		{"sine(500/s,200/s,10s):60s", 1, time.Minute, 700, false},
		{"burst(100/s,2000/s,1s,10s):60s", 1, time.Minute, 2000, false},
		{"100/s:10s,100/s..800/s:30s,800/s", 3, 0, 800, false},
		{"100/s,200/s:10s", 0, 0, 0, true},
		{"100/s..200/s", 0, 0, 0, true},
		{"sine(1,2):10s", 0, 0, 0, true},
		{"burst(1/s,10/s,5s,1s):10s", 0, 0, 0, true},
		{"0/s", 0, 0, 0, true},
		{"10/s:forever", 0, 0, 0, true},
		{"1e400/s", 0, 0, 0, true},
	}
	for _, tt := range tests {
		p, err := ParseProfile(tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("ParseProfile(%q): want an error", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseProfile(%q): %v", tt.in, err)
			continue
		}
		if len(p.Stages) != tt.stages || p.Total() != tt.total || p.Peak() != tt.peak {
			t.Errorf("ParseProfile(%q) = %d stages, total %v, peak %v", tt.in, len(p.Stages), p.Total(), p.Peak())
		}
	}
}

// count runs a schedule and counts the sends per stage window.
func count(t *testing.T, text string, end time.Duration) (int, []time.Duration) {
	t.Helper()
	p, err := ParseProfile(text)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSchedule(p, end)
	var offs []time.Duration
	prev := time.Duration(-1)
	for {
		off, ok := s.Next()
		if !ok {
			break
		}
		if off < prev {
			t.Fatalf("%s: offsets go backwards: %v after %v", text, off, prev)
		}
		prev = off
		offs = append(offs, off)
		if len(offs) > 10_000_000 {
			t.Fatal("schedule does not end")
		}
	}
	return len(offs), offs
}

func TestScheduleCounts(t *testing.T) {
	tests := []struct {
		in   string
		end  time.Duration
		want int
		tol  int
	}{
		{"1000/s", time.Second, 1000, 0},
		{"20000/s", 2 * time.Second, 40000, 0},
		{"100/s:1s,200/s:1s", 0, 300, 0},
		{"100/s:1s,200/s:1s", 1500 * time.Millisecond, 200, 0},
		{"0/s..1000/s:2s", 0, 1000, 5},
		{"sine(500/s,200/s,1s):4s", 0, 2000, 5},
		{"burst(100/s,1000/s,100ms,1s):2s", 0, 2*100 + 2*90, 3},
		{"burst(0/s,1000/s,100ms,1s):2s", 0, 200, 2},
	}
	for _, tt := range tests {
		n, _ := count(t, tt.in, tt.end)
		if n < tt.want-tt.tol || n > tt.want+tt.tol {
			t.Errorf("%s over %v: %d sends, want %d±%d", tt.in, tt.end, n, tt.want, tt.tol)
		}
	}
}

func TestScheduleStepTimes(t *testing.T) {
	_, offs := count(t, "10/s:1s,20/s:1s", 0)
	if offs[10] != time.Second || offs[11] != time.Second+50*time.Millisecond {
		t.Errorf("second stage starts at %v, %v; want 1s, 1.05s", offs[10], offs[11])
	}
}

func TestProfileScale(t *testing.T) {
	p, _ := ParseProfile("100/s:1s,sine(100/s,50/s,1s):1s")
	q := p.Scale(0.25)
	if q.Stages[0].From != 25 || q.Stages[1].To != 12.5 {
		t.Errorf("scaled = %+v", q.Stages)
	}
}

func TestCheckSchedulable(t *testing.T) {
	for _, tt := range []struct {
		rate    string
		workers int
		ok      bool
	}{
		{"1000000/s", 1, true},
		{"1000001/s", 1, false},
		{"1e308/s:1s", 1, false},
		{"1e308/s:1s", 1000, false},
		{"sine(900000/s,200000/s,1s):2s", 1, false},
		{"100/s..2e6/s:10s", 1, false},
		{"100/s..2e6/s:10s", 2, true},
		{"burst(1/s,1e7/s,1s,10s):10s", 8, false},
		{"4000000/s", 4, true},
		{"2000000", 0, false},
	} {
		p, err := ParseProfile(tt.rate)
		if err != nil {
			t.Fatalf("ParseProfile(%q): %v", tt.rate, err)
		}
		if err := p.CheckSchedulable(tt.workers); (err == nil) != tt.ok {
			t.Errorf("CheckSchedulable(%q, %d) = %v, want ok %v", tt.rate, tt.workers, err, tt.ok)
		} else if err != nil && !strings.Contains(err.Error(), "1000000/s") {
			t.Errorf("CheckSchedulable(%q): %v does not name the limit", tt.rate, err)
		}
	}
}
