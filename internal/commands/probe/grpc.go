package probe

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/probe"
)

// GRPCOptions are the parsed flags of `msctl probe grpc`.
type GRPCOptions struct {
	CommonOptions
	Address, Verb, Symbol string
	Data                  string
	Plaintext             bool
	TLS                   probe.TLSOptions
	Authority             string
	MaxTime               float64
	ConnectTimeout        float64
	Headers, RPCHeaders   []string
	ReflectHeaders        []string
	Protos, ImportPaths   []string
	Protosets             []string
	EmitDefaults          bool
	Watch                 bool
}

// NewGRPCCmd builds `msctl probe grpc`.
func NewGRPCCmd(f *cmdutil.Factory, runF func(*GRPCOptions) error) *cobra.Command {
	opts := &GRPCOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "grpc ADDR [list [SERVICE] | describe [SYMBOL] | invoke SERVICE/METHOD | health [SERVICE]]",
		Short: "Probe a gRPC server: health, list, describe and invoke (grpcurl's library)",
		Long: `Dial a gRPC server (timing dns, connect and tls) and run one verb (phase
"rpc"), through github.com/fullstorydev/grpcurl's library:

  health [SERVICE]         grpc.health.v1 Check (the default verb), or Watch
                           with --watch: each probe waits for the next status
  list [SERVICE]           services, or a service's methods
  describe [SYMBOL]        a service, method, message or enum in proto form
  invoke SERVICE/METHOD    call with the JSON request in -d: one message, or
                           several (concatenated) for client and bidi streams

Descriptors come from server reflection (v1, falling back to v1alpha), or
from --proto files (with --import-path) or --protoset files. Flags are named
as grpcurl names them. For list, describe and invoke, stdout is exactly what
grpcurl prints and the timing line goes to stderr; -o json gives one result
per probe whose grpc.output holds that text.

JSON "grpc" details: verb, symbol, code (OK, NOT_FOUND...), message,
services[] (list), health_status (health), responses (invoke), output.

Exit codes: 0 ok; 3 the server could not be reached (dns, connect, tls,
timeout); an RPC that ends with gRPC status N exits 64+N, as grpcurl does;
1 anything else (no reflection, unknown symbol, not a gRPC server).
health follows grpc_health_probe where msctl's conventions allow:
  status                   msctl   grpc_health_probe
  SERVING                  0       0
  NOT_SERVING, UNKNOWN     4       4
  connection failure       3       2 (msctl's 2 means a usage error)
  RPC failure (code N)     64+N    3 (msctl's 3 means unreachable)
  invalid arguments        2       1

` + ResultSchemaHelp,
		Example: `  msctl probe grpc --plaintext localhost:50051
  msctl probe grpc --plaintext localhost:50051 health orders.v1.Orders
  msctl probe grpc --cacert ca.pem orders:443 list
  msctl probe grpc --plaintext localhost:50051 describe orders.v1.Orders
  msctl probe grpc --plaintext -d '{"id": 7}' localhost:50051 invoke orders.v1.Orders/Get
  msctl probe grpc --plaintext --proto orders.proto --import-path ./proto -d @req.json localhost:50051 invoke orders.v1.Orders/Get
  msctl probe grpc --plaintext --watch --count 10 --timeout 0 localhost:50051 health`,
		Args: cmdutil.RangeArgs(1, 3),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return probe.GRPCVerbs, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Address, opts.Verb = args[0], "health"
			if len(args) > 1 {
				opts.Verb = args[1]
			}
			if len(args) > 2 {
				opts.Symbol = args[2]
			}
			if cmd.Flags().Changed("max-time") {
				opts.Timeout = time.Duration(opts.MaxTime * float64(time.Second))
			}
			if runF != nil {
				return runF(opts)
			}
			return RunGRPC(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Data, "data", "d", "", "JSON request data: text, @FILE, or @- (or @) for stdin; several messages for streams")
	fl.BoolVar(&opts.Plaintext, "plaintext", false, "use plain-text HTTP/2 (no TLS)")
	fl.StringVar(&opts.Authority, "authority", "", "value of the :authority pseudo-header, also the TLS server name")
	fl.StringVar(&opts.TLS.ServerName, "servername", "", "TLS server name to verify, when not the address's host")
	fl.Float64Var(&opts.MaxTime, "max-time", 0, "seconds for each whole probe (grpcurl's name for --timeout)")
	fl.Float64Var(&opts.ConnectTimeout, "connect-timeout", 10, "seconds to wait for the connection")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "metadata \"name: value\" for every request (repeatable)")
	fl.StringArrayVar(&opts.RPCHeaders, "rpc-header", nil, "metadata for the RPC only, not reflection (repeatable)")
	fl.StringArrayVar(&opts.ReflectHeaders, "reflect-header", nil, "metadata for reflection requests only (repeatable)")
	fl.StringArrayVar(&opts.Protos, "proto", nil, "proto source file instead of reflection (repeatable)")
	fl.StringArrayVar(&opts.ImportPaths, "import-path", nil, "folder to resolve --proto imports in (repeatable)")
	fl.StringArrayVar(&opts.Protosets, "protoset", nil, "compiled FileDescriptorSet instead of reflection (repeatable)")
	fl.BoolVar(&opts.EmitDefaults, "emit-defaults", false, "print fields with default values in responses")
	fl.BoolVar(&opts.Watch, "watch", false, "health: use Watch; each probe reports the next status streamed")
	addTLSFlags(cmd, &opts.TLS)
	addCommonFlags(cmd, &opts.CommonOptions)
	_ = cmd.MarkFlagFilename("proto", "proto")
	_ = cmd.MarkFlagFilename("protoset")
	_ = cmd.MarkFlagDirname("import-path")
	return cmd
}

// RunGRPC probes the server and prints the results.
func RunGRPC(ctx context.Context, opts *GRPCOptions) error {
	format, ro, expect, err := opts.runOptions()
	if err != nil {
		return err
	}
	if opts.ConnectTimeout <= 0 {
		return exitcode.Usagef("invalid --connect-timeout %g: must be more than 0", opts.ConnectTimeout)
	}
	o := probe.GRPCOptions{
		Address: opts.Address, Verb: opts.Verb, Symbol: opts.Symbol,
		Plaintext: opts.Plaintext, TLS: opts.TLS, Authority: opts.Authority,
		ConnectTimeout: time.Duration(opts.ConnectTimeout * float64(time.Second)),
		Headers:        opts.Headers, RPCHeaders: opts.RPCHeaders, ReflectHeaders: opts.ReflectHeaders,
		ProtoFiles: opts.Protos, ImportPaths: opts.ImportPaths, Protosets: opts.Protosets,
		EmitDefaults: opts.EmitDefaults, Watch: opts.Watch, ExpectStatus: expect,
	}
	if opts.Data == "@" {
		opts.Data = "@-"
	}
	if opts.Data != "" {
		if o.Data, err = readData(opts.IO, opts.Data); err != nil {
			return err
		}
	}
	p, err := probe.NewGRPC(o)
	if err != nil {
		return exitcode.UsageError(err, "see `msctl probe grpc --help`")
	}
	defer p.Close()
	if opts.TLS.Insecure {
		warnInsecure(opts.IO)
	}
	return exit(probe.Report(ctx, opts.IO, format, p, ro))
}
