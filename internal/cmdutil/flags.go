package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
)

// AddOutputFlag adds -o/--output with table, json and yaml, completing its
// values. The chosen value is validated by ParseOutput in the command.
func AddOutputFlag(cmd *cobra.Command, target *string) {
	cmd.Flags().StringVarP(target, "output", "o", string(output.FormatTable),
		"output format: "+strings.Join(output.Formats, "|"))
	RegisterEnum(cmd, "output", output.Formats)
}

// ParseOutput validates an -o value as a usage error.
func ParseOutput(s string) (output.Format, error) {
	f, err := output.ParseFormat(s)
	if err != nil {
		return "", exitcode.UsageError(err, "")
	}
	return f, nil
}

// RegisterEnum makes a flag complete from a fixed set of values.
func RegisterEnum(cmd *cobra.Command, flag string, values []string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// CheckEnum returns a usage error unless value is one of allowed.
func CheckEnum(flag, value string, allowed []string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return exitcode.Usagef("invalid --%s %q: use one of %s", flag, value, strings.Join(allowed, ", "))
}

// RegistryFlagUsage is the help of a flag that takes a registry URL, from
// the registered kinds.
func RegistryFlagUsage() string {
	var schemes []string
	for _, k := range registry.AllKinds() {
		schemes = append(schemes, k.URLScheme()+"://")
	}
	// Backquotes name the flag's value in pflag's help.
	return "registry kind or `URL` KIND://ADDRESS: " + strings.Join(schemes, ", ") + " (msctl registry --help gives each address form)"
}

// RegistryURLForms lists every kind's URL form with its default, one per
// line, for help texts.
func RegistryURLForms(indent string) string {
	var b strings.Builder
	width := 0
	for _, k := range registry.AllKinds() {
		width = max(width, len(k.Title))
	}
	for _, k := range registry.AllKinds() {
		fmt.Fprintf(&b, "%s%-*s  %s", indent, width, k.Title, k.URLForm())
		if d := k.DefaultText(); d != "" {
			fmt.Fprintf(&b, " (default %s)", strings.ReplaceAll(d, "`", ""))
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// AddRegistryFlags adds the flags that override the selected context's
// registry settings. They are read by Factory.Resolve through the FlagSet,
// not through variables, so that the precedence rules live in one place.
func AddRegistryFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.String("registry", "", RegistryFlagUsage())
	fl.String("address", "", "registry address HOST:PORT (overrides the context)")
	fl.String("datacenter", "", "Consul datacenter")
	fl.String("namespace", "", "registry namespace (Consul Enterprise, Nacos, Kubernetes)")
	fl.String("partition", "", "Consul admin partition")
	fl.String("token", "", "registry ACL token (prefer --token-file or MSCTL_TOKEN: flags show up in process lists)")
	fl.String("token-file", "", "file holding the registry ACL token")
	fl.String("ca-file", "", "CA bundle to verify the registry's TLS certificate")
	fl.String("client-cert", "", "client certificate for mTLS to the registry")
	fl.String("client-key", "", "client key for mTLS to the registry")
	fl.Bool("tls-skip-verify", false, "do not verify the registry's TLS certificate (insecure)")
	RegisterEnum(cmd, "registry", registry.URLSchemes())
	for _, name := range []string{"ca-file", "client-cert", "client-key", "token-file"} {
		_ = cmd.MarkFlagFilename(name)
	}
}

// NoArgs rejects positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if cmd.HasSubCommands() {
			return UnknownSubcommand(cmd, args[0])
		}
		return exitcode.Usagef("%q takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// UnknownSubcommand is the usage error for an argument of a command group
// that names none of its subcommands, with the nearest one when there is
// one (cobra's own suggestions reach only the top level).
func UnknownSubcommand(cmd *cobra.Command, arg string) error {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	msg := fmt.Sprintf("unknown command %q for %q", arg, cmd.CommandPath())
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		msg += fmt.Sprintf(": did you mean %q?", s[0])
	}
	return exitcode.UsageError(errors.New(msg), fmt.Sprintf("see `%s --help`", cmd.CommandPath()))
}

// ExactArgs requires n arguments; names describes them for the message.
func ExactArgs(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			what := fmt.Sprintf("%d argument(s)", n)
			if len(names) > 0 {
				what = strings.Join(names, " ")
			}
			return exitcode.UsageError(
				fmt.Errorf("%q needs %s, got %d argument(s)", cmd.CommandPath(), what, len(args)),
				fmt.Sprintf("see `%s --help`", cmd.CommandPath()))
		}
		return nil
	}
}

// RangeArgs requires between min and max arguments.
func RangeArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return exitcode.UsageError(
				fmt.Errorf("%q takes %d to %d arguments, got %d", cmd.CommandPath(), min, max, len(args)),
				fmt.Sprintf("see `%s --help`", cmd.CommandPath()))
		}
		return nil
	}
}
