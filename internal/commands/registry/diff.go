package registry

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/regdiff"
)

// DiffOptions are the parsed flags of `msctl registry diff`.
type DiffOptions struct {
	IO       *iostreams.IOStreams
	From, To string
	// OpenURL opens a registry from a URL with the other settings of the
	// resolved context (token, TLS, datacenter).
	OpenURL func(url string) (registry.Registry, error)
	Conn    Conn
	Output  string
	Ctx     context.Context
}

// NewDiffCmd builds `msctl registry diff --from URL --to URL`.
func NewDiffCmd(f *cmdutil.Factory, runF func(*DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "diff --from URL --to URL",
		Short: "Show what two registries disagree on (e.g. during a migration)",
		Long: `Compare every service of two registries: services only one of them has,
instances only one has (matched by address:port, since instance IDs differ
across registries) and instances serving in one but not the other
(passing/warning versus critical). The other registry settings (token, TLS,
datacenter) come from the context and flags and apply to both.

Exits 1 when the registries disagree, 0 when they agree.

JSON (-o json): {"from", "to", "services_compared",
  "differences": [{"service", "endpoint", "kind", "from", "to"}]}
kind: service-only-in-from, service-only-in-to, instance-only-in-from,
instance-only-in-to, health-differs.`,
		Example: `  msctl registry diff --from consul://10.0.0.1:8500 --to consul://10.1.0.1:8500
  msctl registry diff --from consul://127.0.0.1:8500 --to k8s://prod -o json`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return RunDiff(opts)
		},
	}
	addConn(f, cmd, &opts.Conn)
	cmd.Flags().StringVar(&opts.From, "from", "", "the first registry, as KIND://ADDRESS")
	cmd.Flags().StringVar(&opts.To, "to", "", "the second registry, as KIND://ADDRESS")
	cmdutil.RegisterEnum(cmd, "from", registry.URLSchemes())
	cmdutil.RegisterEnum(cmd, "to", registry.URLSchemes())
	opts.OpenURL = func(u string) (registry.Registry, error) {
		return f.OpenRegistry(cmd.Flags(), func(c *config.Context) error {
			kind, addr, ok := strings.Cut(u, "://")
			if !ok || kind == "" {
				return exitcode.Usagef("invalid registry URL %q: use KIND://ADDRESS, e.g. consul://127.0.0.1:8500", u)
			}
			c.Registry, c.Address = kind, addr
			return nil
		})
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunDiff reads both registries and prints the differences.
func RunDiff(opts *DiffOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	if opts.From == "" || opts.To == "" {
		return exitcode.Usagef("diff needs --from and --to, e.g. --from consul://10.0.0.1:8500 --to consul://10.1.0.1:8500")
	}
	from, err := opts.OpenURL(opts.From)
	if err != nil {
		return err
	}
	to, err := opts.OpenURL(opts.To)
	if err != nil {
		return err
	}
	// --timeout bounds each call to either registry, not the whole read:
	// a silent registry fails its first call within it.
	ctx := ctxOf(opts.Ctx)
	var a, b map[string][]registry.Instance
	var errA, errB error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a, errA = regdiff.Snapshot(ctx, from, opts.Conn.Timeout) }()
	go func() { defer wg.Done(); b, errB = regdiff.Snapshot(ctx, to, opts.Conn.Timeout) }()
	wg.Wait()
	if errA != nil {
		return registry.ExitError(errA)
	}
	if errB != nil {
		return registry.ExitError(errB)
	}
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	res := regdiff.Result{From: opts.From, To: opts.To, Services: len(names), Differences: regdiff.Compare(a, b)}
	err = output.Write(opts.IO, format, res, func() *output.Table {
		t := output.NewTable("service", "endpoint", "difference", "from", "to")
		for _, d := range res.Differences {
			t.AddRow(d.Service, dashIf(d.Endpoint), d.Kind, dashIf(d.From), dashIf(d.To))
		}
		return t
	})
	if err != nil {
		return err
	}
	if len(res.Differences) > 0 {
		return exitcode.WithCode(exitcode.CheckFailed)
	}
	if format == output.FormatTable {
		st := output.NewStderrStyle(opts.IO)
		_, _ = opts.IO.ErrOut.Write([]byte(st.Green("the registries agree") + " on " + strconv.Itoa(res.Services) + " service(s)\n"))
	}
	return nil
}

func dashIf(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
