package watch

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
)

// Printer writes events as they come: one styled line each for people,
// one JSON object per line (NDJSON) or one YAML document each for programs.
type Printer struct {
	IO     *iostreams.IOStreams
	Format output.Format
	Window time.Duration
}

// Initial reports the first view on stderr (it is context, not a change).
func (p *Printer) Initial(service string, ins []registry.Instance) {
	s := registry.Summarize(service, ins)
	var parts []string
	for _, h := range []registry.Health{registry.Passing, registry.Warning, registry.Critical, registry.Unknown} {
		if n := s.ByHealth[h]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, h))
		}
	}
	st := output.NewStderrStyle(p.IO)
	detail := "no instances yet"
	if len(parts) > 0 {
		detail = strings.Join(parts, ", ")
	}
	fmt.Fprintf(p.IO.ErrOut, "%s %s: %d instance(s), %s\n", st.Faint("watching"), st.Bold(service), s.Instances, detail)
}

// Event writes one event.
func (p *Printer) Event(ev Event) error {
	switch p.Format {
	case output.FormatJSON:
		return output.WriteJSONLine(p.IO.Out, ev)
	case output.FormatYAML:
		fmt.Fprintln(p.IO.Out, "---")
		return output.WriteYAML(p.IO.Out, ev)
	}
	return p.line(p.IO.Out, ev)
}

func (p *Printer) line(w io.Writer, ev Event) error {
	st := output.NewStyle(p.IO)
	var what string
	switch ev.Kind {
	case "added":
		what = fmt.Sprintf("added (%s) %s", st.State(ev.To), ev.Detail)
	case "removed":
		what = fmt.Sprintf("removed (was %s) %s", st.State(ev.From), ev.Detail)
	case "health":
		what = fmt.Sprintf("health %s -> %s", st.State(ev.From), st.State(ev.To))
	case "check":
		from := ev.From
		if from == "" {
			from = "new"
		}
		what = fmt.Sprintf("check %s %s -> %s", ev.Check, st.State(from), st.State(ev.To))
		if ev.Detail != "" {
			what += ": " + st.Faint(oneLine(ev.Detail))
		}
	default:
		what = "changed " + ev.Detail
	}
	flap := ""
	if ev.Flapping {
		flap = "  " + st.Red(st.Bold(fmt.Sprintf("FLAPPING (%d transitions within %s)", ev.Transitions, p.Window)))
	}
	_, err := fmt.Fprintf(w, "%s  %s  %s%s\n", ev.Time.Format("15:04:05"), st.Bold(ev.Instance), what, flap)
	return err
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:119] + "…"
	}
	return s
}
