package deploy

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/msctl/msctl/internal/output"
)

// PlanTable is the step table of a plan.
func PlanTable(p *Plan) *output.Table {
	t := output.NewTable("STEP", "ACTION", "OLD D/MAX/AVAIL", "NEW D/MAX/AVAIL", "PODS≤", "AVAIL≥",
		"TRAFFIC REQ→ACT", "CAPACITY", "PEAK CPU/MEM", "DURATION", "NEW REQS", "GATE", "BLAST", "ROLLBACK")
	t.NoStateColor = true
	for _, s := range p.Steps {
		traffic := fmt.Sprintf("%s→%s", pct(s.RequestedTrafficPercent), pct(s.TrafficPercent))
		if s.MirroredPercent > 0 {
			traffic = "mirror " + pct(s.MirroredPercent)
		}
		gate := "-"
		if s.Gate {
			gate = fmt.Sprintf("enough (≥%d)", s.RequestsNeeded)
			if !s.EnoughToJudge {
				gate = fmt.Sprintf("TOO FEW (<%d)", s.RequestsNeeded)
			}
		}
		t.AddRow(s.Step, s.Action,
			fmt.Sprintf("%d/%d/%d", s.OldReplicas, s.OldMax, s.OldMinAvailable),
			fmt.Sprintf("%d/%d/%d", s.NewReplicas, s.NewMax, s.NewMinAvailable),
			s.MaxPods, s.MinAvailable, traffic, pct(s.CapacityPercent),
			FormatCPU(s.PeakCPUMilli)+"/"+FormatBytes(s.PeakMemoryBytes),
			FormatDuration(s.DurationSeconds), s.NewRequests, gate,
			fmt.Sprintf("%s (%g rps)", pct(s.BlastRadiusPercent), s.BlastRPS),
			fmt.Sprintf("%s (%s)", s.RollbackAction, FormatDuration(s.RollbackSeconds)))
	}
	return t
}

// WriteSummary prints the plan's totals and findings under the table.
func WriteSummary(w io.Writer, st output.Style, p *Plan) {
	s := p.Summary
	fmt.Fprintf(w, "\n%s %s, %d replicas: max surge %s (%s), max unavailable %s (%s)\n",
		st.Bold("Strategy"), p.Spec.Strategy, p.Spec.Replicas, p.Spec.MaxSurge, pods(p.Fenceposts.Surge),
		p.Spec.MaxUnavailable, pods(p.Fenceposts.Unavailable))
	down := "no downtime"
	if s.Downtime {
		down = st.Red("DOWNTIME: no pod available during the rollout")
	}
	fmt.Fprintf(w, "Total ≈ %s, peak %d pods (%s CPU, %s memory), at least %d available: %s\n",
		FormatDuration(s.DurationSeconds), s.PeakPods, FormatCPU(s.PeakCPUMilli), FormatBytes(s.PeakMemoryBytes), s.MinAvailable, down)
	WriteFindings(w, st, p.Findings)
}

// WriteFindings prints lint findings with their explanations.
func WriteFindings(w io.Writer, st output.Style, fs []Finding) {
	if len(fs) == 0 {
		fmt.Fprintln(w, st.Green("No known traps found."))
		return
	}
	fmt.Fprintf(w, "\n%s\n", st.Bold(fmt.Sprintf("%d finding(s):", len(fs))))
	for _, f := range fs {
		sev := f.Severity
		switch f.Severity {
		case "error":
			sev = st.Red(sev)
		case "warning":
			sev = st.Yellow(sev)
		}
		where := ""
		if f.Step > 0 {
			where = fmt.Sprintf(" (step %d)", f.Step)
		}
		fmt.Fprintf(w, "  %s %s%s: %s\n      %s\n", sev, f.Code, where, f.Message, st.Faint(f.Why))
	}
}

// WriteChart draws the plan as a timeline: one line per step with the old
// and new pods as a stacked bar and the new version's share of traffic.
// Colors only when color is on; the plain glyphs carry the meaning alone.
func WriteChart(w io.Writer, color bool, p *Plan) {
	const barWidth = 40
	peak := max(1, p.Summary.PeakPods)
	oldStyle := lipgloss.NewStyle().Foreground(lipgloss.Color("12"))
	newStyle := lipgloss.NewStyle().Foreground(lipgloss.Color("10"))
	trafStyle := lipgloss.NewStyle().Foreground(lipgloss.Color("214"))
	paint := func(s lipgloss.Style, text string) string {
		if !color || text == "" {
			return text
		}
		return s.Render(text)
	}
	fmt.Fprintf(w, "\nTimeline (█ old pods, ▒ new pods, scale %d pods; traffic to new version)\n", peak)
	for _, s := range p.Steps {
		o := scaleCells(s.OldReplicas, peak, barWidth)
		n := scaleCells(s.NewReplicas, peak, barWidth)
		if o+n > barWidth {
			n = barWidth - o
		}
		bar := paint(oldStyle, strings.Repeat("█", o)) + paint(newStyle, strings.Repeat("▒", n)) + strings.Repeat(" ", barWidth-o-n)
		tr := s.TrafficPercent
		if s.MirroredPercent > 0 {
			tr = s.MirroredPercent
		}
		tcells := scaleCells(int(tr*10), 1000, 10)
		traffic := paint(trafStyle, strings.Repeat("■", tcells)) + strings.Repeat("·", 10-tcells)
		label := pct(s.TrafficPercent)
		if s.MirroredPercent > 0 {
			label = "mirror " + pct(s.MirroredPercent)
		}
		fmt.Fprintf(w, "%3d │%s│ %3d/%-3d %s %s\n", s.Step, bar, s.OldReplicas, s.NewReplicas, traffic, label)
	}
}

// scaleCells maps v of total onto cells, showing any non-zero value.
func scaleCells(v, total, cells int) int {
	if v <= 0 || total <= 0 {
		return 0
	}
	n := v * cells / total
	if n == 0 {
		n = 1
	}
	return min(n, cells)
}

func pods(n int) string {
	if n == 1 {
		return "1 pod"
	}
	return fmt.Sprintf("%d pods", n)
}

func pct(f float64) string { return fmt.Sprintf("%g%%", f) }

// FormatCPU prints millicores as Kubernetes writes them: 500m, 2, 2.5.
func FormatCPU(m int64) string {
	if m%1000 == 0 {
		return fmt.Sprintf("%d", m/1000)
	}
	if m < 1000 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%g", float64(m)/1000)
}

// FormatBytes prints bytes in binary units: 256Mi, 2.5Gi.
func FormatBytes(b int64) string {
	units := []string{"", "Ki", "Mi", "Gi", "Ti", "Pi"}
	f := float64(b)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%s%s", trimFloat(f), units[i])
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

// SimTable is the tick table of a simulation.
func SimTable(s *Simulation) *output.Table {
	t := output.NewTable("STEP", "AT", "OLD", "NEW", "OLD READY", "NEW READY", "AVAILABLE", "PODS", "ACTIONS")
	t.NoStateColor = true
	for _, x := range s.Steps {
		acts := strings.Join(x.Actions, ", ")
		if acts == "" {
			acts = "-"
		}
		t.AddRow(x.Step, FormatDuration(x.AtSeconds), x.OldReplicas, x.NewReplicas, x.OldAvailable, x.NewAvailable, x.Available, x.Pods, acts)
	}
	return t
}

// WriteSimSummary prints the simulation's verdict.
func WriteSimSummary(w io.Writer, st output.Style, s *Simulation) {
	fmt.Fprintf(w, "\nBounds: at most %d pods, at least %d available (of %d)\n", s.MaxPods, s.MinAvailable, s.Replicas)
	fmt.Fprintf(w, "Lowest availability seen: %d, peak pods: %d\n", s.LowestAvailable, s.PeakPods)
	if s.Complete {
		fmt.Fprintf(w, "%s in %s\n", st.Green("Complete"), FormatDuration(s.DurationSeconds))
		return
	}
	fmt.Fprintf(w, "%s at step %d (%s): new pods never became ready; the deployment would report ProgressDeadlineExceeded and stay at %d available until rolled back\n",
		st.Red("Stalled"), len(s.Steps), FormatDuration(s.DurationSeconds), s.Steps[len(s.Steps)-1].Available)
}
