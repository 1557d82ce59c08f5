package cmdutil

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/registry"
)

// RegistryOpener returns a function that opens the registry selected by
// cmd's registry flags (AddRegistryFlags), the MSCTL_* environment and the
// context. It resolves nothing until called, so --help and flag completion
// never read the config or dial. A registry that cannot be opened (unknown
// kind, bad address) is a usage error.
//
// The adapters register themselves: the calling command package imports
// internal/registry/all.
func (f *Factory) RegistryOpener(cmd *cobra.Command) func() (registry.Registry, error) {
	return func() (registry.Registry, error) { return f.OpenRegistry(cmd.Flags(), nil) }
}

// OpenRegistry opens the registry of the settings fs, the MSCTL_*
// environment and the context resolve to, after edit (when not nil) has
// changed them: a command that reads two registries (registry diff) sets
// each one's kind and address. An error from edit is returned as it is; a
// registry that cannot be opened is a usage error.
func (f *Factory) OpenRegistry(fs *pflag.FlagSet, edit func(*config.Context) error) (registry.Registry, error) {
	r, err := f.Resolve(fs)
	if err != nil {
		return nil, err
	}
	c := r.Context
	if edit != nil {
		if err := edit(&c); err != nil {
			return nil, err
		}
	}
	reg, err := registry.Open(c)
	if err != nil {
		return nil, exitcode.UsageError(err, "")
	}
	return reg, nil
}

// completionTimeout bounds how long shell completion waits for a registry.
const completionTimeout = 2 * time.Second

// CompleteFromRegistry completes from the registry cmd's flags select:
// list gets that registry and a context that ends after two seconds.
// Any error gives no completions and prints nothing: completion must never
// print into the user's shell or hang it.
func (f *Factory) CompleteFromRegistry(cmd *cobra.Command, list func(context.Context, registry.Registry) ([]cobra.Completion, error)) ([]cobra.Completion, cobra.ShellCompDirective) {
	r, err := f.Resolve(cmd.Flags())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	reg, err := registry.Open(r.Context)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	out, err := list(ctx, reg)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// CompleteServices completes a service name as the first maxArgs
// arguments, each described by describe, through CompleteFromRegistry.
func (f *Factory) CompleteServices(maxArgs int, describe func(registry.Service) string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= maxArgs {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f.CompleteFromRegistry(cmd, func(ctx context.Context, reg registry.Registry) ([]cobra.Completion, error) {
			svcs, err := reg.Services(ctx, registry.Query{})
			if err != nil {
				return nil, err
			}
			var out []cobra.Completion
			for _, s := range svcs {
				out = append(out, cobra.CompletionWithDesc(s.Name, describe(s)))
			}
			return out, nil
		})
	}
}
