package registry

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/repair"
)

// RegisterOptions are the parsed flags of `msctl registry register`.
type RegisterOptions struct {
	IO              *iostreams.IOStreams
	Conn            Conn
	Reg             registry.Registration
	Meta            []string
	CheckHTTP       string
	CheckTCP        string
	CheckGRPC       string
	CheckTTL        string
	CheckInterval   string
	DeregisterAfter string
	DryRun          bool
	Yes             bool
	Output          string
	Ctx             context.Context
}

const writeHelp = `
Before writing, msctl names the exact API call (method, URL, body) on
stderr. --dry-run stops there. On a terminal it asks for confirmation;
without one it refuses unless --yes is given. Declining exits 2.

JSON (-o json): {"action", "service", "id", "call": {"method", "url", "body"}, "done"}`

// NewRegisterCmd builds `msctl registry register SERVICE`.
func NewRegisterCmd(f *cmdutil.Factory, runF func(*RegisterOptions) error) *cobra.Command {
	opts := &RegisterOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "register SERVICE --host HOST --port PORT",
		Short: "Register an instance by hand (manual repair)",
		Long: `Register an instance of SERVICE with the registry (Consul: with the agent
msctl talks to, PUT /v1/agent/service/register, so the agent owns it and
runs its checks). At most one check: --check-http URL, --check-tcp
HOST:PORT, --check-grpc HOST:PORT[/SERVICE] or --check-ttl DURATION.
` + writeHelp,
		Example: `  msctl registry register web --id web-9 --address 10.0.0.9 --port 8080 --tag v2 --check-http http://10.0.0.9:8080/healthz --dry-run
  msctl registry register web --id web-9 --address 10.0.0.9 --port 8080 --yes`,
		Args:              cmdutil.ExactArgs(1, "SERVICE"),
		ValidArgsFunction: completeServices(f, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Reg.Service = args[0]
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return RunRegister(opts)
		},
	}
	addConn(f, cmd, &opts.Conn)
	fl := cmd.Flags()
	fl.StringVar(&opts.Reg.ID, "id", "", "instance ID (default SERVICE-ADDRESS-PORT)")
	fl.StringVar(&opts.Reg.Address, "host", "", "the instance's address (IP or host name)")
	fl.IntVar(&opts.Reg.Port, "port", 0, "the instance's port")
	fl.StringArrayVar(&opts.Reg.Tags, "tag", nil, "tag (repeatable)")
	fl.StringArrayVar(&opts.Meta, "meta", nil, "metadata KEY=VALUE (repeatable)")
	fl.StringVar(&opts.CheckHTTP, "check-http", "", "HTTP health check URL")
	fl.StringVar(&opts.CheckTCP, "check-tcp", "", "TCP health check HOST:PORT")
	fl.StringVar(&opts.CheckGRPC, "check-grpc", "", "gRPC health check HOST:PORT[/SERVICE]")
	fl.StringVar(&opts.CheckTTL, "check-ttl", "", "TTL check: the instance must report within this duration")
	fl.StringVar(&opts.CheckInterval, "check-interval", "10s", "interval of an HTTP, TCP or gRPC check")
	fl.StringVar(&opts.DeregisterAfter, "deregister-after", "", "remove the instance after its check is critical this long")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the API call and stop")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunRegister validates the flags and registers.
func RunRegister(opts *RegisterOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	r := opts.Reg
	if r.Address == "" || r.Port <= 0 || r.Port > 65535 {
		return exitcode.Usagef("register needs --host and --port (1-65535)")
	}
	if r.ID == "" {
		r.ID = r.Service + "-" + strings.ReplaceAll(r.Address, ":", "_") + "-" + strconv.Itoa(r.Port)
	}
	for _, kv := range opts.Meta {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return exitcode.Usagef("invalid --meta %q: use KEY=VALUE", kv)
		}
		if r.Meta == nil {
			r.Meta = map[string]string{}
		}
		r.Meta[k] = v
	}
	var checks []registry.CheckSpec
	for _, c := range []struct{ kind, target string }{
		{"http", opts.CheckHTTP}, {"tcp", opts.CheckTCP}, {"grpc", opts.CheckGRPC}, {"ttl", opts.CheckTTL},
	} {
		if c.target == "" {
			continue
		}
		spec := registry.CheckSpec{Type: c.kind, Target: c.target, Interval: opts.CheckInterval, DeregisterAfter: opts.DeregisterAfter}
		if c.kind == "ttl" {
			if _, err := time.ParseDuration(c.target); err != nil {
				return exitcode.Usagef("invalid --check-ttl %q: use a duration such as 30s", c.target)
			}
			spec = registry.CheckSpec{Type: "ttl", TTL: c.target, DeregisterAfter: opts.DeregisterAfter}
		}
		checks = append(checks, spec)
	}
	if len(checks) > 1 {
		return exitcode.Usagef("give at most one of --check-http, --check-tcp, --check-grpc, --check-ttl")
	}
	r.Checks = checks
	reg, ctx, cancel, err := opts.Conn.open(opts.Ctx, 1)
	if err != nil {
		return err
	}
	defer cancel()
	return repair.Register(ctx, opts.IO, reg, r, repair.Options{DryRun: opts.DryRun, Yes: opts.Yes, Format: format})
}

// DeregisterOptions are the parsed flags of `msctl registry deregister`.
type DeregisterOptions struct {
	IO      *iostreams.IOStreams
	Conn    Conn
	Service string
	ID      string
	DryRun  bool
	Yes     bool
	Output  string
	Ctx     context.Context
}

// NewDeregisterCmd builds `msctl registry deregister SERVICE ID`.
func NewDeregisterCmd(f *cmdutil.Factory, runF func(*DeregisterOptions) error) *cobra.Command {
	opts := &DeregisterOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "deregister SERVICE ID",
		Short: "Deregister an instance by hand (manual repair)",
		Long: `Deregister the instance ID of SERVICE (Consul: PUT
/v1/agent/service/deregister/ID on the agent msctl talks to, which must be
the agent that owns the instance; an ID it does not own exits 1).
` + writeHelp,
		Example: `  msctl registry deregister web web-9 --dry-run
  msctl registry deregister web web-9 --yes`,
		Args: cmdutil.ExactArgs(2, "SERVICE", "ID"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return completeServices(f, 1)(cmd, args, toComplete)
			}
			return completeInstances(f, cmd, args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Service, opts.ID = args[0], args[1]
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return RunDeregister(opts)
		},
	}
	addConn(f, cmd, &opts.Conn)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the API call and stop")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunDeregister deregisters.
func RunDeregister(opts *DeregisterOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	reg, ctx, cancel, err := opts.Conn.open(opts.Ctx, 1)
	if err != nil {
		return err
	}
	defer cancel()
	return repair.Deregister(ctx, opts.IO, reg, opts.Service, opts.ID, repair.Options{DryRun: opts.DryRun, Yes: opts.Yes, Format: format})
}
