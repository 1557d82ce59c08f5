// Package probe implements `msctl probe`: one command per protocol, each
// parsing its flags into options for the probe engine in internal/probe.
package probe

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/probe"
)

// NewCmd builds `msctl probe` and its protocol subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Probe a service over HTTP, TCP, DNS and more, with timed phases",
		Long: `Probe a service the way a client of it would, and report where the call
spends its time and where it fails.

Every protocol reports the same result: the target, the addresses it
resolved to, the duration of each phase (dns, connect, tls, then the
protocol's own), the status, and on failure the phase that failed and an
error class: dns, connect, tls, timeout, protocol, status or assertion.

` + ResultSchemaHelp + `

` + ExitCodeHelp,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.AddCommand(
		NewHTTPCmd(f, nil),
		NewTCPCmd(f, nil),
		NewDNSCmd(f, nil),
		NewGRPCCmd(f, nil),
		NewWSCmd(f, nil),
		NewGraphQLCmd(f, nil),
		NewThriftCmd(f, nil),
		NewServiceCmd(f, nil),
	)
	cmd.AddCommand(NewBrokerCmds(f, nil)...)
	return cmd
}

// ResultSchemaHelp documents the JSON result, shared by every probe.
const ResultSchemaHelp = `JSON (-o json, one object per probe per line):
  protocol, target, seq, time, addresses[], remote_addr, reused,
  phases[{name, duration_ms}], total_ms, ok, status, failed_phase,
  error_class, error, and the protocol's details (http, tls, dns, grpc, ws,
  graphql, broker, thrift; instance for probe service).
With --count > 1 a summary (min/median/p90/p99/max of every phase) follows
the results: as a table on stdout, or on stderr with -o json|yaml.`

// ExitCodeHelp documents how probe results become exit codes.
const ExitCodeHelp = `Exit codes:
  0  every probe passed
  1  a probe reached the target but failed a check (status, body, latency,
     or the peer did not speak the protocol)
  3  the target could not be reached (dns, connect, tls or timeout)
  2  usage error
  probe grpc: 64+N when the RPC ends with gRPC status N (as grpcurl),
  4 when health is not SERVING (as grpc_health_probe)`

// CommonOptions are the flags every probe command takes.
type CommonOptions struct {
	IO           *iostreams.IOStreams
	Output       string
	Count        int
	Interval     time.Duration
	Timeout      time.Duration
	ExpectStatus string
	ExpectBody   string
	MaxLatency   time.Duration
}

func addCommonFlags(cmd *cobra.Command, o *CommonOptions) {
	fl := cmd.Flags()
	fl.IntVarP(&o.Count, "count", "c", 1, "number of probes; with more than one, a per-phase summary follows")
	fl.DurationVarP(&o.Interval, "interval", "i", 0, "pause between probes")
	fl.DurationVar(&o.Timeout, "timeout", 10*time.Second, "time limit of each probe")
	fl.StringVar(&o.ExpectStatus, "expect-status", "", "statuses that pass, comma-separated: 200, 2xx, 200-299 or a status word")
	fl.StringVar(&o.ExpectBody, "expect-body", "", "regular expression the received body must match")
	fl.DurationVar(&o.MaxLatency, "max-latency", 0, "fail a probe that takes longer than this")
	cmdutil.AddOutputFlag(cmd, &o.Output)
}

// runOptions validates the common flags.
func (o *CommonOptions) runOptions() (output.Format, probe.RunOptions, probe.StatusMatcher, error) {
	var ro probe.RunOptions
	format, err := cmdutil.ParseOutput(o.Output)
	if err != nil {
		return "", ro, nil, err
	}
	if o.Count < 1 {
		return "", ro, nil, exitcode.Usagef("invalid --count %d: must be at least 1", o.Count)
	}
	if o.Timeout < 0 || o.Interval < 0 || o.MaxLatency < 0 {
		return "", ro, nil, exitcode.Usagef("durations must not be negative")
	}
	ro = probe.RunOptions{Count: o.Count, Interval: o.Interval, Timeout: o.Timeout, MaxLatency: o.MaxLatency}
	if o.ExpectBody != "" {
		re, err := regexp.Compile(o.ExpectBody)
		if err != nil {
			return "", ro, nil, exitcode.Usagef("invalid --expect-body: %v", err)
		}
		ro.ExpectBody = re
	}
	m, err := probe.ParseStatusMatcher(o.ExpectStatus)
	if err != nil {
		return "", ro, nil, exitcode.Usagef("invalid --expect-status: %v", err)
	}
	return format, ro, m, nil
}

// report runs p as ro says, prints the results in format and turns them
// into the exit code, then closes p. insecure (--insecure) first warns on
// stderr that the server's certificate goes unverified.
func (o *CommonOptions) report(ctx context.Context, format output.Format, ro probe.RunOptions, p probe.Prober, insecure bool) error {
	defer p.Close()
	if insecure {
		warnInsecure(o.IO)
	}
	return exit(probe.Report(ctx, o.IO, format, p, ro))
}

// exit turns the probes' exit code into the command's error: the results
// are already printed, so nothing more is said.
func exit(code int, err error) error {
	if err != nil {
		return err
	}
	if code != 0 {
		return exitcode.WithCode(exitcode.Code(code))
	}
	return nil
}

// readData reads a -d value: literal text, @FILE, or @- for stdin.
func readData(ios *iostreams.IOStreams, v string) ([]byte, error) {
	if len(v) < 2 || v[0] != '@' {
		return []byte(v), nil
	}
	if v == "@-" {
		b, err := io.ReadAll(ios.In)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(v[1:])
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("reading -d %s: %w", v, err), "")
	}
	return b, nil
}

func warnInsecure(ios *iostreams.IOStreams) {
	st := output.NewStderrStyle(ios)
	fmt.Fprintln(ios.ErrOut, st.Yellow("warning: --insecure: the server's certificate is not verified; anyone on the path can read and change this traffic"))
}
