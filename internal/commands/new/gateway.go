package new

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/scaffold/gateway"
)

// GatewayOptions are the parsed flags of `msctl new gateway`.
type GatewayOptions struct {
	IO      *iostreams.IOStreams
	Answers gateway.Answers
	ProjectOptions
}

func newGatewayCmd(f *cmdutil.Factory, runF func(*GatewayOptions) error) *cobra.Command {
	opts := &GatewayOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "gateway NAME --route PREFIX=SERVICE ...",
		Short: "Scaffold an API gateway in front of the services, or update one msctl generated",
		Long: `Scaffold an API gateway into DIR (default ./NAME): the single entry point in
front of the services. The generated gateway routes requests by path prefix
to healthy instances found in the registry (Consul blocking queries, or
fixed -backend addresses), balancing round robin; authenticates them with
JWT (HMAC secret or RSA public key); limits each client's rate (429 with
RateLimit-Policy, RateLimit and Retry-After); caches GET responses
(respecting Cache-Control no-store, no-cache and private); masks a backend
failure with the cached response or a configured default response; and
answers composite routes by calling several backends concurrently and
merging their JSON. Like every generated service it has graceful shutdown,
flags and environment configuration, slog logs, /healthz and /readyz,
Prometheus metrics, registration in the registry, optional TLS/mTLS, tests,
a Makefile, a Dockerfile, Kubernetes manifests, a README and service.yaml
(kind: gateway).

Routes (--route, repeatable; at least one):
  PREFIX=SERVICE[/PATH]   /orders=orders sends /orders/v1/items to orders as
                          /v1/items; /api=api/v2 sends /api/x as /v2/x
Composite routes (--composite, repeatable):
  PATH=[KEY:]SERVICE/PATH,...   /dashboard=orders/v1/items,people:users/v1/users
                          answers {"orders": ..., "people": ...}
Both are defaults of the generated gateway; its -route, -composite flags
and ROUTES, COMPOSITES variables replace them at run time.

Every question is a flag and a key of the --answers YAML file (name,
module, registry, routes, composites, http_port, rate_limit, rate_burst).
On a terminal with no flags, msctl asks them in a form.
Re-running (or --upgrade, which reuses the answers in .msctl.lock) follows
the rules of msctl new service: msctl's files are updated, the marked
region of internal/server/routes.go is merged, files that became yours are
left alone, and an edited msctl-owned file is a conflict (exit 1) unless
--force.

--dry-run prints the plan and writes nothing; --diff adds unified diffs.
-o json prints the same document as msctl new service:
  {"dir", "set", "template_version", "dry_run", "conflicts",
   "files": [{"path", "owner", "action", "reason", "forced"}]}

Exit codes: 0 written (or planned without conflicts), 1 conflicts, 2 bad
name, route, answer or template.`,
		Example: `  msctl new gateway edge --route /orders=orders --route /users=users
  msctl new gateway edge --route /orders=orders --composite /dashboard=orders/v1/items,users/v1/users
  msctl new gateway edge --route /orders=orders --dry-run --diff
  msctl new gateway --upgrade --dir ./edge`,
		Args:              cmdutil.RangeArgs(0, 1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.parse(f, opts.IO, cmd, args, &opts.Answers.Name)
			if runF != nil {
				return runF(opts)
			}
			return RunGateway(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Answers.Routes, "route", nil, "route PREFIX=SERVICE[/PATH], repeatable")
	fl.StringArrayVar(&opts.Answers.Composites, "composite", nil, "composite route PATH=[KEY:]SERVICE/PATH,..., repeatable")
	fl.StringVar(&opts.Answers.Module, "module", "", "Go module path (default example.com/NAME)")
	fl.StringVar(&opts.Answers.Registry, "registry", "", "service registry: consul|none (default consul)")
	fl.IntVar(&opts.Answers.HTTPPort, "http-port", 0, "HTTP port (default 8080)")
	fl.Float64Var(&opts.Answers.RateLimit, "rate-limit", 0, "requests per second per client (default 100)")
	fl.IntVar(&opts.Answers.RateBurst, "rate-burst", 0, "burst per client (default 50)")
	addProjectFlags(cmd, &opts.ProjectOptions)
	cmdutil.RegisterEnum(cmd, "registry", gateway.Registries)
	_ = cmd.RegisterFlagCompletionFunc("route", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("composite", cobra.NoFileCompletions)
	return cmd
}

// RunGateway resolves the answers, plans, and writes unless --dry-run.
func RunGateway(opts *GatewayOptions) error {
	format, err := opts.start()
	if err != nil {
		return err
	}
	a, err := resolveGatewayAnswers(opts)
	if err != nil {
		return err
	}
	dir := opts.Dir
	if dir == "" {
		dir = a.Name
	}
	plan, err := gateway.Plan(gateway.Options{Answers: a, Dir: dir, TemplatesDir: opts.Templates, Force: opts.Force, MsctlVersion: msctlVersion()})
	if err != nil {
		return inputErr(err)
	}
	if wrote, err := opts.carryOut(opts.IO, format, plan); err != nil || !wrote {
		return err
	}
	if format == output.FormatTable {
		c := plan.Counts()
		printf(opts.IO, "\n%s: %d created, %d updated, %d unchanged. Next:\n  cd %s && go test ./... && JWT_HMAC_KEY=... go run ./cmd/%s\n",
			relDir(dir), c["create"], c["update"], c["unchanged"], relDir(dir), a.Name)
	}
	return nil
}

func resolveGatewayAnswers(opts *GatewayOptions) (gateway.Answers, error) {
	a, err := baseAnswers(&opts.ProjectOptions, opts.Answers.Name, gateway.LockedAnswers, gateway.LoadAnswersFile,
		func() (gateway.Answers, error) { return askGateway(opts.IO) })
	if err != nil {
		return a, err
	}
	f, set := opts.Answers, opts.Set
	if set["name"] {
		a.Name = f.Name
	}
	if set["module"] {
		a.Module = f.Module
	}
	if set["registry"] {
		a.Registry = f.Registry
	}
	if set["route"] {
		a.Routes = f.Routes
	}
	if set["composite"] {
		a.Composites = f.Composites
	}
	if set["http-port"] {
		a.HTTPPort = f.HTTPPort
	}
	if set["rate-limit"] {
		a.RateLimit = f.RateLimit
	}
	if set["rate-burst"] {
		a.RateBurst = f.RateBurst
	}
	if a.Name == "" {
		return a, exitcode.UsageError(errors.New("no gateway name"), "msctl new gateway NAME --route PREFIX=SERVICE, --answers FILE, or run it on a terminal for a form")
	}
	return a, nil
}
