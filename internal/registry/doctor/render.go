package doctor

import (
	"fmt"

	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
)

// sourceColumns is the order of the sources table's columns.
var sourceColumns = []string{"catalog", "health", "gossip", "dns", "consistency", "agent", "probe"}

// maxSourceRows bounds the sources table when every service is diagnosed:
// beyond it only services with findings get a row.
const maxSourceRows = 50

// Render writes the report for people: the sources per service, the
// findings with their next steps, and a summary line.
func Render(ios *iostreams.IOStreams, rep *Report) error {
	st := output.NewStyle(ios)
	head := rep.Registry + " registry"
	if rep.Leader != "" {
		head += ", leader " + rep.Leader
	}
	fmt.Fprintln(ios.Out, st.Bold(head))
	fmt.Fprintln(ios.Out)

	withFindings := map[string]bool{}
	for _, f := range rep.Findings {
		withFindings[f.Service] = true
	}
	src := output.NewTable(append([]string{"service"}, sourceColumns...)...)
	for _, s := range rep.Services {
		if len(rep.Services) > maxSourceRows && !withFindings[s.Service] {
			continue
		}
		row := []any{s.Service}
		for _, col := range sourceColumns {
			cell := "-"
			for _, v := range s.Sources {
				if v.Name != col {
					continue
				}
				switch {
				case col == "catalog" || col == "health":
					cell = v.Detail
				case v.Status == "ok":
					cell = "ok"
				default:
					cell = v.Status
				}
			}
			row = append(row, cell)
		}
		src.AddRow(row...)
	}
	if len(src.Rows) > 0 {
		if err := src.Render(ios); err != nil {
			return err
		}
		if hidden := len(rep.Services) - len(src.Rows); hidden > 0 {
			fmt.Fprintln(ios.Out, st.Faint(fmt.Sprintf("(%d more services without findings; -o json lists them all)", hidden)))
		}
		fmt.Fprintln(ios.Out)
	}

	if len(rep.Findings) > 0 {
		t := output.NewTable("severity", "id", "service", "instance", "reason", "next step")
		for _, f := range rep.Findings {
			t.AddRow(f.Severity, f.ID, dash(f.Service), dash(f.Instance), f.Reason, f.Next)
		}
		if err := t.Render(ios); err != nil {
			return err
		}
		fmt.Fprintln(ios.Out)
	}
	summary := fmt.Sprintf("%d service(s) checked: %d critical, %d warning, %d info",
		len(rep.Services), rep.Counts[Critical], rep.Counts[Warning], rep.Counts[Info])
	switch rep.Worst() {
	case Critical:
		summary = st.Red(summary)
	case Warning:
		summary = st.Yellow(summary)
	default:
		summary = st.Green(summary)
	}
	_, err := fmt.Fprintln(ios.Out, summary)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
