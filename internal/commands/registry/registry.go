// Package registry implements `msctl registry`: services, instances, watch,
// doctor, register, deregister and diff over any registry adapter.
package registry

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/registry"
	_ "github.com/msctl/msctl/internal/registry/all" // every adapter
)

// NewCmd builds the `msctl registry` group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Inspect, watch, diagnose and repair service registries",
		Long: `Inspect and diagnose service discovery in Consul (and every other registry
adapter msctl knows) from one place.

The registry comes from the selected context, MSCTL_* variables or the
--registry/--address flags (consul://HOST:PORT and friends).

Exit codes: 0 ok; 1 a problem was found (doctor findings at or above
--fail-on, a service that is not registered); 2 bad usage or credentials
refused by the registry (ACL token); 3 registry unreachable within --timeout;
130 interrupted.`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.AddCommand(
		NewServicesCmd(f, nil),
		NewInstancesCmd(f, nil),
		NewWatchCmd(f, nil),
		NewDoctorCmd(f, nil),
		NewRegisterCmd(f, nil),
		NewDeregisterCmd(f, nil),
		NewDiffCmd(f, nil),
	)
	return cmd
}

// Conn is what a registry command needs to reach the registry: the opener
// is called only when the command runs, so --help and completion of flags
// never dial.
type Conn struct {
	Open    func() (registry.Registry, error)
	Timeout time.Duration
}

// addConn adds the registry flags and --timeout, and sets up c.Open.
func addConn(f *cmdutil.Factory, cmd *cobra.Command, c *Conn) {
	cmdutil.AddRegistryFlags(cmd)
	cmd.Flags().DurationVar(&c.Timeout, "timeout", 5*time.Second, "give up on an unresponsive registry after this long")
	c.Open = func() (registry.Registry, error) {
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
}

// completeServices completes a service name from the configured registry.
// It gives up after two seconds and stays silent on any error: completion
// must never print into the user's shell or hang it.
func completeServices(f *cmdutil.Factory, maxArgs int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= maxArgs {
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
			out = append(out, cobra.CompletionWithDesc(s.Name, describe(s)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeInstances completes the instance IDs of service, as
// completeServices does for services.
func completeInstances(f *cmdutil.Factory, cmd *cobra.Command, service string) ([]cobra.Completion, cobra.ShellCompDirective) {
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
	ins, err := reg.Instances(ctx, service)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, in := range ins {
		out = append(out, cobra.CompletionWithDesc(in.ID, fmt.Sprintf("%s:%d %s", in.Address, in.Port, in.Health)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func describe(s registry.Service) string {
	d := ""
	for _, h := range []registry.Health{registry.Passing, registry.Warning, registry.Critical} {
		if n := s.ByHealth[h]; n > 0 {
			if d != "" {
				d += ", "
			}
			d += strconv.Itoa(n) + " " + string(h)
		}
	}
	if d == "" {
		d = "no instances"
	}
	return d
}
