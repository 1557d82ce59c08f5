package new

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/scaffold/service"
	"github.com/msctl/msctl/templates"
)

func templatesFS() fs.FS { return templates.FS() }

// ServiceOptions are the parsed flags of `msctl new service`.
type ServiceOptions struct {
	IO      *iostreams.IOStreams
	Answers service.Answers
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
	// Interactive asks the questions in a form (a terminal and no flags);
	// Accessible asks them line by line ($ACCESSIBLE).
	Interactive bool
	Accessible  bool
}

func newServiceCmd(f *cmdutil.Factory, runF func(*ServiceOptions) error) *cobra.Command {
	opts := &ServiceOptions{IO: f.IOStreams}
	var protocols []string
	cmd := &cobra.Command{
		Use:   "service [NAME]",
		Short: "Scaffold a Go microservice, or update one msctl generated",
		Long: `Scaffold a Go microservice into DIR (default ./NAME): main with graceful
shutdown, configuration from flags and environment, slog logs, /healthz and
/readyz, Prometheus metrics, registration in the registry with a health
check (deregistered on shutdown), a discovery client with balancing,
timeouts, retries with backoff and jitter and a circuit breaker, a per-client
rate limiter answering 429 with RateLimit-Policy, RateLimit and Retry-After,
optional TLS/mTLS, tests, a Makefile, a Dockerfile, Kubernetes manifests, a
README, service.yaml and .msctl.lock.

Every question is a flag and a key of the --answers YAML file (name, module,
protocols, registry, broker, http_port, grpc_port, rate_limit, rate_burst).
On a terminal with no flags, msctl asks them in a form.

Running it again on a generated project starts from the answers recorded
in its .msctl.lock (flags change only what they name); --upgrade requires
that lock. It updates msctl's files, merges the marked insertion points, and never
touches files that became yours. A msctl-owned file you edited is a
conflict: msctl writes nothing, names each conflicting path and exits 1;
--force overwrites. Writes are all or nothing.

--dry-run prints the plan (create, update, conflict, unchanged) and writes
nothing; --diff adds unified diffs. -o json prints:
  {"dir", "set", "template_version", "dry_run", "conflicts",
   "files": [{"path", "owner", "action", "reason", "forced"}]}
where owner is generated, once or insert.

Exit codes: 0 written (or planned without conflicts), 1 conflicts, 2 bad
name, answer or template.`,
		Example: `  msctl new service orders --module example.com/shop/orders --protocol http
  msctl new service orders --dry-run --diff
  msctl new service --answers orders.yaml
  msctl new service --upgrade --dir ./orders`,
		Args:              cmdutil.RangeArgs(0, 1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Set = map[string]bool{}
			cmd.Flags().Visit(func(fl *pflag.Flag) { opts.Set[fl.Name] = true })
			if len(args) == 1 {
				opts.Answers.Name = args[0]
				opts.Set["name"] = true
			}
			if opts.Set["protocol"] {
				opts.Answers.Protocols = splitList(protocols)
			}
			if opts.Templates == "" {
				if cfg, _, err := f.Config(); err == nil && cfg != nil {
					opts.Templates = cfg.Templates
				}
			}
			opts.Interactive = len(args) == 0 && cmd.Flags().NFlag() == 0 && opts.IO.CanPrompt()
			opts.Accessible = f.Getenv("ACCESSIBLE") != ""
			if runF != nil {
				return runF(opts)
			}
			return RunService(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Answers.Module, "module", "", "Go module path (default example.com/NAME)")
	fl.StringSliceVar(&protocols, "protocol", nil, "protocols, comma separated: "+strings.Join(service.Names(service.Protocols), ","))
	fl.StringVar(&opts.Answers.Registry, "registry", "", "service registry: "+strings.Join(service.Names(service.Registries), "|")+" (default consul)")
	fl.StringVar(&opts.Answers.Broker, "broker", "", "message broker for the events protocol")
	fl.IntVar(&opts.Answers.HTTPPort, "http-port", 0, "HTTP port (default 8080)")
	fl.IntVar(&opts.Answers.GRPCPort, "grpc-port", 0, "gRPC port (default 9090)")
	fl.Float64Var(&opts.Answers.RateLimit, "rate-limit", 0, "requests per second per client (default 100)")
	fl.IntVar(&opts.Answers.RateBurst, "rate-burst", 0, "burst per client (default 50)")
	fl.StringVar(&opts.Dir, "dir", "", "project folder (default ./NAME)")
	fl.StringVar(&opts.AnswersFile, "answers", "", "YAML file with the answers")
	fl.StringVar(&opts.Templates, "templates", "", "folder overriding the embedded templates (config: templates)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan; write nothing")
	fl.BoolVar(&opts.Diff, "diff", false, "with --dry-run, print unified diffs")
	fl.BoolVar(&opts.Force, "force", false, "overwrite msctl-owned files you edited")
	fl.BoolVar(&opts.Upgrade, "upgrade", false, "re-render with the answers recorded in .msctl.lock")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	cmdutil.RegisterEnum(cmd, "protocol", service.Names(service.Protocols))
	cmdutil.RegisterEnum(cmd, "registry", service.Names(service.Registries))
	cmdutil.RegisterEnum(cmd, "broker", service.Names(service.Brokers))
	_ = cmd.MarkFlagFilename("answers", "yaml", "yml")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.MarkFlagDirname("templates")
	return cmd
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// RunService resolves the answers, plans, and writes unless --dry-run.
func RunService(opts *ServiceOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	if opts.Diff && !opts.DryRun {
		return exitcode.Usagef("--diff needs --dry-run")
	}
	a, err := resolveAnswers(opts)
	if err != nil {
		return err
	}
	dir := opts.Dir
	if dir == "" {
		dir = a.Name
	}
	plan, err := service.Plan(service.Options{Answers: a, Dir: dir, TemplatesDir: opts.Templates, Force: opts.Force, MsctlVersion: msctlVersion()})
	if err != nil {
		return inputErr(err)
	}
	if err := writePlan(opts.IO, format, plan, opts.DryRun); err != nil {
		return err
	}
	if opts.DryRun {
		if opts.Diff {
			if err := plan.Diff(opts.IO.Out); err != nil {
				return err
			}
		}
		if len(plan.Conflicts()) > 0 {
			return conflictError(plan)
		}
		return nil
	}
	if len(plan.Conflicts()) > 0 {
		return conflictError(plan)
	}
	if err := plan.Apply(); err != nil {
		return err
	}
	if format == output.FormatTable {
		c := plan.Counts()
		printf(opts.IO, "\n%s: %d created, %d updated, %d unchanged.\n", relDir(dir), c["create"], c["update"], c["unchanged"])
		if !plan.Existed() {
			printf(opts.IO, "Next:\n  cd %s && go test ./... && go run ./cmd/%s\n", relDir(dir), a.Name)
		}
	}
	if plan.Existed() {
		hintGoGet(opts.IO, dir, a)
	}
	return nil
}

// hintGoGet names the modules a newly added protocol needs: go.mod is the
// user's once created, so msctl says what to add rather than rewriting it.
func hintGoGet(ios *iostreams.IOStreams, dir string, a service.Answers) {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return
	}
	_ = a.Normalize()
	missing := service.MissingRequires(a, b)
	if len(missing) == 0 {
		return
	}
	args := make([]string, len(missing))
	for i, r := range missing {
		args[i] = r.Path + "@" + r.Version
	}
	printf(ios, "go.mod is yours and lacks what the new code imports; run:\n  cd %s && go get %s && go mod tidy\n", relDir(dir), strings.Join(args, " "))
}

func resolveAnswers(opts *ServiceOptions) (service.Answers, error) {
	var a service.Answers
	var err error
	dir := opts.Dir
	if dir == "" && opts.Set["name"] {
		dir = opts.Answers.Name
	}
	switch {
	case opts.Upgrade:
		if dir == "" {
			return a, exitcode.Usagef("--upgrade needs --dir or NAME")
		}
		if a, err = service.LockedAnswers(dir); err != nil {
			return a, inputErr(err)
		}
	case opts.AnswersFile != "":
		if a, err = service.LoadAnswersFile(opts.AnswersFile); err != nil {
			return a, inputErr(err)
		}
	case opts.Interactive:
		if a, err = askService(opts.IO, opts.Accessible); err != nil {
			return a, err
		}
	case dir != "":
		// Running again on a generated project: the recorded answers are
		// the defaults, so that only the flags given change anything.
		if locked, err := service.LockedAnswers(dir); err == nil {
			a = locked
		}
	}
	if opts.Dir == "" && dir != "" && opts.Upgrade {
		opts.Dir = dir
	}
	override(&a, opts.Answers, opts.Set)
	if a.Name == "" {
		return a, exitcode.UsageError(errNoName, "msctl new service NAME, --answers FILE, or run it on a terminal for a form")
	}
	return a, nil
}

// override copies the answers given as flags over a.
func override(a *service.Answers, flags service.Answers, set map[string]bool) {
	if set["name"] {
		a.Name = flags.Name
	}
	if set["module"] {
		a.Module = flags.Module
	}
	if set["protocol"] {
		a.Protocols = flags.Protocols
	}
	if set["registry"] {
		a.Registry = flags.Registry
	}
	if set["broker"] {
		a.Broker = flags.Broker
	}
	if set["http-port"] {
		a.HTTPPort = flags.HTTPPort
	}
	if set["grpc-port"] {
		a.GRPCPort = flags.GRPCPort
	}
	if set["rate-limit"] {
		a.RateLimit = flags.RateLimit
	}
	if set["rate-burst"] {
		a.RateBurst = flags.RateBurst
	}
}

func printf(ios *iostreams.IOStreams, format string, args ...any) {
	_, _ = fmt.Fprintf(ios.ErrOut, format, args...)
}

var errNoName = errors.New("no service name")
