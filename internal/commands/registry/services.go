package registry

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/inspect"
)

// ServicesOptions are the parsed flags of `msctl registry services`.
type ServicesOptions struct {
	IO     *iostreams.IOStreams
	Conn   Conn
	Tag    string
	Filter string
	Output string
	Ctx    context.Context
}

// NewServicesCmd builds `msctl registry services`.
func NewServicesCmd(f *cmdutil.Factory, runF func(*ServicesOptions) error) *cobra.Command {
	opts := &ServicesOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "services",
		Short: "List every service with instance counts by health, tags and versions",
		Long: `List every service in the registry with how many instances are passing,
warning and critical, the tags and the versions seen across its instances.

For Consul this takes a fixed number of requests whatever the number of
services (catalog services, every check, each node's services), not one per
service.

When the answer is empty because the registry's ACLs hid everything from
the token (Consul with default_policy deny and no token), a line on stderr
says so.

--tag keeps the instances carrying the tag (and the services that have any).
--filter passes a Consul filter expression to /v1/catalog/services, e.g.
'ServiceMeta.version == "2"' or 'ServiceTags contains "canary"'.

JSON (-o json): an array of
  {"name", "instances", "by_health": {"passing": N, "warning": N, "critical": N},
   "tags": [..], "versions": [..]}`,
		Example: `  msctl registry services
  msctl registry services --tag canary -o json | jq -r '.[].name'`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return RunServices(opts)
		},
	}
	addConn(f, cmd, &opts.Conn)
	cmd.Flags().StringVar(&opts.Tag, "tag", "", "only instances with this tag")
	cmd.Flags().StringVar(&opts.Filter, "filter", "", "registry filter expression (Consul: go-bexpr over catalog service nodes)")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunServices lists the services.
func RunServices(opts *ServicesOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	reg, ctx, cancel, err := opts.Conn.open(opts.Ctx, 1)
	if err != nil {
		return err
	}
	defer cancel()
	err = inspect.ListServices(ctx, opts.IO, reg, registry.Query{Tag: opts.Tag, Filter: opts.Filter}, format)
	return registry.ExitError(err)
}

func ctxOf(c context.Context) context.Context {
	if c == nil {
		return context.Background()
	}
	return c
}
