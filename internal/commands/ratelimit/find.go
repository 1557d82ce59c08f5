package ratelimit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/loadtest"
	"github.com/msctl/msctl/internal/output"
	rl "github.com/msctl/msctl/internal/ratelimit"
)

// FindOptions are the parsed flags of `msctl ratelimit find`.
type FindOptions struct {
	IO         *iostreams.IOStreams
	Ctx        context.Context
	Target     string
	Flags      TargetFlags
	StartRate  string
	MaxRate    string
	Step       time.Duration
	Identities []string
}

func newFindCmd(f *cmdutil.Factory, runF func(*FindOptions) error) *cobra.Command {
	opts := &FindOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "find TARGET",
		Short: "Discover a target's sustained rate limit and burst",
		Long: `Discover the rate limit of an HTTP URL or grpc://HOST:PORT/package.Service/Method.

First a low-rate look (5/s) reads the headers for a hint and the baseline
latency. Then open-model steps start from a full bucket (waiting for the
reset the server announced, or burst/rate, after any throttled step) and
double the rate until requests are throttled. Bisection on a log scale then
narrows the bracket to within 5%, with steps that first drain the bucket so a
refilled bucket cannot carry a step; the accepted rate once the bucket is
empty measures the sustained rate directly. The burst is how many requests
pass at twice the rate from a full bucket before the first throttle.

Throttling (429, RESOURCE_EXHAUSTED) is told apart from saturation (503s,
timeouts, errors or a 10x rise in latency before any throttling): then the
verdict is "inconclusive" with the reason, never a number. Two --identity
header sets tell a per-client limit from a global one. Progress goes to
stderr; the whole run is bounded by --max-duration.

JSON (-o json):
  target, verdict ("found"|"inconclusive"|"no_limit"), reason,
  sustained_rate    requests per second
  burst             requests that pass at once from a full bucket
  bracket           {low, high}: the final bisection bracket
  scope             "per-client"|"global" (with two --identity sets)
  declared          [{name, quota, window (ns), unit, partition, source}] from headers
  header_sources    which rate-limit headers were seen
  steps             [{phase, rate, drained, duration_s, sent, accepted, throttled,
                      unavailable, errors, accepted_rate, p50_ms, p99_ms, verdict}]
  elapsed_s

Exit codes: 0 found, 1 inconclusive or no limit found, 2 usage, 3 unreachable.`,
		Example: `  msctl ratelimit find http://127.0.0.1:8080/api
  msctl ratelimit find http://svc/api --identity "X-Api-Key: a" --identity "X-Api-Key: b" -o json
  msctl ratelimit find grpc://127.0.0.1:9090/helloworld.Greeter/SayHello --data '{"name":"x"}'
  msctl ratelimit find http://svc/api --from service.yaml --max-duration 1m`,
		Args:              cmdutil.ExactArgs(1, "TARGET"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.Target = cmd.Context(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return RunFind(opts)
		},
	}
	addTargetFlags(cmd, &opts.Flags, 2*time.Minute)
	fl := cmd.Flags()
	fl.StringVar(&opts.StartRate, "start-rate", "", "first bracketing rate (default: the declared policy, or 10/s)")
	fl.StringVar(&opts.MaxRate, "max-rate", "20000/s", "give up doubling above this rate (no limit found)")
	fl.DurationVar(&opts.Step, "step", time.Second, "length of a measured bisection step")
	fl.StringArrayVar(&opts.Identities, "identity", nil, "headers naming one client, \"Name: value[; Name2: value2]\"; give two to tell per-client from global")
	return cmd
}

// RunFind runs the search and reports it.
func RunFind(opts *FindOptions) error {
	format, err := cmdutil.ParseOutput(opts.Flags.Output)
	if err != nil {
		return err
	}
	fo := rl.FindOptions{MaxDuration: opts.Flags.MaxDuration, StepDuration: opts.Step}
	if opts.StartRate != "" {
		if fo.StartRate, err = parseRate("--start-rate", opts.StartRate); err != nil {
			return err
		}
	}
	if fo.MaxRate, err = parseRate("--max-rate", opts.MaxRate); err != nil {
		return err
	}
	for _, id := range opts.Identities {
		h, err := parseHeaders(strings.Split(id, ";"))
		if err != nil {
			return err
		}
		fo.Identities = append(fo.Identities, h)
	}
	if err := checkFile(opts.Flags.From); err != nil {
		return err
	}
	decl, err := opts.Flags.declared(opts.Target)
	if err != nil {
		return err
	}
	if decl != nil {
		if fo.StartRate == 0 && decl.Rate > 0 {
			fo.StartRate = decl.Rate / 2
		}
		if len(fo.Identities) == 0 && decl.Per == "client" && decl.Identity != "" {
			fo.Identities = append(fo.Identities, headerOf(decl.Identity, "msctl-a"), headerOf(decl.Identity, "msctl-b"))
		}
	}
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	p, err := opts.Flags.prober(ctx, opts.IO, opts.Target)
	if err != nil {
		return err
	}
	res, err := p.Find(ctx, fo)
	if err != nil && ctx.Err() == nil {
		return exitcode.UnreachableError(err, "")
	}
	if format == output.FormatTable {
		writeFind(opts.IO, res)
	} else if werr := output.Write(opts.IO, format, res, nil); werr != nil {
		return werr
	}
	if ctx.Err() != nil {
		return exitcode.WithCode(exitcode.Interrupted)
	}
	if res.Verdict != rl.Found {
		return exitcode.WithCode(exitcode.CheckFailed)
	}
	return nil
}

func headerOf(name, value string) map[string][]string {
	return map[string][]string{name: {value}}
}

func parseRate(flag, v string) (float64, error) {
	r, err := loadtest.ParseRate(v)
	if err != nil || r <= 0 {
		return 0, exitcode.Usagef("%s %q: want a rate such as 100/s", flag, v)
	}
	return r, nil
}

func writeFind(ios *iostreams.IOStreams, r *rl.FindResult) {
	st := output.NewStyle(ios)
	w := ios.Out
	line := func(label, format string, a ...any) {
		fmt.Fprintf(w, "%s %s\n", st.Bold(fmt.Sprintf("%-15s", label)), fmt.Sprintf(format, a...))
	}
	line("Target", "%s", r.Target)
	verdict := st.Green(r.Verdict)
	if r.Verdict != rl.Found {
		verdict = st.Yellow(r.Verdict)
	}
	line("Verdict", "%s", verdict)
	if r.Reason != "" {
		line("Reason", "%s", r.Reason)
	}
	if r.Verdict == rl.Found {
		line("Sustained rate", "%.2f req/s (bracket %.2f to %.2f)", r.SustainedRate, r.Bracket.Low, r.Bracket.High)
		line("Burst", "%.1f requests", r.Burst)
	}
	if r.Scope != "" {
		line("Scope", "%s", r.Scope)
	}
	if len(r.HeaderSources) > 0 {
		line("Headers", "%s", strings.Join(r.HeaderSources, ", "))
	}
	for _, p := range r.Declared {
		line("Declared", "%d per %s (%.2f/s) %s", p.Quota, p.Window, p.Rate(), p.Name)
	}
	line("Took", "%.1fs, %d steps", r.ElapsedS, len(r.Steps))
	fmt.Fprintln(w)
	writeSteps(ios, r.Steps)
}

func writeSteps(ios *iostreams.IOStreams, steps []rl.Step) {
	t := output.NewTable("PHASE", "RATE/S", "DRAINED", "SENT", "ACCEPTED", "THROTTLED", "503/ERR", "ACCEPTED/S", "P50 MS", "VERDICT")
	for _, s := range steps {
		t.AddRow(s.Phase, fmt.Sprintf("%.1f", s.Rate), s.Drained, s.Sent, s.Accepted, s.Throttled, s.Unavailable+s.Errors,
			fmt.Sprintf("%.1f", s.AcceptedRate), fmt.Sprintf("%.2f", s.P50Ms), s.Verdict)
	}
	_ = t.Render(ios)
}
