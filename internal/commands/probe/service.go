package probe

import (
	"context"
	"fmt"

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
	PortMeta    string
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

  auto   (default) what the registry declares as the instance's health
         check: GET of its HTTP check URL (Consul), else grpc.health.v1
         of its gRPC check's target and service (plaintext, as Consul's
         check, unless TLS flags are given), else a TCP connect to the
         registered port
  http   GET --scheme://ADDRESS:PORT--path, as probe http; without --path
         the path of the instance's HTTP check URL, else /; without
         --scheme the instance's "scheme" metadata, else http
  grpc   grpc.health.v1 Check of --grpc-service, as probe grpc health, at
         the port the --port-meta metadata names (default grpc_port, which
         msctl new registers), else the gRPC check's, else the registered
         port
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
		Example: `  msctl probe service orders
  msctl probe service web --path /healthz
  msctl probe service payments --protocol grpc --plaintext --grpc-service payments.v1.Payments
  msctl probe service redis --protocol tcp --registry consul://10.0.0.5:8500
  msctl probe service web --count 5 -o json | jq 'select(.ok | not) | .instance.id'`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: completeServices(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Service = args[0]
			opts.Open = f.RegistryOpener(cmd)
			if runF != nil {
				return runF(opts)
			}
			return RunService(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Protocol, "protocol", "auto", "how to probe each instance: auto (its registered health check), http, grpc or tcp")
	fl.StringVar(&opts.Path, "path", "", "HTTP path to request (--protocol http; default the HTTP check's path, else /)")
	fl.StringVar(&opts.Scheme, "scheme", "", "http or https (--protocol http; default the instance's scheme metadata, else http)")
	fl.StringVar(&opts.PortMeta, "port-meta", probe.DefaultPortMeta, "instance metadata key that names the gRPC port (--protocol grpc)")
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
// described by its number of instances.
func completeServices(f *cmdutil.Factory) cobra.CompletionFunc {
	return f.CompleteServices(1, func(s registry.Service) string {
		return fmt.Sprintf("%d instances", s.Instances)
	})
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
	if opts.Scheme != "" {
		if err := cmdutil.CheckEnum("scheme", opts.Scheme, []string{"http", "https"}); err != nil {
			return err
		}
	}
	if opts.Path != "" && opts.Protocol == "auto" {
		// --path only makes sense for HTTP: asking for it is asking for
		// HTTP probes.
		opts.Protocol = "http"
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
		PortMeta: opts.PortMeta,
		HTTP:     probe.HTTPOptions{Headers: opts.Headers, TLS: opts.TLS, ExpectStatus: expect},
		GRPC:     probe.GRPCOptions{Symbol: opts.GRPCService, Plaintext: opts.Plaintext, TLS: opts.TLS, ExpectStatus: expect},
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
