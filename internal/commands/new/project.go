package new

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/scaffold"
)

// ProjectOptions are the flags every template set's command shares
// (msctl new service, msctl new gateway): where the project goes, where
// the answers come from, and how the plan is carried out.
type ProjectOptions struct {
	// Set records which answers came from flags, so that they override an
	// --answers file or the lock.
	Set         map[string]bool
	AnswersFile string
	Dir         string
	Templates   string
	DryRun      bool
	Diff        bool
	Force       bool
	Upgrade     bool
	Output      string
	// Interactive asks the questions in a form (a terminal and no flags).
	Interactive bool
}

// addProjectFlags adds the flags of ProjectOptions to cmd.
func addProjectFlags(cmd *cobra.Command, p *ProjectOptions) {
	fl := cmd.Flags()
	fl.StringVar(&p.Dir, "dir", "", "project folder (default ./NAME)")
	fl.StringVar(&p.AnswersFile, "answers", "", "YAML file with the answers")
	fl.StringVar(&p.Templates, "templates", "", "folder overriding the embedded templates (config: templates)")
	fl.BoolVar(&p.DryRun, "dry-run", false, "print the plan; write nothing")
	fl.BoolVar(&p.Diff, "diff", false, "with --dry-run, print unified diffs")
	fl.BoolVar(&p.Force, "force", false, "overwrite msctl-owned files you edited")
	fl.BoolVar(&p.Upgrade, "upgrade", false, "re-render with the answers recorded in .msctl.lock")
	cmdutil.AddOutputFlag(cmd, &p.Output)
	_ = cmd.MarkFlagFilename("answers", "yaml", "yml")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.MarkFlagDirname("templates")
}

// parse records what the command line says beyond the flags' values:
// which flags were given, the NAME argument (into name), the templates
// folder of the config when --templates is absent, and whether to ask in a
// form (a terminal, no arguments and no flags).
func (p *ProjectOptions) parse(f *cmdutil.Factory, ios *iostreams.IOStreams, cmd *cobra.Command, args []string, name *string) {
	p.Set = map[string]bool{}
	cmd.Flags().Visit(func(fl *pflag.Flag) { p.Set[fl.Name] = true })
	if len(args) == 1 {
		*name = args[0]
		p.Set["name"] = true
	}
	p.Templates = templatesOrConfig(f, p.Templates)
	p.Interactive = len(args) == 0 && cmd.Flags().NFlag() == 0 && ios.CanPrompt()
}

// templatesOrConfig is dir, or when it is empty the templates folder of
// the config; a config that cannot be read leaves the embedded templates.
func templatesOrConfig(f *cmdutil.Factory, dir string) string {
	if dir != "" {
		return dir
	}
	if cfg, _, err := f.Config(); err == nil && cfg != nil {
		return cfg.Templates
	}
	return ""
}

// start checks the flags every Run shares and parses -o.
func (p *ProjectOptions) start() (output.Format, error) {
	format, err := cmdutil.ParseOutput(p.Output)
	if err != nil {
		return "", err
	}
	if p.Diff && !p.DryRun {
		return "", exitcode.Usagef("--diff needs --dry-run")
	}
	return format, nil
}

// baseAnswers are the answers before the flags override them: from the
// lock with --upgrade, from --answers, from the form, or, when the project
// folder (dir, else NAME) was generated before, its recorded answers, so
// that only the flags given change anything. With --upgrade and no --dir,
// the folder NAME becomes p.Dir.
func baseAnswers[A any](p *ProjectOptions, name string, locked, load func(string) (A, error), ask func() (A, error)) (A, error) {
	var a A
	var err error
	dir := p.Dir
	if dir == "" && p.Set["name"] {
		dir = name
	}
	switch {
	case p.Upgrade:
		if dir == "" {
			return a, exitcode.Usagef("--upgrade needs --dir or NAME")
		}
		if a, err = locked(dir); err != nil {
			return a, inputErr(err)
		}
		if p.Dir == "" {
			p.Dir = dir
		}
	case p.AnswersFile != "":
		if a, err = load(p.AnswersFile); err != nil {
			return a, inputErr(err)
		}
	case p.Interactive:
		if a, err = ask(); err != nil {
			return a, err
		}
	case dir != "":
		if l, err := locked(dir); err == nil {
			a = l
		}
	}
	return a, nil
}

// carryOut prints the plan (and its diffs on a dry run with --diff) and
// writes it unless this is a dry run or it has conflicts (exit 1). It
// reports whether it wrote.
func (p *ProjectOptions) carryOut(ios *iostreams.IOStreams, format output.Format, plan *scaffold.Plan) (bool, error) {
	if err := writePlan(ios, format, plan, p.DryRun); err != nil {
		return false, err
	}
	if p.DryRun && p.Diff {
		if err := plan.Diff(ios.Out); err != nil {
			return false, err
		}
	}
	if len(plan.Conflicts()) > 0 {
		return false, conflictError(plan)
	}
	if p.DryRun {
		return false, nil
	}
	return true, plan.Apply()
}
