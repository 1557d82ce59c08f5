// Package compat implements `msctl compat`: API compatibility gates for
// Protocol Buffers, OpenAPI and GraphQL with a semantic-version check.
package compat

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/compat"
	"github.com/msctl/msctl/internal/compat/check"
	"github.com/msctl/msctl/internal/compat/protocompat"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
)

// Options are the parsed flags shared by the compat commands.
type Options struct {
	IO *iostreams.IOStreams
	// Language is proto, openapi, graphql, or "" for every API in a
	// service.yaml.
	Language    string
	Target      string
	Against     string
	ImportPaths []string
	Category    string
	ConfigFile  string
	NoSemver    bool
	Version     string
	BaseVersion string
	Format      string
	Output      string
	ServiceFile string
	Now         func() time.Time
}

const jsonSchemaHelp = `
JSON output (-o json or --format json) is one object:
  {"ok": bool, "reports": [{
     "language": "proto|openapi|graphql", "target": "...", "baseline": "...",
     "findings": [{"rule": "FIELD_NO_DELETE", "severity": "breaking|dangerous|safe",
       "category": "FILE", "message": "...", "path": "orders.v1.Order.note",
       "location": {"file": "...", "line": 12, "column": 3},
       "baseline_location": {...}, "deprecated": bool,
       "suppression": {"rule", "reason", "expires"}}],
     "breaking": N, "dangerous": N, "safe": N,
     "semver": {"required_bump": "none|patch|minor|major", "declared_bump": "...",
       "old_version": "...", "new_version": "...", "source": "...", "ok": bool, "message": "..."},
     "ok": bool, "notes": ["..."]}]}
Rule IDs are stable; see docs/compat.md for the list.

Exit codes: 0 compatible (or breaking changes covered by a major version bump),
1 breaking changes without the major bump they need (or any breaking change with
--no-semver), 2 bad input (the parse error with file:line:column), 3 a URL
baseline could not be fetched.`

// NewCmd builds `msctl compat` and its subcommands.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "compat",
		Short: "Gate API changes: Protocol Buffers, OpenAPI and GraphQL, with semantic versions",
		Long: `Compare an API with its baseline and fail on changes that break clients.

With no subcommand, every API file that service.yaml lists (apis: kind/path) is
checked against the baseline (by default the merge-base with the default branch).

Baselines (--against): a file, a folder, an http(s) URL, or git:REV[:PATH]
(git:main, git:v1.4.0:api/orders.proto). Git baselines are read with git
cat-file without touching the work tree; shallow clones are deepened or the
missing revision fetched, and msctl says so on stderr.

Every finding is breaking, dangerous or safe. The bump the changes need (major
for breaking, minor for dangerous changes and additions) is compared with the
declared versions: the proto package's vN suffix, OpenAPI info.version, a
GraphQL @version directive or schema comment, --version/--baseline-version, or
git tags. A breaking change without a major bump fails and says which bump is
missing. --no-semver turns the gate off (then any breaking change fails).

Rules can be turned off and findings suppressed (with a reason and an optional
expiry date) in msctl-compat.yaml; allow_deprecated_removal: true there rates the
removal of deprecated elements dangerous instead of breaking.
` + jsonSchemaHelp,
		Example: `  msctl compat                                   # every API in ./service.yaml
  msctl compat proto api/ -I third_party --against git:main
  msctl compat openapi openapi.yaml --against git:v1.4.0 --format github-actions
  msctl compat graphql schema.graphql --against old.graphql -o json`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	addFlags(cmd, opts, false)
	cmd.Flags().StringVar(&opts.ServiceFile, "file", "service.yaml", "service file listing the APIs to check")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
	for _, lang := range []string{"proto", "openapi", "graphql"} {
		cmd.AddCommand(newLangCmd(f, lang, runF))
	}
	return cmd
}

func newLangCmd(f *cmdutil.Factory, lang string, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Language: lang}
	short := map[string]string{
		"proto":   "Check Protocol Buffers files or a folder for breaking changes (buf-compatible rules)",
		"openapi": "Check an OpenAPI 3.0 or 3.1 document for breaking changes",
		"graphql": "Check a GraphQL schema (file or folder) for breaking changes",
	}[lang]
	exts := map[string][]string{"proto": {"proto"}, "openapi": {"yaml", "yml", "json"}, "graphql": {"graphql", "graphqls", "gql"}}[lang]
	cmd := &cobra.Command{
		Use:   lang + " NEW",
		Short: short,
		Long:  short + ".\n\nSee `msctl compat --help` for baselines, semantic versions and suppressions.\n" + jsonSchemaHelp,
		Args:  cmdutil.ExactArgs(1, "NEW"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return exts, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	addFlags(cmd, opts, lang == "proto")
	return cmd
}

func addFlags(cmd *cobra.Command, opts *Options, proto bool) {
	fl := cmd.Flags()
	fl.StringVar(&opts.Against, "against", "", "baseline: FILE, FOLDER, URL or git:REV[:PATH] (default: merge-base with the default branch)")
	if proto || cmd.Name() == "compat" {
		fl.StringArrayVarP(&opts.ImportPaths, "import-path", "I", nil, "proto import folder (repeatable)")
		_ = cmd.MarkFlagDirname("import-path")
		fl.StringVar(&opts.Category, "category", "", "proto rule category: file (default), package, wire_json or wire")
		cmdutil.RegisterEnum(cmd, "category", protocompat.Categories)
	}
	fl.StringVar(&opts.ConfigFile, "compat-config", "", "rules and suppressions file (default ./"+compat.ConfigFileName+" when present)")
	_ = cmd.MarkFlagFilename("compat-config", "yaml", "yml")
	fl.BoolVar(&opts.NoSemver, "no-semver", false, "turn the semantic-version gate off: any breaking change fails")
	fl.StringVar(&opts.Version, "version", "", "the new API's version (overrides what the API declares)")
	fl.StringVar(&opts.BaseVersion, "baseline-version", "", "the baseline's version (overrides what it declares)")
	fl.StringVar(&opts.Format, "format", "", "output format: text, json, github-actions, junit or sarif (default text)")
	cmdutil.RegisterEnum(cmd, "format", compat.Formats)
	cmdutil.AddOutputFlag(cmd, &opts.Output)
}

// Run checks the APIs and prints the result.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	format, err := resolveFormat(opts)
	if err != nil {
		return err
	}
	cfgFile, explicit := opts.ConfigFile, opts.ConfigFile != ""
	if !explicit {
		cfgFile = compat.ConfigFileName
	}
	cfg, err := compat.LoadConfig(cfgFile, explicit)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	cat := opts.Category
	if cat == "" {
		cat = cfg.Category
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	base := check.Options{Target: opts.Target, Against: opts.Against, ImportPaths: opts.ImportPaths, Category: cat,
		Config: cfg, NoSemver: opts.NoSemver, Version: opts.Version, BaselineVersion: opts.BaseVersion, Now: now(), Stderr: opts.IO.ErrOut}
	var res *compat.Result
	if opts.Language == "" {
		res, err = check.Service(ctx, opts.ServiceFile, base)
	} else {
		var rep *compat.Report
		rep, err = check.Language(ctx, opts.Language, base)
		if rep != nil {
			res = &compat.Result{OK: rep.OK, Reports: []*compat.Report{rep}}
		}
	}
	if err != nil {
		return err
	}
	if format == "yaml" {
		err = output.WriteYAML(opts.IO.Out, res)
	} else {
		err = compat.Write(opts.IO.Out, format, res, output.NewStyle(opts.IO), check.Rules())
	}
	if err != nil {
		return err
	}
	if !res.OK {
		return exitcode.WithCode(exitcode.CheckFailed)
	}
	return nil
}

func resolveFormat(opts *Options) (string, error) {
	o, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return "", err
	}
	if opts.Format != "" {
		if err := cmdutil.CheckEnum("format", opts.Format, compat.Formats); err != nil {
			return "", err
		}
		if o != output.FormatTable && string(o) != opts.Format {
			return "", exitcode.Usagef("-o %s and --format %s disagree: use one", o, opts.Format)
		}
		return opts.Format, nil
	}
	switch o {
	case output.FormatJSON:
		return "json", nil
	case output.FormatYAML:
		return "yaml", nil
	}
	return "text", nil
}
