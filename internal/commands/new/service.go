package new

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

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
	ProjectOptions
	// Accessible asks the form's questions line by line ($ACCESSIBLE).
	Accessible bool
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
			opts.parse(f, opts.IO, cmd, args, &opts.Answers.Name)
			if opts.Set["protocol"] {
				opts.Answers.Protocols = splitList(protocols)
			}
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
	addProjectFlags(cmd, &opts.ProjectOptions)
	cmdutil.RegisterEnum(cmd, "protocol", service.Names(service.Protocols))
	cmdutil.RegisterEnum(cmd, "registry", service.Names(service.Registries))
	cmdutil.RegisterEnum(cmd, "broker", service.Names(service.Brokers))
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
	format, err := opts.start()
	if err != nil {
		return err
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
	if wrote, err := opts.carryOut(opts.IO, format, plan); err != nil || !wrote {
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
	a, err := baseAnswers(&opts.ProjectOptions, opts.Answers.Name, service.LockedAnswers, service.LoadAnswersFile,
		func() (service.Answers, error) { return askService(opts.IO, opts.Accessible) })
	if err != nil {
		return a, err
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
