// Package new implements `msctl new`: scaffolding of services from the
// embedded template sets (see internal/scaffold).
package new

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/buildinfo"
	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/scaffold"
	"github.com/msctl/msctl/internal/scaffold/service"
)

// ListOptions are the parsed flags of `msctl new --list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Output string
}

// NewCmd builds `msctl new` and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	lo := &ListOptions{IO: f.IOStreams}
	var list bool
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Scaffold a service that builds, passes its tests and registers itself",
		Long: `Scaffold a new project from msctl's embedded templates, or update one that
msctl generated before without losing your edits.

  msctl new --list                       protocols, registries, brokers and options
  msctl new service NAME --protocol http
  msctl new gateway NAME --route /orders=orders --route /users=users

--list -o json prints an array of {"kind", "name", "description"} where kind
is set, protocol, registry, broker or option.`,
		Example: `  msctl new --list
  msctl new service orders --module example.com/shop/orders --protocol http`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !list {
				return exitcode.UsageError(errors.New("name what to create"), "see `msctl new --help`, or `msctl new --list`")
			}
			return RunList(lo)
		},
	}
	cmd.Flags().BoolVar(&list, "list", false, "list protocols, registries, brokers and options")
	cmdutil.AddOutputFlag(cmd, &lo.Output)
	cmd.AddCommand(newServiceCmd(f, nil), newGatewayCmd(f, nil))
	return cmd
}

// RunList prints what `msctl new` can generate.
func RunList(opts *ListOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	sets, err := scaffold.ListSets(templatesFS())
	if err != nil {
		return err
	}
	var rows []service.Option
	for _, s := range sets {
		rows = append(rows, service.Option{Kind: "set", Name: s.Name, Description: fmt.Sprintf("%s (templates v%d)", s.Description, s.Version)})
	}
	for _, group := range [][]service.Option{service.Protocols, service.Registries, service.Brokers, service.Settings} {
		rows = append(rows, group...)
	}
	return output.Write(opts.IO, format, rows, func() *output.Table {
		t := output.NewTable("kind", "name", "description")
		for _, r := range rows {
			t.AddRow(r.Kind, r.Name, r.Description)
		}
		return t
	})
}

// planReport is the JSON document of a run.
type planReport struct {
	*scaffold.Plan
	DryRun    bool `json:"dry_run"`
	Conflicts int  `json:"conflicts"`
}

// writePlan prints the plan as a table or a document. The table of a real
// run lists what changed; a dry run lists every file.
func writePlan(ios *iostreams.IOStreams, format output.Format, p *scaffold.Plan, dryRun bool) error {
	rep := planReport{Plan: p, DryRun: dryRun, Conflicts: len(p.Conflicts())}
	return output.Write(ios, format, rep, func() *output.Table {
		t := output.NewTable("action", "path", "owner", "reason")
		for _, c := range p.Changes {
			if !dryRun && c.Action == scaffold.ActionUnchanged {
				// After a real run the summary counts these.
				continue
			}
			action := string(c.Action)
			if c.Forced {
				action = "overwrite"
			}
			t.AddRow(action, c.Path, string(c.Owner), c.Reason)
		}
		return t
	})
}

// conflictError is exit 1 naming every conflicting path.
func conflictError(p *scaffold.Plan) error {
	var paths []string
	for _, c := range p.Conflicts() {
		paths = append(paths, fmt.Sprintf("%s (%s)", c.Path, c.Reason))
	}
	return &exitcode.Error{Code: exitcode.CheckFailed,
		Err:  fmt.Errorf("%d conflict(s), nothing written: %s", len(paths), strings.Join(paths, ", ")),
		Hint: "keep your edits outside msctl-owned files, or pass --force to overwrite them"}
}

// inputErr maps library input errors to exit 2.
func inputErr(err error) error {
	var ie *service.InputError
	if errors.As(err, &ie) {
		return exitcode.UsageError(err, "")
	}
	if strings.HasPrefix(err.Error(), "template ") || strings.Contains(err.Error(), "symbolic link") {
		return exitcode.UsageError(err, "")
	}
	return err
}

func relDir(dir string) string {
	if filepath.IsAbs(dir) {
		return dir
	}
	return "./" + filepath.ToSlash(filepath.Clean(dir))
}

func msctlVersion() string { return buildinfo.Get().Version }
