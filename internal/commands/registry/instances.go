package registry

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/inspect"
)

// InstancesOptions are the parsed flags of `msctl registry instances`.
type InstancesOptions struct {
	IO      *iostreams.IOStreams
	Conn    Conn
	Service string
	Output  string
	Ctx     context.Context
}

// NewInstancesCmd builds `msctl registry instances SERVICE`.
func NewInstancesCmd(f *cmdutil.Factory, runF func(*InstancesOptions) error) *cobra.Command {
	opts := &InstancesOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "instances SERVICE",
		Short: "Show each instance of a service with its checks and its node's gossip state",
		Long: `Show each instance of SERVICE: address and port, tags and metadata, its
health (the worst of its node's and its own checks, as Consul counts it),
each check with its output, lease or heartbeat deadline where the registry
has one, and the gossip state of its node (alive, leaving, left, failed).

A service the registry does not know exits 1.

JSON (-o json): an array of
  {"id", "service", "node", "address", "port", "tags", "meta", "version",
   "health", "node_state", "lease_ttl", "lease_remaining", "last_heartbeat",
   "source",
   "checks": [{"id", "name", "type", "status", "output", "definition"}]}
(durations in nanoseconds, times in RFC 3339).`,
		Example: `  msctl registry instances web
  msctl registry instances web -o json | jq '.[] | select(.health != "passing")'`,
		Args:              cmdutil.ExactArgs(1, "SERVICE"),
		ValidArgsFunction: completeServices(f, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Service = args[0]
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return RunInstances(opts)
		},
	}
	addConn(f, cmd, &opts.Conn)
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunInstances lists the instances of one service.
func RunInstances(opts *InstancesOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	reg, ctx, cancel, err := opts.Conn.open(opts.Ctx, 1)
	if err != nil {
		return err
	}
	defer cancel()
	return registry.ExitError(inspect.ListInstances(ctx, opts.IO, reg, opts.Service, format))
}
