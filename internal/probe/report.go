package probe

import (
	"context"
	"fmt"

	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
)

// Report runs the probes and prints them in format: for table, one line
// per result (with the details of a single probe) and, with more than one
// probe, the per-phase summary; for json, one JSON object per line
// (NDJSON) on stdout with the summary table on stderr; for yaml, one
// document per result. It returns the exit code the results call for.
func Report(ctx context.Context, ios *iostreams.IOStreams, format output.Format, p Prober, o RunOptions) (int, error) {
	st := output.NewStyle(ios)
	multi := o.Count > 1
	first := true
	o.OnResult = func(r *Result) error {
		switch format {
		case output.FormatJSON:
			return output.WriteJSONLine(ios.Out, r)
		case output.FormatYAML:
			if !first {
				if _, err := fmt.Fprintln(ios.Out, "---"); err != nil {
					return err
				}
			}
			first = false
			return output.WriteYAML(ios.Out, r)
		}
		if g := r.GRPC; g != nil && g.Verb != "health" {
			// list, describe and invoke print exactly what grpcurl prints,
			// so scripts written for grpcurl keep working; the timing
			// line goes to stderr.
			if _, err := fmt.Fprint(ios.Out, g.Output); err != nil {
				return err
			}
			fmt.Fprint(ios.ErrOut, g.ErrorText)
			fmt.Fprintln(ios.ErrOut, Line(r, output.NewStderrStyle(ios), multi))
			return nil
		}
		if _, err := fmt.Fprintln(ios.Out, Line(r, st, multi)); err != nil {
			return err
		}
		if !multi {
			WriteDetails(ios.Out, r, st)
		}
		return nil
	}
	results, err := Run(ctx, p, o)
	if multi && len(results) > 0 {
		s := Summarize(results)
		// grpcurl-compatible output (list, describe, invoke) keeps stdout
		// to itself.
		grpcText := results[0].GRPC != nil && results[0].GRPC.Verb != "health"
		if format == output.FormatTable && !grpcText {
			fmt.Fprintln(ios.Out, SummaryHeadline(s, st))
			if rerr := SummaryTable(s).Render(ios); rerr != nil && err == nil {
				err = rerr
			}
		} else {
			// Keep stdout a clean stream of results; the summary is for
			// the person watching.
			est := output.NewStderrStyle(ios)
			fmt.Fprintln(ios.ErrOut, SummaryHeadline(s, est))
			errIO := *ios
			errIO.Out = ios.ErrOut
			if rerr := SummaryTable(s).Render(&errIO); rerr != nil && err == nil {
				err = rerr
			}
		}
	}
	return ExitCode(results), err
}
