package loadtest

import (
	"fmt"
	"html"
	"math"
	"strings"
)

type chartSeries struct {
	name  string
	color string
	value func(Second) float64
}

// SVG draws rate (offered, achieved, accepted, throttled per second) and
// latency (p50, p99 per second) over time, as one self-contained SVG.
func SVG(r *Result) string {
	const w, panelH, left, top = 900, 260, 70, 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, 2*panelH+2*top+40)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	panel(&b, r.Series, "requests per second", top, left, w-left-20, panelH-40, []chartSeries{
		{"offered", "#888888", func(s Second) float64 { return float64(s.Offered) }},
		{"achieved", "#1f77b4", func(s Second) float64 { return float64(s.Achieved) }},
		{"accepted", "#2ca02c", func(s Second) float64 { return float64(s.Accepted) }},
		{"throttled", "#d62728", func(s Second) float64 { return float64(s.Throttled) }},
		{"errors", "#ff7f0e", func(s Second) float64 { return float64(s.Errors + s.Unavailable) }},
	})
	panel(&b, r.Series, "latency, ms (corrected)", top+panelH+20, left, w-left-20, panelH-40, []chartSeries{
		{"p50", "#1f77b4", func(s Second) float64 { return s.P50Ms }},
		{"p99", "#d62728", func(s Second) float64 { return s.P99Ms }},
		{"max", "#bbbbbb", func(s Second) float64 { return s.MaxMs }},
	})
	b.WriteString("</svg>\n")
	return b.String()
}

func panel(b *strings.Builder, series []Second, title string, y0, x0, w, h int, lines []chartSeries) {
	peak := 0.0
	for _, s := range series {
		for _, l := range lines {
			peak = math.Max(peak, l.value(s))
		}
	}
	if peak == 0 {
		peak = 1
	}
	peak = niceCeil(peak)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", x0, y0-8, html.EscapeString(title))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#cccccc"/>`+"\n", x0, y0, w, h)
	for i := 0; i <= 4; i++ {
		y := y0 + h - i*h/4
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eeeeee"/><text x="%d" y="%d" text-anchor="end">%s</text>`+"\n",
			x0, y, x0+w, y, x0-6, y+4, fnum(peak*float64(i)/4))
	}
	n := len(series)
	xAt := func(i int) float64 {
		if n <= 1 {
			return float64(x0)
		}
		return float64(x0) + float64(i)*float64(w)/float64(n-1)
	}
	step := max(1, n/10)
	for i := 0; i < n; i += step {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%ds</text>`+"\n", xAt(i), y0+h+15, i)
	}
	for li, l := range lines {
		var pts []string
		for i, s := range series {
			y := float64(y0+h) - l.value(s)/peak*float64(h)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xAt(i), y))
		}
		if len(pts) > 0 {
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", l.color, strings.Join(pts, " "))
		}
		lx := x0 + 10 + li*90
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, y0+6, l.color, lx+14, y0+15, l.name)
	}
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// HTML is a standalone page with the headline figures and the chart.
func HTML(r *Result) string {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>msctl loadtest: ")
	b.WriteString(html.EscapeString(r.Target))
	b.WriteString("</title><style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}th:first-child,td:first-child{text-align:left}</style></head><body>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(r.Target))
	model := fmt.Sprintf("closed model, %d concurrent", r.Concurrency)
	if r.Model == "open" {
		model = "open model, rate " + r.Rate
	}
	fmt.Fprintf(&b, "<p>%s, %s. Offered %s/s, achieved %s/s, throughput %s/s (accepted). %d sent, %d accepted, %d throttled, %d errors.</p>\n",
		html.EscapeString(model), fmtDur(r.DurationS), fnum(r.OfferedRate), fnum(r.AchievedRate), fnum(r.Throughput),
		r.Requests.Sent, r.Status.Accepted, r.Status.Throttled, r.Status.Failed+r.Status.Unavailable+r.Status.Timeouts+r.Status.TransportErrors)
	if !r.Generator.KeptUp {
		fmt.Fprintf(&b, "<p><strong>%s</strong></p>\n", html.EscapeString(r.Generator.Verdict))
	}
	b.WriteString("<table><tr><th>latency (ms)</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n")
	for _, row := range []struct {
		n string
		p Percentiles
	}{{"corrected", r.LatencyMs.Corrected}, {"uncorrected", r.LatencyMs.Uncorrected}} {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			row.n, fnum(row.p.P50), fnum(row.p.P90), fnum(row.p.P99), fnum(row.p.P999), fnum(row.p.Max))
	}
	b.WriteString("</table>\n")
	if note := CoordinatedOmissionNote(r); note != "" {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(note))
	}
	b.WriteString(SVG(r))
	b.WriteString("</body></html>\n")
	return b.String()
}
