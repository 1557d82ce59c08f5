// Package commands assembles msctl's command tree. Each command group lives
// in its own sub-package and only parses flags into an options struct
// before calling into an internal/<area> package.
package commands

import (
	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/buildinfo"
	"github.com/msctl/msctl/internal/cmdutil"
	compatcmd "github.com/msctl/msctl/internal/commands/compat"
	configcmd "github.com/msctl/msctl/internal/commands/config"
	deploycmd "github.com/msctl/msctl/internal/commands/deploy"
	loadtestcmd "github.com/msctl/msctl/internal/commands/loadtest"
	newcmd "github.com/msctl/msctl/internal/commands/new"
	probecmd "github.com/msctl/msctl/internal/commands/probe"
	ratelimitcmd "github.com/msctl/msctl/internal/commands/ratelimit"
	registrycmd "github.com/msctl/msctl/internal/commands/registry"
	versioncmd "github.com/msctl/msctl/internal/commands/version"
)

// ExitCodesHelp documents msctl's exit codes; it is part of `msctl --help`
// and of the README.
const ExitCodesHelp = `Exit codes:
  0    success
  1    a check found a problem (unhealthy, breaking change, limit not enforced)
  2    usage or input error (bad flag or argument, malformed file)
  3    a dependency could not be reached (registry, probe target)
  130  interrupted (Ctrl-C)
  64+N msctl probe grpc: the RPC failed with gRPC status code N (as grpcurl)`

// NewRoot builds the whole command tree, on every run: one tree answers
// help, completion, suggestions and every command alike. Nothing here reads
// files or dials anything: dependencies are built by the Factory on first
// use.
func NewRoot(f *cmdutil.Factory) *cobra.Command {
	root := newRoot(f)
	root.AddCommand(
		versioncmd.NewCmd(f, nil),
		configcmd.NewCmd(f),
		newcmd.NewCmd(f),
		probecmd.NewCmd(f),
		deploycmd.NewCmd(f),
		registrycmd.NewCmd(f),
		compatcmd.NewCmd(f, nil),
		loadtestcmd.NewCmd(f, nil),
		ratelimitcmd.NewCmd(f),
	)
	return root
}

// newRoot builds the root command with its flags.
func newRoot(f *cmdutil.Factory) *cobra.Command {
	info := buildinfo.Get()
	var noColor bool
	root := &cobra.Command{
		Use:   "msctl",
		Short: "One tool for the people who build and run microservices",
		Long: `msctl scaffolds services, inspects service registries, probes inter-service
calls, load-tests rate limits, plans deployments and gates API compatibility.

Configuration: --config, $MSCTL_CONFIG or $XDG_CONFIG_HOME/msctl/config.yaml,
with named contexts (see msctl config --help). Every data command takes
-o table|json|yaml; data goes to stdout, progress and diagnostics to stderr.

` + ExitCodesHelp,
		Version:       info.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Completion scripts and docs must not change with the build date.
		DisableAutoGenTag: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if noColor {
				f.IOStreams.SetColorDisabled(true)
			}
			return nil
		},
	}
	root.SetVersionTemplate(`msctl {{.Version}}` + "\n")
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetIn(f.IOStreams.In)

	pf := root.PersistentFlags()
	pf.StringVar(&f.ConfigFlag, "config", "", "configuration file (default $XDG_CONFIG_HOME/msctl/config.yaml; env MSCTL_CONFIG)")
	pf.StringVar(&f.ContextFlag, "context", "", "context to use from the configuration file (env MSCTL_CONTEXT)")
	pf.BoolVar(&noColor, "no-color", false, "disable colored output (NO_COLOR is respected too)")
	_ = root.MarkPersistentFlagFilename("config", "yaml", "yml")
	_ = root.RegisterFlagCompletionFunc("context", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, _, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cfg.ContextNames(), cobra.ShellCompDirectiveNoFileComp
	})

	return root
}
