package probe

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/probe"
)

// HTTPOptions are the parsed flags of `msctl probe http`.
type HTTPOptions struct {
	CommonOptions
	URL         string
	Method      string
	Headers     []string
	Data        string
	HTTP2       bool
	HTTP11      bool
	Location    bool
	MaxRedirs   int
	ShowHeaders []string
	TLS         probe.TLSOptions
}

// NewHTTPCmd builds `msctl probe http`.
func NewHTTPCmd(f *cmdutil.Factory, runF func(*HTTPOptions) error) *cobra.Command {
	opts := &HTTPOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "http URL",
		Short: "Probe an HTTP(S) endpoint: phases, status, TLS session and certificates",
		Long: `Send one HTTP request (or --count of them over a kept connection) and show
where the time went, as httpstat does: dns, connect, tls, server (request
sent until the first response byte) and transfer (the body). HTTPS results
also show the TLS version, cipher, ALPN protocol and the peer's certificate
chain with subjects, issuers and days to expiry.

TLS verification is on: use --cacert for a private CA, --cert/--key for
mTLS; --insecure turns verification off and says so on stderr. Redirects
are not followed unless --location is given; followed ones are counted.
HTTP/2 is used when the server offers it over TLS; --http2 insists on it
(prior knowledge, h2c, for http:// URLs) and --http1.1 never uses it.
A status of 400 or more fails unless --expect-status says otherwise.

JSON "http" details: method, url (after redirects), proto, status_code,
headers{name: value} (Content-Type, Content-Length, Location, Server and
--show-header names), body_bytes, redirects. "tls": version, cipher_suite,
alpn, server_name, resumed, verified, peer_chain[{subject, issuer,
dns_names, not_after, days_left}].

` + ResultSchemaHelp + `

` + ExitCodeHelp,
		Example: `  msctl probe http https://api.internal/healthz
  msctl probe http --count 20 --expect-status 200 --max-latency 200ms https://api.internal/
  msctl probe http -X POST -H 'Content-Type: application/json' -d @order.json https://orders/v1/orders
  msctl probe http --cacert ca.pem --cert client.pem --key client-key.pem https://payments:8443/
  msctl probe http -o json --count 5 http://localhost:8080/ | jq .phases`,
		Args:              cmdutil.ExactArgs(1, "URL"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.URL = args[0]
			if runF != nil {
				return runF(opts)
			}
			return RunHTTP(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Method, "request", "X", "", "request method (default GET, or POST with -d)")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "request header \"Name: value\" (repeatable)")
	fl.StringVarP(&opts.Data, "data", "d", "", "request body: text, @FILE, or @- for stdin")
	fl.BoolVar(&opts.HTTP2, "http2", false, "use HTTP/2 only (h2c with prior knowledge for http:// URLs)")
	fl.BoolVar(&opts.HTTP11, "http1.1", false, "use HTTP/1.1 only")
	fl.BoolVarP(&opts.Location, "location", "L", false, "follow redirects (counted in the result)")
	fl.IntVar(&opts.MaxRedirs, "max-redirs", 10, "most redirects followed with --location")
	fl.StringSliceVar(&opts.ShowHeaders, "show-header", nil, "response headers to show besides the defaults (repeatable)")
	addTLSFlags(cmd, &opts.TLS)
	addCommonFlags(cmd, &opts.CommonOptions)
	cmd.MarkFlagsMutuallyExclusive("http2", "http1.1")
	return cmd
}

func addTLSFlags(cmd *cobra.Command, o *probe.TLSOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.CACert, "cacert", "", "PEM file of CA certificates to verify the server with")
	fl.StringVar(&o.Cert, "cert", "", "PEM client certificate for mTLS (with --key)")
	fl.StringVar(&o.Key, "key", "", "PEM private key of --cert")
	fl.BoolVarP(&o.Insecure, "insecure", "k", false, "do not verify the server's certificate (insecure)")
	for _, n := range []string{"cacert", "cert", "key"} {
		_ = cmd.MarkFlagFilename(n)
	}
}

// RunHTTP probes the URL and prints the results.
func RunHTTP(ctx context.Context, opts *HTTPOptions) error {
	format, ro, expect, err := opts.runOptions()
	if err != nil {
		return err
	}
	ho := probe.HTTPOptions{
		URL: opts.URL, Method: opts.Method, Headers: opts.Headers,
		FollowRedirects: opts.Location, MaxRedirects: opts.MaxRedirs,
		TLS: opts.TLS, ExpectStatus: expect,
		ShowHeaders: append(append([]string(nil), probe.DefaultShowHeaders...), opts.ShowHeaders...),
	}
	switch {
	case opts.HTTP2:
		ho.Version = "2"
	case opts.HTTP11:
		ho.Version = "1.1"
	}
	if opts.Data != "" {
		if ho.Body, err = readData(opts.IO, opts.Data); err != nil {
			return err
		}
	}
	p, err := probe.NewHTTP(ho)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	defer p.Close()
	if opts.TLS.Insecure {
		warnInsecure(opts.IO)
	}
	return exit(probe.Report(ctx, opts.IO, format, p, ro))
}
