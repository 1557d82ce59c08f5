package deploy

import (
	"fmt"
	"html"
	"strings"
)

// SVG draws the plan's timeline: per step a stacked bar of old (blue) and
// new (green) pods against the left axis, and the new version's traffic
// share (orange line; mirrored share dashed) against the right axis.
func SVG(p *Plan) string {
	const (
		w, h          = 900, 420
		left, right   = 60, 60
		top, bottom   = 40, 110
		plotW, plotH  = w - left - right, h - top - bottom
		colorOld      = "#4c78a8"
		colorNew      = "#54a24b"
		colorTraffic  = "#f58518"
		colorAxisText = "#333"
	)
	n := max(1, len(p.Steps))
	peak := max(1, p.Summary.PeakPods)
	slot := float64(plotW) / float64(n)
	barW := slot * 0.6
	y := func(pods int) float64 { return float64(top+plotH) - float64(pods)*float64(plotH)/float64(peak) }
	yp := func(pct float64) float64 { return float64(top+plotH) - pct*float64(plotH)/100 }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<title>%s rollout plan: %d replicas, %d steps</title>`+"\n", html.EscapeString(p.Spec.Strategy), p.Spec.Replicas, len(p.Steps))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s rollout: %d replicas, ≈%s, peak %d pods</text>`+"\n",
		left, html.EscapeString(p.Spec.Strategy), p.Spec.Replicas, FormatDuration(p.Summary.DurationSeconds), p.Summary.PeakPods)
	// Axes and gridlines.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`+"\n", left, top+plotH, left+plotW, top+plotH, colorAxisText)
	for i := 0; i <= 4; i++ {
		pods := peak * i / 4
		yy := y(pods)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, yy, left+plotW, yy)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">%d</text>`+"\n", left-6, yy+4, colorAxisText, pods)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="%s">%d%%</text>`+"\n", left+plotW+6, yp(float64(i*25))+4, colorTraffic, i*25)
	}
	fmt.Fprintf(&b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" fill="%s">pods</text>`+"\n", top+plotH/2, top+plotH/2, colorAxisText)
	fmt.Fprintf(&b, `<text x="%d" y="%d" transform="rotate(90 %d %d)" fill="%s">traffic to new</text>`+"\n", w-14, top+plotH/2-40, w-14, top+plotH/2-40, colorTraffic)
	var line, mirror []string
	for i, s := range p.Steps {
		x := float64(left) + slot*float64(i) + (slot-barW)/2
		yOld := y(s.OldReplicas)
		yNew := y(s.OldReplicas + s.NewReplicas)
		fmt.Fprintf(&b, `<rect class="old" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>step %d: %d old pods</title></rect>`+"\n",
			x, yOld, barW, float64(top+plotH)-yOld, colorOld, s.Step, s.OldReplicas)
		fmt.Fprintf(&b, `<rect class="new" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>step %d: %d new pods</title></rect>`+"\n",
			x, yNew, barW, yOld-yNew, colorNew, s.Step, s.NewReplicas)
		cx := x + barW/2
		line = append(line, fmt.Sprintf("%.1f,%.1f", cx, yp(s.TrafficPercent)))
		mirror = append(mirror, fmt.Sprintf("%.1f,%.1f", cx, yp(s.MirroredPercent)))
		if n <= 30 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s">%d</text>`+"\n", cx, top+plotH+16, colorAxisText, s.Step)
		}
	}
	fmt.Fprintf(&b, `<polyline class="traffic" points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(line, " "), colorTraffic)
	if p.Spec.Strategy == Shadow {
		fmt.Fprintf(&b, `<polyline class="mirrored" points="%s" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="5,4"/>`+"\n", strings.Join(mirror, " "), colorTraffic)
	}
	ly := top + plotH + 40
	legend := []struct{ color, label string }{{colorOld, "old pods"}, {colorNew, "new pods"}, {colorTraffic, "traffic to new version (%)"}}
	for i, l := range legend {
		x := left + i*200
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", x, ly, l.color, x+18, ly+11, html.EscapeString(l.label))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#666">step</text>`+"\n", left+plotW/2, top+plotH+30)
	b.WriteString("</svg>\n")
	return b.String()
}
