package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/watch"
)

// WatchOptions are the parsed flags of `msctl registry watch`.
type WatchOptions struct {
	IO         *iostreams.IOStreams
	Conn       Conn
	Service    string
	For        time.Duration
	FlapCount  int
	FlapWindow time.Duration
	Output     string
	Ctx        context.Context
	Now        func() time.Time
}

// NewWatchCmd builds `msctl registry watch SERVICE`.
func NewWatchCmd(f *cmdutil.Factory, runF func(*WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{IO: f.IOStreams, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "watch SERVICE",
		Short: "Print a timeline of a service's instance and check changes",
		Long: `Print a timeline of changes to SERVICE's instances: added, removed, health
and check state transitions (with the check's output), address, tag and
version changes. Consul is watched with blocking queries; an index bump
that changes nothing visible prints nothing. An instance with --flap-count
transitions within --flap-window is marked FLAPPING.

It runs until --for elapses or Ctrl-C, both of which end it with exit 0.
The initial state goes to stderr; events go to stdout.

JSON (-o json): one object per line (NDJSON):
  {"time", "service", "instance", "kind": "added|removed|health|check|changed",
   "check", "from", "to", "detail", "flapping", "transitions"}`,
		Example: `  msctl registry watch web
  msctl registry watch web --for 10m -o json | jq -c 'select(.flapping)'`,
		Args:              cmdutil.ExactArgs(1, "SERVICE"),
		ValidArgsFunction: completeServices(f, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Service = args[0]
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return RunWatch(opts)
		},
	}
	addConn(f, cmd, &opts.Conn)
	cmd.Flags().DurationVar(&opts.For, "for", 0, "stop after this long (default: until Ctrl-C)")
	cmd.Flags().IntVar(&opts.FlapCount, "flap-count", 3, "transitions within --flap-window that mark an instance flapping")
	cmd.Flags().DurationVar(&opts.FlapWindow, "flap-window", time.Minute, "window for flap detection")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunWatch watches until --for or Ctrl-C.
func RunWatch(opts *WatchOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	if opts.For < 0 || opts.FlapCount < 1 || opts.FlapWindow <= 0 {
		return exitcode.Usagef("--for must not be negative, --flap-count must be at least 1 and --flap-window positive")
	}
	reg, err := opts.Conn.Open()
	if err != nil {
		return err
	}
	ctx := ctxOf(opts.Ctx)
	if opts.For > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.For)
		defer cancel()
	}
	// The first read must answer within --timeout, so that a wrong address
	// fails fast instead of being retried. It is not cut short by --for:
	// a watch that never heard from the registry has seen no "no change".
	first, cancel := context.WithTimeout(ctxOf(opts.Ctx), opts.Conn.Timeout)
	if ls, ok := reg.(registry.LeaderSource); ok {
		_, err = ls.Leader(first) // one cheap request
	} else {
		_, err = reg.Services(first, registry.Query{})
	}
	cancel()
	if err != nil {
		return registry.ExitError(err)
	}
	p := &watch.Printer{IO: opts.IO, Format: format, Window: opts.FlapWindow}
	st := output.NewStderrStyle(opts.IO)
	err = watch.Run(ctx, reg, watch.Options{
		Service: opts.Service, FlapCount: opts.FlapCount, FlapWindow: opts.FlapWindow, Now: opts.Now,
		OnError: func(err error) {
			fmt.Fprintf(opts.IO.ErrOut, "%s %v (retrying)\n", st.Yellow("watch:"), err)
		},
	}, func(ins []registry.Instance) { p.Initial(opts.Service, ins) }, p.Event)
	return registry.ExitError(err)
}
