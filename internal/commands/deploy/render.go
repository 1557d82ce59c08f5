package deploy

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/deploy"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
)

// RenderOptions are the parsed flags of `msctl deploy render`.
type RenderOptions struct {
	IO         *iostreams.IOStreams
	Target     string
	Name       string
	Image      string
	Port       int32
	Prometheus string
	Gateway    string
	flags      specFlags
}

// NewRenderCmd builds `msctl deploy render`.
func NewRenderCmd(f *cmdutil.Factory, runF func(*RenderOptions) error) *cobra.Command {
	opts := &RenderOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write the plan as Kubernetes, Argo Rollouts or Flagger manifests",
		Long: `Render the rollout as manifests (multi-document YAML on stdout):

  k8s            Deployment (recreate or rolling update) and Service,
                 built with the k8s.io/api types
  argo-rollouts  Rollout (canary steps with setWeight, pause and analysis;
                 blue-green; A/B with setHeaderRoute; shadow with
                 setMirrorRoute), its Services and an AnalysisTemplate whose
                 Prometheus query fails at --error-threshold
  flagger        Deployment and Flagger Canary (stepWeights, blue-green
                 iterations, A/B match, mirroring)

The routing objects a router needs that msctl does not render (an Istio
VirtualService, an Ingress, an HTTPRoute, a Gateway, a TraefikService, an
ApisixRoute, an HTTPProxy) are listed on stderr, one line each, with what
they must contain.

A strategy a target cannot run (recreate on Argo Rollouts, a canary on a
plain Deployment) is a usage error that names the target to use.`,
		Example: `  msctl deploy render --target k8s --strategy rolling --replicas 6 --image ghcr.io/acme/orders:1.4.0
  msctl deploy render --target argo-rollouts --strategy canary --steps 5,25,50,100 --traffic-router istio
  msctl deploy render --target flagger --strategy ab --traffic-router nginx --match header:x-group=beta`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return RunRender(opts)
		},
	}
	opts.flags.bind(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&opts.Target, "target", deploy.TargetK8s, "manifest target: "+strings.Join(deploy.Targets, "|"))
	cmdutil.RegisterEnum(cmd, "target", deploy.Targets)
	fl.StringVar(&opts.Name, "name", "", "workload name (default: name in --from, else app)")
	fl.StringVar(&opts.Image, "image", "", "container image (default NAME:latest)")
	fl.Int32Var(&opts.Port, "port", 8080, "container port")
	fl.StringVar(&opts.Prometheus, "prometheus", "http://prometheus.monitoring:9090", "Prometheus address for Argo analysis")
	fl.StringVar(&opts.Gateway, "gateway", "gateway", "Gateway API Gateway (NAME or NAMESPACE/NAME) that Flagger's HTTPRoute attaches to, with --traffic-router gateway-api")
	return cmd
}

// RunRender prints the manifests.
func RunRender(opts *RenderOptions) error {
	if err := cmdutil.CheckEnum("target", opts.Target, deploy.Targets); err != nil {
		return err
	}
	spec, err := opts.flags.spec()
	if err != nil {
		return err
	}
	w := deploy.Workload{Port: opts.Port}
	if opts.flags.svc != nil {
		w = deploy.WorkloadFromService(opts.flags.svc)
	}
	w.Prometheus, w.Gateway = opts.Prometheus, opts.Gateway
	if opts.Name != "" {
		w.Name = opts.Name
	}
	if opts.Image != "" {
		w.Image = opts.Image
	}
	if opts.flags.fs.Changed("port") || w.Port == 0 {
		w.Port = opts.Port
	}
	if w.Name == "" {
		w.Name = spec.Name
	}
	if w.Name == "" {
		w.Name = "app"
	}
	if w.Image == "" {
		w.Image = w.Name + ":latest"
	}
	if w.Port <= 0 || w.Port > 65535 {
		return exitcode.Usagef("invalid --port %d", w.Port)
	}
	b, err := deploy.Render(spec, w, opts.Target)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	if _, err := opts.IO.Out.Write(b); err != nil {
		return err
	}
	// What the manifests refer to and do not contain goes to stderr, one
	// line each, so that piping stdout to kubectl apply stays clean and
	// the render does not look complete when it is not.
	for _, p := range deploy.ProvidedObjects(spec, w, opts.Target) {
		fmt.Fprintf(opts.IO.ErrOut, "msctl: not rendered, you provide %s\n", p)
	}
	return nil
}

// RecommendOptions are the parsed flags of `msctl deploy recommend`.
type RecommendOptions struct {
	IO          *iostreams.IOStreams
	Output      string
	Headroom    string
	Constraints deploy.Constraints
}

// NewRecommendCmd builds `msctl deploy recommend`.
func NewRecommendCmd(f *cmdutil.Factory, runF func(*RecommendOptions) error) *cobra.Command {
	opts := &RecommendOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "recommend",
		Short: "Recommend a strategy, its parameters and a deployment pattern for your constraints",
		Long: `Recommend a deployment strategy with parameters and the reasons, and a
deployment pattern (multiple instances per host, instance per virtual
machine, instance per container, serverless) with the trade-offs of each in
isolation, density, start-up time and cost.

The recommended spec can be planned as it is:
  msctl deploy recommend -o yaml | yq .spec > plan.yaml && msctl deploy plan --file plan.yaml

JSON: {"strategy", "spec": {...as in deploy plan...}, "reasons": [...],
  "pattern", "patterns": [{"name", "isolation", "density", "start_up", "cost", "when"}]}`,
		Example: `  msctl deploy recommend --risk high --traffic-router istio
  msctl deploy recommend --schema-change breaking --downtime-ok
  msctl deploy recommend --stateful --replicas 3 -o json`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return RunRecommend(opts)
		},
	}
	fl := cmd.Flags()
	c := &opts.Constraints
	fl.BoolVar(&c.Stateful, "stateful", false, "instances own state (volumes, leases, leader election)")
	fl.StringVar(&c.SchemaChange, "schema-change", "none", "schema change in this release: none|backward|breaking")
	fl.StringVar(&opts.Headroom, "capacity-headroom", "0", "spare capacity as pods or % of replicas, e.g. 20%")
	fl.BoolVar(&c.DowntimeOK, "downtime-ok", false, "a short outage is acceptable")
	fl.StringVar(&c.Risk, "risk", "medium", "risk of the change: low|medium|high")
	fl.StringVar(&c.TrafficRouter, "traffic-router", "none", "traffic router available: "+strings.Join(deploy.TrafficRouters, "|"))
	fl.IntVar(&c.Replicas, "replicas", 3, "desired replicas")
	cmdutil.RegisterEnum(cmd, "schema-change", []string{"none", "backward", "breaking"})
	cmdutil.RegisterEnum(cmd, "risk", []string{"low", "medium", "high"})
	cmdutil.RegisterEnum(cmd, "traffic-router", deploy.TrafficRouters)
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunRecommend prints the recommendation.
func RunRecommend(opts *RecommendOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	h, err := deploy.ParseIntOrPercent(opts.Headroom)
	if err != nil {
		return exitcode.Usagef("invalid --capacity-headroom: %v", err)
	}
	opts.Constraints.CapacityHeadroom = h
	r, err := deploy.Recommend(opts.Constraints)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	if format != output.FormatTable {
		return output.Write(opts.IO, format, r, nil)
	}
	st := output.NewStyle(opts.IO)
	w := opts.IO.Out
	fmt.Fprintf(w, "%s %s\n", st.Bold("Strategy:"), r.Strategy)
	fmt.Fprintf(w, "%s %s\n", st.Bold("Plan it:"), deploy.PlanCommand(r.Spec))
	fmt.Fprintln(w, st.Bold("Why:"))
	for _, why := range r.Reasons {
		fmt.Fprintf(w, "  - %s\n", why)
	}
	fmt.Fprintf(w, "\n%s %s\n", st.Bold("Deployment pattern:"), r.Pattern)
	t := output.NewTable("PATTERN", "ISOLATION", "DENSITY", "START-UP", "COST", "WHEN")
	t.NoStateColor = true
	for _, p := range r.Patterns {
		t.AddRow(p.Name, p.Isolation, p.Density, p.StartUp, p.Cost, p.When)
	}
	return t.Render(opts.IO)
}
