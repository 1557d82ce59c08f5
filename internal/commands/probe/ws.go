package probe

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/probe"
)

// WSOptions are the parsed flags of `msctl probe ws`.
type WSOptions struct {
	CommonOptions
	URL          string
	Message      string
	Headers      []string
	Subprotocols []string
	NoPing       bool
	TLS          probe.TLSOptions
}

// NewWSCmd builds `msctl probe ws`.
func NewWSCmd(f *cmdutil.Factory, runF func(*WSOptions) error) *cobra.Command {
	opts := &WSOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "ws URL",
		Short: "Probe a WebSocket endpoint: upgrade, message round trip, ping, close",
		Long: `Open a WebSocket (ws:// or wss://) and time each step: dns, connect, tls,
upgrade (the HTTP request until 101 Switching Protocols), reply (--message
sent until the first message back, or until a message matches
--expect-body), ping (a ping frame until its pong) and close (the close
handshake). A new connection is opened for every probe.

JSON "ws" details: subprotocol, sent, received (the reply, first 1 KiB),
messages (read until the reply), close_code.

` + ResultSchemaHelp + `

` + ExitCodeHelp,
		Example: `  msctl probe ws ws://localhost:8080/echo --message hello
  msctl probe ws wss://stream.internal/feed --expect-body '"type":"ready"'
  msctl probe ws --subprotocol graphql-transport-ws wss://api.internal/graphql`,
		Args:              cmdutil.ExactArgs(1, "URL"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.URL = args[0]
			if runF != nil {
				return runF(opts)
			}
			return RunWS(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Message, "message", "m", "", "text message to send after the upgrade")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "handshake header \"Name: value\" (repeatable)")
	fl.StringArrayVar(&opts.Subprotocols, "subprotocol", nil, "subprotocol to offer (repeatable)")
	fl.BoolVar(&opts.NoPing, "no-ping", false, "skip the ping (for servers that do not answer pings)")
	addTLSFlags(cmd, &opts.TLS)
	addCommonFlags(cmd, &opts.CommonOptions)
	return cmd
}

// RunWS probes the endpoint and prints the results.
func RunWS(ctx context.Context, opts *WSOptions) error {
	format, ro, _, err := opts.runOptions()
	if err != nil {
		return err
	}
	if opts.ExpectStatus != "" {
		return exitcode.Usagef("probe ws has no --expect-status: a WebSocket upgrade is always 101")
	}
	p, err := probe.NewWS(probe.WSOptions{
		URL: opts.URL, Headers: opts.Headers, Subprotocols: opts.Subprotocols,
		Message: opts.Message, Expect: ro.ExpectBody, NoPing: opts.NoPing, TLS: opts.TLS,
	})
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	defer p.Close()
	if opts.TLS.Insecure {
		warnInsecure(opts.IO)
	}
	return exit(probe.Report(ctx, opts.IO, format, p, ro))
}
