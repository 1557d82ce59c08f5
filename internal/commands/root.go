// Package commands assembles msctl's command tree. Each command group lives
// in its own sub-package and only parses flags into an options struct
// before calling into an internal/<area> package.
package commands

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/msctl/msctl/internal/buildinfo"
	"github.com/msctl/msctl/internal/cmdutil"
	compatcmd "github.com/msctl/msctl/internal/commands/compat"
	configcmd "github.com/msctl/msctl/internal/commands/config"
	deploycmd "github.com/msctl/msctl/internal/commands/deploy"
	docscmd "github.com/msctl/msctl/internal/commands/docs"
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

// group is a top-level command group that can stand in for itself: its name
// and summary are known without building it.
type group struct {
	use, short string
	build      func(*cmdutil.Factory) *cobra.Command
}

func lazyGroups() []group {
	return []group{
		{versioncmd.Use, versioncmd.Short, func(f *cmdutil.Factory) *cobra.Command { return versioncmd.NewCmd(f, nil) }},
		{configcmd.Use, configcmd.Short, configcmd.NewCmd},
		{newcmd.Use, newcmd.Short, newcmd.NewCmd},
		{probecmd.Use, probecmd.Short, probecmd.NewCmd},
		{deploycmd.Use, deploycmd.Short, deploycmd.NewCmd},
		{registrycmd.Use, registrycmd.Short, registrycmd.NewCmd},
		{compatcmd.Use, compatcmd.Short, func(f *cmdutil.Factory) *cobra.Command { return compatcmd.NewCmd(f, nil) }},
		{loadtestcmd.Use, loadtestcmd.Short, func(f *cmdutil.Factory) *cobra.Command { return loadtestcmd.NewCmd(f, nil) }},
		{ratelimitcmd.Use, ratelimitcmd.Short, ratelimitcmd.NewCmd},
	}
}

// ErrNeedFullTree is returned by a stand-in group when it is run: the
// arguments selected a group NewRootFor did not build. The caller runs the
// same arguments again on NewRoot's tree.
var ErrNeedFullTree = errors.New("msctl: internal: command group not built")

// NewRoot builds the whole command tree. Nothing here reads files or dials
// anything: dependencies are built by the Factory on first use.
func NewRoot(f *cmdutil.Factory) *cobra.Command {
	root := newRoot(f)
	addGroups(root, f, func(string) bool { return true })
	return root
}

// NewRootFor builds the tree running args needs: the group the arguments
// select in full, and every other group as a stand-in that has only its name
// and summary, enough for help and "did you mean". Defining every command's
// flags costs about a third of a millisecond, which --version, --help and
// each group would otherwise pay for all the others. Arguments that may
// need the whole tree (help, completion, docs, anything unrecognised) get it.
func NewRootFor(f *cmdutil.Factory, args []string) *cobra.Command {
	root := newRoot(f)
	name, ok := selectedGroup(args, root.PersistentFlags())
	addGroups(root, f, func(g string) bool { return !ok || g == name })
	return root
}

// selectedGroup finds the group args run: the first argument that is not a
// root flag or a root flag's value. ok is false when that argument is not a
// lazily built group; name is empty when there is no such argument.
func selectedGroup(args []string, rootFlags *pflag.FlagSet) (name string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return "", false
		}
		if flag, isFlag := strings.CutPrefix(a, "-"); isFlag && flag != "" {
			// --config FILE, --context NAME: the next argument is the value.
			if takesValue(rootFlags, flag) {
				i++
			}
			continue
		}
		for _, g := range lazyGroups() {
			if a == firstWord(g.use) {
				return a, true
			}
		}
		return "", false
	}
	return "", true
}

// takesValue says whether flag (the argument without its first dash) is one
// of rootFlags that reads its value from the next argument.
func takesValue(rootFlags *pflag.FlagSet, flag string) bool {
	if strings.Contains(flag, "=") {
		return false
	}
	var fl *pflag.Flag
	if long, ok := strings.CutPrefix(flag, "-"); ok {
		fl = rootFlags.Lookup(long)
	} else if len(flag) == 1 {
		fl = rootFlags.ShorthandLookup(flag)
	}
	return fl != nil && fl.NoOptDefVal == ""
}

func firstWord(use string) string {
	name, _, _ := strings.Cut(use, " ")
	return name
}

// newRoot builds the root command with its flags and the docs group, which
// always needs the whole tree.
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

	root.AddCommand(docscmd.NewCmd(f))
	return root
}

// addGroups adds every lazily built group: in full when build says so, else
// as a stand-in.
func addGroups(root *cobra.Command, f *cmdutil.Factory, build func(group string) bool) {
	for _, g := range lazyGroups() {
		if build(firstWord(g.use)) {
			root.AddCommand(g.build(f))
			continue
		}
		root.AddCommand(&cobra.Command{
			Use:                g.use,
			Short:              g.short,
			DisableFlagParsing: true,
			RunE:               func(*cobra.Command, []string) error { return ErrNeedFullTree },
		})
	}
}
