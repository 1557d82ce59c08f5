package probe

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/probe"
)

// ThriftOptions are the parsed flags of `msctl probe thrift`.
type ThriftOptions struct {
	CommonOptions
	Address   string
	Method    string
	Protocol  string
	Transport string
}

// NewThriftCmd builds `msctl probe thrift`.
func NewThriftCmd(f *cmdutil.Factory, runF func(*ThriftOptions) error) *cobra.Command {
	opts := &ThriftOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "thrift HOST:PORT --method NAME",
		Short: "Probe a Thrift service: call a method and read the reply",
		Long: `Connect to a Thrift server and call --method with empty arguments over the
chosen protocol (binary or compact) and transport (framed or buffered),
timing dns, connect and call. Any Thrift reply passes, even a
TApplicationException (an unknown method, missing required arguments):
it proves the server speaks Thrift with that protocol and transport.
--expect-status REPLY insists on a normal reply; a reply that does not
decode fails with class protocol (wrong --protocol or --transport, or not
Thrift at all).

JSON "thrift" details: protocol, transport, method, message_type (REPLY or
EXCEPTION), exception_type (UNKNOWN_METHOD...), exception_message.

` + ResultSchemaHelp + `

` + ExitCodeHelp,
		Example: `  msctl probe thrift --method ping localhost:9090
  msctl probe thrift --method getUser --protocol compact --transport buffered users:9090`,
		Args:              cmdutil.ExactArgs(1, "HOST:PORT"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Address = args[0]
			if runF != nil {
				return runF(opts)
			}
			return RunThrift(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Method, "method", "", "method to call (required; an unknown one still proves Thrift)")
	fl.StringVar(&opts.Protocol, "protocol", "binary", "protocol: binary or compact")
	fl.StringVar(&opts.Transport, "transport", "framed", "transport: framed or buffered")
	_ = cmd.MarkFlagRequired("method")
	cmdutil.RegisterEnum(cmd, "protocol", probe.ThriftProtocols)
	cmdutil.RegisterEnum(cmd, "transport", probe.ThriftTransports)
	addCommonFlags(cmd, &opts.CommonOptions)
	return cmd
}

// RunThrift probes the service and prints the results.
func RunThrift(ctx context.Context, opts *ThriftOptions) error {
	format, ro, expect, err := opts.runOptions()
	if err != nil {
		return err
	}
	if err := cmdutil.CheckEnum("protocol", opts.Protocol, probe.ThriftProtocols); err != nil {
		return err
	}
	if err := cmdutil.CheckEnum("transport", opts.Transport, probe.ThriftTransports); err != nil {
		return err
	}
	p, err := probe.NewThrift(probe.ThriftOptions{Address: opts.Address, Method: opts.Method, Protocol: opts.Protocol, Transport: opts.Transport, ExpectStatus: expect})
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	return exit(probe.Report(ctx, opts.IO, format, p, ro))
}
