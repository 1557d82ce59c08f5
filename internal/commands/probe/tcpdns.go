package probe

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/probe"
)

// TCPOptions are the parsed flags of `msctl probe tcp`.
type TCPOptions struct {
	CommonOptions
	Address string
}

// NewTCPCmd builds `msctl probe tcp`.
func NewTCPCmd(f *cmdutil.Factory, runF func(*TCPOptions) error) *cobra.Command {
	opts := &TCPOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "tcp HOST:PORT",
		Short: "Probe a TCP port: name resolution and connect time",
		Long: `Resolve HOST and open a TCP connection to PORT (then close it): the dns and
connect phases alone. A refused connection fails fast in connect; a
filtered port fails with a timeout in connect.

` + ResultSchemaHelp + `

` + ExitCodeHelp,
		Example: `  msctl probe tcp db.internal:5432
  msctl probe tcp --count 10 --interval 1s 10.0.3.7:6379`,
		Args:              cmdutil.ExactArgs(1, "HOST:PORT"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Address = args[0]
			if runF != nil {
				return runF(opts)
			}
			return RunTCP(cmd.Context(), opts)
		},
	}
	addCommonFlags(cmd, &opts.CommonOptions)
	return cmd
}

// RunTCP probes the address and prints the results.
func RunTCP(ctx context.Context, opts *TCPOptions) error {
	format, ro, _, err := opts.runOptions()
	if err != nil {
		return err
	}
	if opts.ExpectStatus != "" || opts.ExpectBody != "" {
		return exitcode.Usagef("probe tcp has no status or body: use --max-latency")
	}
	p, err := probe.NewTCP(opts.Address)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	return exit(probe.Report(ctx, opts.IO, format, p, ro))
}

// DNSOptions are the parsed flags of `msctl probe dns`.
type DNSOptions struct {
	CommonOptions
	Name   string
	Type   string
	Server string
	TCP    bool
}

// NewDNSCmd builds `msctl probe dns`.
func NewDNSCmd(f *cmdutil.Factory, runF func(*DNSOptions) error) *cobra.Command {
	opts := &DNSOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "dns NAME",
		Short: "Probe a DNS name: query time, rcode, answers (SRV for Consul and Kubernetes)",
		Long: `Ask a DNS server for NAME's records and time the exchange (phase "query").
SRV answers list each target with its port and the addresses the server
sent along, which is how Consul DNS (NAME.service.consul) and Kubernetes
(_PORT._tcp.SVC.NS.svc.cluster.local) announce instances.

A probe passes when the rcode is NOERROR and there is at least one answer;
--expect-status takes rcode names (NXDOMAIN, SERVFAIL) to expect others.
--expect-body matches the answers, one record per line.

JSON "dns" details: server, type, rcode, answers[] (records in zone-file
form), srv[{target, port, priority, weight, addresses[]}].

` + ResultSchemaHelp + `

` + ExitCodeHelp,
		Example: `  msctl probe dns api.internal
  msctl probe dns --type SRV --server 127.0.0.1:8600 web.service.consul
  msctl probe dns --type SRV _http._tcp.web.default.svc.cluster.local`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return RunDNS(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Type, "type", "t", "A", "record type: A, AAAA, SRV, CNAME, TXT, NS, MX")
	cmd.Flags().StringVar(&opts.Server, "server", "", "DNS server HOST[:PORT] (default: the first nameserver in /etc/resolv.conf)")
	cmd.Flags().BoolVar(&opts.TCP, "tcp", false, "query over TCP instead of UDP")
	cmdutil.RegisterEnum(cmd, "type", probe.DNSTypes)
	addCommonFlags(cmd, &opts.CommonOptions)
	return cmd
}

// RunDNS queries the name and prints the results.
func RunDNS(ctx context.Context, opts *DNSOptions) error {
	format, ro, expect, err := opts.runOptions()
	if err != nil {
		return err
	}
	p, err := probe.NewDNS(probe.DNSOptions{Name: opts.Name, Type: opts.Type, Server: opts.Server, TCP: opts.TCP, ExpectStatus: expect})
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	return exit(probe.Report(ctx, opts.IO, format, p, ro))
}
