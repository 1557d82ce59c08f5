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
--registry/--address flags, as KIND://ADDRESS:

` + cmdutil.RegistryURLForms("  ") + `

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
	c.Open = f.RegistryOpener(cmd)
}

// open opens the registry and bounds parent by n times --timeout: n is 1
// for a command that makes one request, more for one that makes several.
// The caller must call cancel.
func (c Conn) open(parent context.Context, n int) (reg registry.Registry, ctx context.Context, cancel context.CancelFunc, err error) {
	reg, err = c.Open()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel = context.WithTimeout(ctxOf(parent), time.Duration(n)*c.Timeout)
	return reg, ctx, cancel, nil
}

// completeServices completes a service name from the configured registry,
// described by its instance counts by health.
func completeServices(f *cmdutil.Factory, maxArgs int) cobra.CompletionFunc {
	return f.CompleteServices(maxArgs, describe)
}

// completeInstances completes the instance IDs of service, as
// completeServices does for services.
func completeInstances(f *cmdutil.Factory, cmd *cobra.Command, service string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return f.CompleteFromRegistry(cmd, func(ctx context.Context, reg registry.Registry) ([]cobra.Completion, error) {
		ins, err := reg.Instances(ctx, service)
		if err != nil {
			return nil, err
		}
		var out []cobra.Completion
		for _, in := range ins {
			out = append(out, cobra.CompletionWithDesc(in.ID, fmt.Sprintf("%s:%d %s", in.Address, in.Port, in.Health)))
		}
		return out, nil
	})
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
