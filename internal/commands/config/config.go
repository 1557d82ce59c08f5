// Package config implements `msctl config`: viewing and editing the
// configuration file and its named contexts.
package config

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	msconfig "github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/output"
)

// NewCmd builds `msctl config` and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "View and edit msctl's configuration and contexts",
		Long: `View and edit msctl's configuration file and its named contexts.

The file is --config, else $MSCTL_CONFIG, else $XDG_CONFIG_HOME/msctl/config.yaml.
A context names a registry (kind and address), its datacenter, namespace and
partition, a token or token file, and TLS settings. A setting's value comes
from, highest first: a flag, an MSCTL_* environment variable (MSCTL_ADDRESS,
MSCTL_TOKEN, ...), the selected context, and the default.

Tokens are never printed in full.`,
		Example: `  msctl config set contexts.local.registry consul
  msctl config set contexts.local.address 127.0.0.1:8500
  msctl config use-context local
  msctl config view --resolved`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.AddCommand(newViewCmd(f, nil), newGetContextsCmd(f, nil), newCurrentContextCmd(f),
		newUseContextCmd(f), newSetCmd(f))
	return cmd
}

// ViewOptions are the parsed flags of `msctl config view`.
type ViewOptions struct {
	Factory  *cmdutil.Factory
	Output   string
	Resolved bool
	cmd      *cobra.Command
}

func newViewCmd(f *cmdutil.Factory, runF func(*ViewOptions) error) *cobra.Command {
	opts := &ViewOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Show the configuration file, or the resolved settings with --resolved",
		Example: `  msctl config view
  msctl config view --resolved --registry consul://10.0.0.5:8500
  msctl config view -o json`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.cmd = cmd
			if runF != nil {
				return runF(opts)
			}
			return runView(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "output format: table|json|yaml (default yaml, table with --resolved)")
	cmdutil.RegisterEnum(cmd, "output", output.Formats)
	cmd.Flags().BoolVar(&opts.Resolved, "resolved", false, "show the settings in effect and where each came from")
	cmdutil.AddRegistryFlags(cmd)
	return cmd
}

// ResolvedView is the JSON/YAML schema of `msctl config view --resolved`.
type ResolvedView struct {
	ConfigFile string                     `json:"config_file"`
	Context    string                     `json:"context"`
	Settings   msconfig.Context           `json:"settings"`
	Sources    map[string]msconfig.Source `json:"sources"`
}

func runView(opts *ViewOptions) error {
	if opts.Output == "" && !opts.Resolved {
		opts.Output = string(output.FormatYAML)
	}
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	f := opts.Factory
	ios := f.IOStreams
	if opts.Resolved {
		r, err := f.Resolve(opts.cmd.Flags())
		if err != nil {
			return err
		}
		view := ResolvedView{ConfigFile: r.Path, Context: r.ContextName, Settings: r.Context.Redacted(), Sources: r.Sources}
		return output.Write(ios, format, view, func() *output.Table {
			t := output.NewTable("setting", "value", "source")
			for _, k := range msconfig.ContextKeys {
				v, _ := view.Settings.Get(k)
				if k == "insecure" && !view.Settings.Insecure {
					v = ""
				}
				if v == "" && view.Sources[k] == msconfig.SourceUnset {
					continue
				}
				t.AddRow(k, v, string(view.Sources[k]))
			}
			return t
		})
	}
	cfg, _, err := f.Config()
	if err != nil {
		return err
	}
	red := cfg.Redacted()
	return output.Write(ios, format, red, func() *output.Table {
		return contextsTable(red, msconfig.SelectContext(cfg, f.ContextFlag))
	})
}

func contextsTable(cfg *msconfig.File, current string) *output.Table {
	t := output.NewTable("current", "name", "registry", "address", "datacenter", "namespace", "auth", "tls")
	for _, name := range cfg.ContextNames() {
		c := cfg.Contexts[name]
		mark := ""
		if name == current {
			mark = "*"
		}
		auth := "none"
		switch {
		case c.Token != "":
			auth = "token"
		case c.TokenFile != "":
			auth = "token-file"
		}
		tls := "off"
		switch {
		case c.Insecure:
			tls = "insecure"
		case c.CertFile != "":
			tls = "mtls"
		case c.CAFile != "":
			tls = "ca"
		}
		t.AddRow(mark, name, c.Registry, c.Address, c.Datacenter, c.Namespace, auth, tls)
	}
	return t
}

// GetContextsOptions are the parsed flags of `msctl config get-contexts`.
type GetContextsOptions struct {
	Factory *cmdutil.Factory
	Output  string
}

// ContextEntry is one element of `msctl config get-contexts -o json`.
type ContextEntry struct {
	Name    string           `json:"name"`
	Current bool             `json:"current"`
	Context msconfig.Context `json:"context"`
}

func newGetContextsCmd(f *cmdutil.Factory, runF func(*GetContextsOptions) error) *cobra.Command {
	opts := &GetContextsOptions{Factory: f}
	cmd := &cobra.Command{
		Use:               "get-contexts",
		Short:             "List the contexts in the configuration file",
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runGetContexts(opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func runGetContexts(opts *GetContextsOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	cfg, _, err := opts.Factory.Config()
	if err != nil {
		return err
	}
	current := msconfig.SelectContext(cfg, opts.Factory.ContextFlag)
	red := cfg.Redacted()
	entries := []ContextEntry{}
	for _, name := range red.ContextNames() {
		entries = append(entries, ContextEntry{Name: name, Current: name == current, Context: *red.Contexts[name]})
	}
	return output.Write(opts.Factory.IOStreams, format, entries, func() *output.Table {
		return contextsTable(red, current)
	})
}

func newCurrentContextCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "current-context",
		Short:             "Print the name of the context in use",
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := f.Config()
			if err != nil {
				return err
			}
			name := msconfig.SelectContext(cfg, f.ContextFlag)
			if name == "" {
				return exitcode.UsageError(fmt.Errorf("no current context is set in %s", f.ConfigPath()),
					"choose one with `msctl config use-context NAME`")
			}
			_, err = fmt.Fprintln(f.IOStreams.Out, name)
			return err
		},
	}
}

// completeContexts completes context names from the local configuration
// file; it never touches the network.
func completeContexts(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, _, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, n := range cfg.ContextNames() {
			c := cfg.Contexts[n]
			out = append(out, cobra.CompletionWithDesc(n, strings.TrimSpace(c.Registry+" "+c.Address)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func newUseContextCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "use-context NAME",
		Short:             "Make NAME the current context",
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: completeContexts(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := f.Config()
			if err != nil {
				return err
			}
			if _, ok := cfg.Contexts[args[0]]; !ok {
				known := "none defined"
				if names := cfg.ContextNames(); len(names) > 0 {
					known = strings.Join(names, ", ")
				}
				return exitcode.UsageError(fmt.Errorf("no context named %q in %s (known: %s)", args[0], f.ConfigPath(), known),
					"create it with `msctl config set contexts."+args[0]+".address HOST:PORT`")
			}
			if err := msconfig.SetValue(f.ConfigPath(), "current_context", args[0]); err != nil {
				return exitcode.UsageError(err, "")
			}
			_, err = fmt.Fprintf(f.IOStreams.ErrOut, "Switched to context %q.\n", args[0])
			return err
		},
	}
}

func newSetCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Set a value in the configuration file, keeping its comments",
		Long: `Set a value in the configuration file. KEY is current_context, templates,
or contexts.NAME.SETTING where SETTING is one of:
  ` + strings.Join(msconfig.ContextKeys, ", ") + `

The file and its folder are created when missing; the file is written
atomically and readable only by you, since it may hold tokens.`,
		Example: `  msctl config set contexts.prod.registry consul
  msctl config set contexts.prod.address consul.internal:8501
  msctl config set contexts.prod.token_file ~/.consul-token
  msctl config set contexts.prod.ca_file /etc/ssl/consul-ca.pem`,
		Args: cmdutil.ExactArgs(2, "KEY", "VALUE"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) != 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			out := []cobra.Completion{"current_context", "templates"}
			cfg, _, err := f.Config()
			if err == nil {
				for _, n := range cfg.ContextNames() {
					for _, k := range msconfig.ContextKeys {
						out = append(out, "contexts."+n+"."+k)
					}
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// No f.Config() here: set may create the file that --config or
			// MSCTL_CONFIG names, and SetValue reports a malformed one.
			if err := msconfig.SetValue(f.ConfigPath(), args[0], args[1]); err != nil {
				return exitcode.UsageError(err, "")
			}
			shown := args[1]
			if strings.HasSuffix(args[0], ".token") {
				shown = msconfig.Redact(shown)
			}
			_, err := fmt.Fprintf(f.IOStreams.ErrOut, "Set %s to %q in %s.\n", args[0], shown, f.ConfigPath())
			return err
		},
	}
}
