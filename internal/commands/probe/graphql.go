package probe

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/probe"
)

// GraphQLOptions are the parsed flags of `msctl probe graphql`.
type GraphQLOptions struct {
	CommonOptions
	URL           string
	Query         string
	Variables     string
	OperationName string
	Introspect    bool
	Headers       []string
	TLS           probe.TLSOptions
}

// NewGraphQLCmd builds `msctl probe graphql`.
func NewGraphQLCmd(f *cmdutil.Factory, runF func(*GraphQLOptions) error) *cobra.Command {
	opts := &GraphQLOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "graphql URL (--query QUERY | --introspect)",
		Short: "Probe a GraphQL endpoint with a query or an introspection query",
		Long: `POST a GraphQL query as JSON and time it with the HTTP phases (dns, connect,
tls, server, transfer). A response with "errors" fails with class status,
as does an HTTP status of 400 or more; a response that is not GraphQL JSON
fails with class protocol. --introspect asks for the schema's root types
and type names instead, proving introspection is on (or off: a server
that refuses it answers with errors).

JSON "graphql" details: introspection, errors[], data_bytes, and with
--introspect query_type, mutation_type, subscription_type, types. The
"http" and "tls" details are those of probe http.

` + ResultSchemaHelp + `

` + ExitCodeHelp,
		Example: `  msctl probe graphql https://api.internal/graphql --query '{ health }'
  msctl probe graphql http://localhost:4000/graphql --query @query.graphql --variables '{"id": 7}'
  msctl probe graphql --introspect http://localhost:4000/graphql`,
		Args:              cmdutil.ExactArgs(1, "URL"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.URL = args[0]
			if runF != nil {
				return runF(opts)
			}
			return RunGraphQL(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Query, "query", "q", "", "GraphQL query: text, @FILE, or @- for stdin")
	fl.StringVar(&opts.Variables, "variables", "", "variables as a JSON object")
	fl.StringVar(&opts.OperationName, "operation-name", "", "operation to run when the query holds several")
	fl.BoolVar(&opts.Introspect, "introspect", false, "send an introspection query (schema root types and type names)")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "request header \"Name: value\" (repeatable)")
	addTLSFlags(cmd, &opts.TLS)
	addCommonFlags(cmd, &opts.CommonOptions)
	cmd.MarkFlagsMutuallyExclusive("query", "introspect")
	cmd.MarkFlagsOneRequired("query", "introspect")
	return cmd
}

// RunGraphQL probes the endpoint and prints the results.
func RunGraphQL(ctx context.Context, opts *GraphQLOptions) error {
	format, ro, expect, err := opts.runOptions()
	if err != nil {
		return err
	}
	o := probe.GraphQLOptions{
		HTTP:          probe.HTTPOptions{URL: opts.URL, Headers: opts.Headers, TLS: opts.TLS, ExpectStatus: expect},
		OperationName: opts.OperationName, Introspection: opts.Introspect,
	}
	if opts.Query != "" {
		q, err := readData(opts.IO, opts.Query)
		if err != nil {
			return err
		}
		o.Query = string(q)
	}
	if opts.Variables != "" {
		o.Variables = []byte(opts.Variables)
	}
	p, err := probe.NewGraphQL(o)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	defer p.Close()
	if opts.TLS.Insecure {
		warnInsecure(opts.IO)
	}
	return exit(probe.Report(ctx, opts.IO, format, p, ro))
}
