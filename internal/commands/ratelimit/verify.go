package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	rl "github.com/msctl/msctl/internal/ratelimit"
)

// VerifyOptions are the parsed flags of `msctl ratelimit verify`.
type VerifyOptions struct {
	IO        *iostreams.IOStreams
	Ctx       context.Context
	Target    string
	Flags     TargetFlags
	Limit     string
	Burst     int
	Tolerance float64
	Step      time.Duration
	Identity  string
}

func newVerifyCmd(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "verify TARGET --limit RATE [--burst N]",
		Short: "Check that a declared rate limit is enforced",
		Long: `Check that a declared rate limit is enforced, with evidence:

  below_limit          at 80% of the limit (from a full bucket) nothing is throttled
  above_limit          at 150% of the limit, once the bucket is drained, the
                       accepted rate is the limit within --tolerance
  burst                (with --burst) from a full bucket at twice the limit, the
                       number of requests that pass at once is the burst
  remaining_counts_down, reset_within_window
                       the rate-limit headers (if any) agree with what happened

The limit comes from --limit/--burst or from the service.yaml given with
--from (its rate_limits entry for the target's protocol, or --route).

JSON (-o json): target, limit, burst, enforced, measured_rate, measured_burst,
checks [{name, ok, detail}], declared, header_sources, steps (as in find),
elapsed_s.

Exit codes: 0 enforced, 1 not enforced (the failed checks say why), 2 usage,
3 unreachable.`,
		Example: `  msctl ratelimit verify http://127.0.0.1:8080/api --limit 100/s --burst 20
  msctl ratelimit verify http://127.0.0.1:8080/api --from service.yaml -o json`,
		Args:              cmdutil.ExactArgs(1, "TARGET"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.Target = cmd.Context(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return RunVerify(opts)
		},
	}
	addTargetFlags(cmd, &opts.Flags, time.Minute)
	fl := cmd.Flags()
	fl.StringVar(&opts.Limit, "limit", "", "declared sustained rate, e.g. 100/s")
	fl.IntVar(&opts.Burst, "burst", 0, "declared burst (bucket size); 0 skips the burst check")
	fl.Float64Var(&opts.Tolerance, "tolerance", 0.1, "allowed relative error of the measured rate and burst")
	fl.DurationVar(&opts.Step, "step", 2*time.Second, "length of the below and above steps")
	fl.StringVar(&opts.Identity, "identity", "", "headers naming the client, for per-client limits (\"Name: value\")")
	return cmd
}

// RunVerify runs the checks and reports them.
func RunVerify(opts *VerifyOptions) error {
	format, err := cmdutil.ParseOutput(opts.Flags.Output)
	if err != nil {
		return err
	}
	if err := checkFile(opts.Flags.From); err != nil {
		return err
	}
	vo := rl.VerifyOptions{Burst: opts.Burst, Tolerance: opts.Tolerance, StepDuration: opts.Step, MaxDuration: opts.Flags.MaxDuration}
	decl, err := opts.Flags.declared(opts.Target)
	if err != nil {
		return err
	}
	if opts.Limit != "" {
		if vo.Limit, err = parseRate("--limit", opts.Limit); err != nil {
			return err
		}
	}
	if decl != nil {
		if vo.Limit == 0 {
			vo.Limit = decl.Rate
		}
		if vo.Burst == 0 {
			vo.Burst = decl.Burst
		}
		if opts.Identity == "" && decl.Per == "client" && decl.Identity != "" {
			opts.Identity = decl.Identity + ": msctl-verify"
		}
	}
	if vo.Limit <= 0 {
		return exitcode.UsageError(fmt.Errorf("no limit to verify"), "give --limit 100/s or --from service.yaml")
	}
	if opts.Tolerance <= 0 || opts.Tolerance >= 1 {
		return exitcode.Usagef("--tolerance must be between 0 and 1")
	}
	if opts.Identity != "" {
		opts.Flags.Headers = append(opts.Flags.Headers, opts.Identity)
	}
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	p, err := opts.Flags.prober(ctx, opts.IO, opts.Target)
	if err != nil {
		return err
	}
	res, err := p.Verify(ctx, vo)
	if err != nil {
		if ctx.Err() != nil {
			return exitcode.WithCode(exitcode.Interrupted)
		}
		return exitcode.UnreachableError(err, "")
	}
	if format == output.FormatTable {
		writeVerify(opts.IO, res)
	} else if err := output.Write(opts.IO, format, res, nil); err != nil {
		return err
	}
	if !res.Enforced {
		return exitcode.WithCode(exitcode.CheckFailed)
	}
	return nil
}

func writeVerify(ios *iostreams.IOStreams, r *rl.VerifyResult) {
	st := output.NewStyle(ios)
	w := ios.Out
	verdict := st.Green("enforced")
	if !r.Enforced {
		verdict = st.Red("NOT enforced")
	}
	burst := ""
	if r.Burst > 0 {
		burst = fmt.Sprintf(", burst %d", r.Burst)
	}
	fmt.Fprintf(w, "%s %s/s%s: %s (measured %.2f/s", r.Target, fmtRate(r.Limit), burst, verdict, r.MeasuredRate)
	if r.MeasuredBurst > 0 {
		fmt.Fprintf(w, ", burst %.1f", r.MeasuredBurst)
	}
	fmt.Fprintf(w, ", %.1fs)\n\n", r.ElapsedS)
	t := output.NewTable("CHECK", "RESULT", "DETAIL")
	for _, c := range r.Checks {
		res := "passing"
		if !c.OK {
			res = "failing"
		}
		t.AddRow(c.Name, res, c.Detail)
	}
	_ = t.Render(ios)
	fmt.Fprintln(w)
	writeSteps(ios, r.Steps)
}

func fmtRate(v float64) string { return fmt.Sprintf("%g", v) }
