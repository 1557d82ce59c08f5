package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/probe"
	"github.com/msctl/msctl/internal/registry"
	_ "github.com/msctl/msctl/internal/registry/all" // every adapter
)

// ServiceOptions are the parsed flags of `msctl probe service`.
type ServiceOptions struct {
	CommonOptions
	Service     string
	Protocol    string
	Path        string
	Scheme      string
	GRPCService string
	Plaintext   bool
	Headers     []string
	Parallel    int
	TLS         probe.TLSOptions
	// Open opens the registry from the flags, environment and context.
	Open func() (registry.Registry, error)
}

// NewServiceCmd builds `msctl probe service`.
func NewServiceCmd(f *cmdutil.Factory, runF func(*ServiceOptions) error) *cobra.Command {
	opts := &ServiceOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "service NAME",
		Short: "Probe every registered instance of a service and show which one fails, and where",
		Long: `Resolve every instance of NAME through the service registry (the context's,
or --registry/--address), then probe each one directly at its registered
address and port (up to --parallel at a time) with --protocol:

  http   GET --scheme://ADDRESS:PORT--path (default http, /), as probe http
  grpc   grpc.health.v1 Check of --grpc-service, as probe grpc health
  tcp    a TCP connect, as probe tcp

The table puts the registry's view of each instance (passing, critical)
next to what the probes found, and for a failing instance the phase that
failed and the error class, so a load balancer's "some requests fail"
becomes "web-3 refuses connections". -o json streams one result per probe
(NDJSON) with an "instance" object: id, service, node, address, port,
registry_health.

Exit codes: as every probe (0 all passed, 1 a check failed, 3 an instance
was unreachable); a registry that cannot be reached exits 3, an unknown
service 1.`,
		Example: `  msctl probe service web --path /healthz
  msctl probe service payments --protocol grpc --plaintext --grpc-service payments.v1.Payments
  msctl probe service redis --protocol tcp --registry consul://10.0.0.5:8500
  msctl probe service web --count 5 -o json | jq 'select(.ok | not) | .instance.id'`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: completeServices(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Service = args[0]
			opts.Open = func() (registry.Registry, error) {
				r, err := f.Resolve(cmd.Flags())
				if err != nil {
					return nil, err
				}
				reg, err := registry.Open(r.Context)
				if err != nil {
					return nil, exitcode.UsageError(err, "")
				}
				return reg, nil
			}
			if runF != nil {
				return runF(opts)
			}
			return RunService(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Protocol, "protocol", "http", "how to probe each instance: http, grpc or tcp")
	fl.StringVar(&opts.Path, "path", "/", "HTTP path to request (--protocol http)")
	fl.StringVar(&opts.Scheme, "scheme", "http", "http or https (--protocol http)")
	fl.StringVar(&opts.GRPCService, "grpc-service", "", "service name for the gRPC health check (default the server's overall health)")
	fl.BoolVar(&opts.Plaintext, "plaintext", false, "gRPC without TLS (--protocol grpc)")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "HTTP request header \"Name: value\" (repeatable)")
	fl.IntVar(&opts.Parallel, "parallel", 8, "instances probed at once")
	cmdutil.RegisterEnum(cmd, "protocol", probe.ServiceProtocols)
	cmdutil.RegisterEnum(cmd, "scheme", []string{"http", "https"})
	cmdutil.AddRegistryFlags(cmd)
	addTLSFlags(cmd, &opts.TLS)
	addCommonFlags(cmd, &opts.CommonOptions)
	return cmd
}

// completeServices completes a service name from the configured registry,
// giving up after two seconds and staying silent on any error: completion
// must never print into the user's shell or hang it.
func completeServices(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		r, err := f.Resolve(cmd.Flags())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		reg, err := registry.Open(r.Context)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		svcs, err := reg.Services(ctx, registry.Query{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, s := range svcs {
			out = append(out, cobra.CompletionWithDesc(s.Name, fmt.Sprintf("%d instances", s.Instances)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// RunService probes every instance and prints the results.
func RunService(ctx context.Context, opts *ServiceOptions) error {
	format, ro, expect, err := opts.runOptions()
	if err != nil {
		return err
	}
	if err := cmdutil.CheckEnum("protocol", opts.Protocol, probe.ServiceProtocols); err != nil {
		return err
	}
	if err := cmdutil.CheckEnum("scheme", opts.Scheme, []string{"http", "https"}); err != nil {
		return err
	}
	if opts.Parallel < 1 {
		return exitcode.Usagef("invalid --parallel %d: must be at least 1", opts.Parallel)
	}
	reg, err := opts.Open()
	if err != nil {
		return err
	}
	so := probe.ServiceOptions{
		Service: opts.Service, Protocol: opts.Protocol, Path: opts.Path, Scheme: opts.Scheme, Parallel: opts.Parallel,
		HTTP: probe.HTTPOptions{Headers: opts.Headers, TLS: opts.TLS, ExpectStatus: expect},
		GRPC: probe.GRPCOptions{Symbol: opts.GRPCService, Plaintext: opts.Plaintext, TLS: opts.TLS, ExpectStatus: expect},
	}
	if opts.TLS.Insecure {
		warnInsecure(opts.IO)
	}
	first := true
	switch format {
	case output.FormatJSON:
		ro.OnResult = func(r *probe.Result) error { return output.WriteJSONLine(opts.IO.Out, r) }
	case output.FormatYAML:
		ro.OnResult = func(r *probe.Result) error {
			if !first {
				fmt.Fprintln(opts.IO.Out, "---")
			}
			first = false
			return output.WriteYAML(opts.IO.Out, r)
		}
	}
	rs, err := probe.ProbeService(ctx, reg, so, ro)
	if err != nil {
		return registry.ExitError(err)
	}
	if format == output.FormatTable {
		if err := probe.ServiceTable(rs).Render(opts.IO); err != nil {
			return err
		}
	}
	return exit(probe.ServiceExitCode(rs), nil)
}
