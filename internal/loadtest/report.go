package loadtest

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
)

// WriteReport prints the human report of a result: a summary, the latency
// table (corrected and uncorrected) and, when it matters, why the two
// differ or why the generator's numbers cannot be trusted.
func WriteReport(ios *iostreams.IOStreams, r *Result) error {
	st := output.NewStyle(ios)
	w := ios.Out
	line := func(label, format string, a ...any) {
		fmt.Fprintf(w, "%s %s\n", st.Bold(fmt.Sprintf("%-11s", label)), fmt.Sprintf(format, a...))
	}
	line("Target", "%s", r.Target)
	model := fmt.Sprintf("closed, %d concurrent", r.Concurrency)
	if r.Model == "open" {
		model = "open, rate " + r.Rate
	}
	if r.Runs > 1 {
		model += fmt.Sprintf(", %d runs merged", r.Runs)
	}
	line("Model", "%s, %s%s", model, fmtDur(r.DurationS), map[bool]string{true: " (interrupted)"}[r.Interrupted])
	line("Requests", "%d sent of %d planned, %d late, %d not sent", r.Requests.Sent, r.Requests.Planned, r.Requests.Late, r.Requests.Dropped)
	line("Rates", "offered %s/s, achieved %s/s, throughput %s/s (accepted)", fnum(r.OfferedRate), fnum(r.AchievedRate), fnum(r.Throughput))
	s := r.Status
	line("Status", "%d accepted, %d throttled, %d unavailable, %d failed, %d timeouts, %d transport errors",
		s.Accepted, s.Throttled, s.Unavailable, s.Failed, s.Timeouts, s.TransportErrors)
	if len(r.Codes) > 0 {
		line("Codes", "%s", codesText(r.Codes))
	}
	t := output.NewTable("LATENCY (ms)", "P50", "P90", "P99", "P99.9", "MAX", "MEAN")
	for _, row := range []struct {
		name string
		p    Percentiles
	}{{"corrected", r.LatencyMs.Corrected}, {"uncorrected", r.LatencyMs.Uncorrected}} {
		t.AddRow(row.name, fnum(row.p.P50), fnum(row.p.P90), fnum(row.p.P99), fnum(row.p.P999), fnum(row.p.Max), fnum(row.p.Mean))
	}
	fmt.Fprintln(w)
	if err := t.Render(ios); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if note := CoordinatedOmissionNote(r); note != "" {
		fmt.Fprintln(w, st.Yellow(note))
	}
	if r.Generator.KeptUp {
		line("Generator", "kept up (send lag p99 %sms, %d workers)", fnum(r.Generator.SendLag.P99), r.Generator.Workers)
	} else {
		fmt.Fprintln(w, st.Red("Generator  "+r.Generator.Verdict))
	}
	for i, e := range r.Errors {
		if i == 5 {
			fmt.Fprintf(w, "           ... %d more kinds of error\n", len(r.Errors)-5)
			break
		}
		line(map[bool]string{true: "Errors"}[i == 0], "%d× %s", e.Count, e.Error)
	}
	return nil
}

// CoordinatedOmissionNote explains a large gap between corrected and
// uncorrected latency; empty when there is none.
func CoordinatedOmissionNote(r *Result) string {
	if r.Model != "open" {
		return ""
	}
	c, u := r.LatencyMs.Corrected, r.LatencyMs.Uncorrected
	for _, p := range []struct {
		name string
		c, u float64
	}{{"p99", c.P99, u.P99}, {"p90", c.P90, u.P90}} {
		if p.u <= 0 || p.c < 2*p.u || p.c-p.u < 5 {
			continue
		}
		why := "requests were due while the target was stalled and had to wait before they could be sent"
		if lag := r.Generator.SendLag.P99; lag >= (p.c-p.u)/2 && !strings.Contains(r.Generator.Verdict, "workers") {
			why = fmt.Sprintf("sends started up to %sms late (p99) because the generator was busy", fnum(lag))
		}
		return fmt.Sprintf("Corrected %s is %.1fx the uncorrected: %s. The corrected figures are what callers experienced; the uncorrected ones are what a closed-loop tool would report (coordinated omission).", p.name, p.c/p.u, why)
	}
	return ""
}

func codesText(codes map[string]int64) string {
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, codes[k])
	}
	return strings.Join(parts, " ")
}

func fnum(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func fmtDur(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(10 * time.Millisecond).String()
}

// Live prints progress to stderr: a redrawn block on a terminal, plain
// lines (every Every) otherwise.
type Live struct {
	W     io.Writer
	TTY   bool
	Color bool
	// Rate is the target rate for the offered column (0: closed model).
	Profile *Profile
	drawn   int
	last    time.Duration
	// Every is how often plain lines are printed (default 5s).
	Every time.Duration
}

// Update is an Options.Progress function.
func (l *Live) Update(elapsed, total time.Duration, s Snapshot) {
	offered := "-"
	if l.Profile != nil {
		offered = fnum(l.Profile.RateAt(elapsed-time.Second)) + "/s"
	}
	remaining := "-"
	if total > 0 {
		remaining = (total - elapsed).Round(time.Second).String()
	}
	codes := make(map[string]int64, len(s.Codes))
	for k, v := range s.Codes {
		codes[CodeName(k)] = v
	}
	if !l.TTY {
		every := l.Every
		if every == 0 {
			every = 5 * time.Second
		}
		if elapsed-l.last < every-100*time.Millisecond {
			return
		}
		l.last = elapsed
		fmt.Fprintf(l.W, "loadtest: %s elapsed, %s left: offered %s, achieved %d/s, accepted %d, throttled %d, errors %d, p99 %s\n",
			elapsed.Round(time.Second), remaining, offered, s.Last.Achieved, s.Accepted, s.Throttled, s.Errors+s.Unavailable, s.P99.Round(10*time.Microsecond))
		return
	}
	label := lipgloss.NewStyle()
	if l.Color {
		label = label.Bold(true).Foreground(lipgloss.Color("12"))
	}
	lines := []string{
		label.Render("elapsed ") + fmt.Sprintf("%-8s", elapsed.Round(time.Second)) + label.Render(" remaining ") + remaining,
		label.Render("rate    ") + fmt.Sprintf("offered %-10s achieved %d/s  accepted %d/s  throttled %d/s", offered, s.Last.Achieved, s.Last.Accepted, s.Last.Throttled),
		label.Render("status  ") + fmt.Sprintf("%s  errors %d  late %d", codesText(codes), s.Errors, s.Late),
		label.Render("latency ") + fmt.Sprintf("p50 %s  p99 %s (uncorrected p99 %s)", s.P50.Round(10*time.Microsecond), s.P99.Round(10*time.Microsecond), s.P99Uncorr.Round(10*time.Microsecond)),
	}
	if l.drawn > 0 {
		fmt.Fprintf(l.W, "\x1b[%dA", l.drawn)
	}
	for _, ln := range lines {
		fmt.Fprintf(l.W, "\x1b[2K%s\n", ln)
	}
	l.drawn = len(lines)
}

// Clear erases the live block so the final report starts clean.
func (l *Live) Clear() {
	if l.TTY && l.drawn > 0 {
		fmt.Fprintf(l.W, "\x1b[%dA\x1b[J", l.drawn)
		l.drawn = 0
	}
}
