// Package deploy implements `msctl deploy`: plan, simulate, lint, recommend
// and render deployment strategies. It only parses flags; the work is in
// internal/deploy.
package deploy

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/atomicfile"
	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/deploy"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
)

// NewCmd builds `msctl deploy` and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Plan, simulate, lint, recommend and render deployment strategies",
		Long: `Show a deployment before it runs: the replica counts, traffic shares,
capacity, cost, duration, gate evidence, blast radius and rollback of every
step of a recreate, rolling, blue-green, canary, A/B or shadow rollout, with
the arithmetic of the controllers that run them (the Kubernetes deployment
controller, Argo Rollouts).`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.AddCommand(NewPlanCmd(f, nil), NewSimulateCmd(f, nil), NewLintCmd(f, nil), NewRecommendCmd(f, nil), NewRenderCmd(f, nil))
	return cmd
}

// PlanOptions are the parsed flags of `msctl deploy plan`.
type PlanOptions struct {
	IO     *iostreams.IOStreams
	Output string
	SVG    string
	Chart  bool
	flags  specFlags
}

// NewPlanCmd builds `msctl deploy plan`.
func NewPlanCmd(f *cmdutil.Factory, runF func(*PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show every step of a rollout: replicas, traffic, capacity, cost, gates, rollback",
		Long: `Plan a rollout and print its steps.

For each step: old and new replicas (desired / at most / at least
available), the most pods and fewest available pods, the traffic share asked
for and the share the new version really gets (without a traffic router,
traffic follows ready pods, so a 15% canary weight on 10 replicas is 2 of 11
pods, 18.2%), serving capacity as a share of replicas, peak CPU and memory,
the step's expected duration, the requests the new version sees and whether
that is enough for an error-rate gate to judge (rule of three: 3/threshold
requests), the blast radius if the new version is bad, and the rollback
action with its time.

Rolling updates follow the deployment controller (max surge rounds up, max
unavailable rounds down, both zero is refused, and when both resolve to zero
unavailable becomes 1); canaries follow Argo Rollouts (replica-weighted
without a router: the closest achievable weight, ties to the larger canary).

Values come from the defaults, then --from service.yaml, then --file
plan.yaml, then flags. Findings of ` + "`msctl deploy lint`" + ` are listed under the table.

JSON (-o json; YAML has the same fields):
  {"spec": {...the inputs...},
   "fenceposts": {"max_surge_pods", "max_unavailable_pods", "max_pods", "min_available"},
   "steps": [{"step", "action", "old_replicas", "old_max", "old_min_available",
              "new_replicas", "new_max", "new_min_available", "max_pods", "min_available",
              "requested_traffic_percent", "traffic_percent", "mirrored_percent",
              "capacity_percent", "peak_cpu_millicores", "peak_memory_bytes",
              "duration_seconds", "new_requests", "gate", "requests_needed",
              "enough_to_judge", "blast_radius_percent", "blast_rps",
              "rollback_action", "rollback_seconds"}],
   "summary": {"duration_seconds", "peak_pods", "peak_cpu_millicores",
               "peak_memory_bytes", "min_available", "downtime"},
   "findings": [{"severity", "code", "message", "why", "step"}]}`,
		Example: `  msctl deploy plan --strategy rolling --replicas 10 --max-surge 25% --max-unavailable 0
  msctl deploy plan --strategy canary --replicas 10 --steps 5,25:10m,50,100 --rps 200
  msctl deploy plan --strategy blue-green --replicas 4 --preview-replicas 1 --resources cpu=500m,memory=256Mi
  msctl deploy plan --from service.yaml --file deploy/plan.yaml -o json
  msctl deploy plan --strategy canary --svg plan.svg`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return RunPlan(opts)
		},
	}
	opts.flags.bind(cmd, true)
	cmd.Flags().StringVar(&opts.SVG, "svg", "", "also write the timeline chart as SVG to this file")
	cmd.Flags().BoolVar(&opts.Chart, "chart", true, "draw the timeline chart under the table (table output only)")
	_ = cmd.MarkFlagFilename("svg", "svg")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunPlan computes and prints the plan.
func RunPlan(opts *PlanOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	p, err := opts.flags.plan()
	if err != nil {
		return err
	}
	if opts.SVG != "" {
		if err := atomicfile.WriteFile(opts.SVG, []byte(deploy.SVG(p)), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", opts.SVG, err)
		}
	}
	if format != output.FormatTable {
		return output.Write(opts.IO, format, p, nil)
	}
	if err := deploy.PlanTable(p).Render(opts.IO); err != nil {
		return err
	}
	deploy.WriteSummary(opts.IO.Out, output.NewStyle(opts.IO), p)
	if opts.Chart {
		deploy.WriteChart(opts.IO.Out, opts.IO.ColorEnabled(), p)
	}
	return nil
}

// SimulateOptions are the parsed flags of `msctl deploy simulate`.
type SimulateOptions struct {
	IO     *iostreams.IOStreams
	Output string
	FailAt int
	flags  specFlags
}

// NewSimulateCmd builds `msctl deploy simulate`.
func NewSimulateCmd(f *cmdutil.Factory, runF func(*SimulateOptions) error) *cobra.Command {
	opts := &SimulateOptions{IO: f.IOStreams}
	opts.flags.simulateOnly = true
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Step through a rolling update as the deployment controller scales its ReplicaSets",
		Long: `Simulate a Kubernetes rolling update tick by tick.

At each tick the controller first scales the new ReplicaSet up within max
surge, then scales old ReplicaSets down, unhealthy pods first, only as far as
max unavailable allows, counting new pods that are not ready yet
(reconcileNewReplicaSet, reconcileOldReplicaSets). Pods are ready one
--ready-time after they are created. With --fail-at N, pods created from
tick N on never become ready (a crash-looping image): the rollout stalls and
the output shows how much capacity is left.

Terminating pods are taken as gone at once; in a cluster they linger for
their grace period, which adds to the pod count but not to availability.

Exit code 1 when the rollout stalls.

JSON: {"replicas", "max_surge", "max_unavailable", "max_pods", "min_available",
  "ready_seconds", "fail_at", "steps": [{"step", "at_seconds", "old_replicas",
  "new_replicas", "old_available", "new_available", "available", "pods",
  "actions"}], "lowest_available", "peak_pods", "complete", "stalled",
  "duration_seconds"}`,
		Example: `  msctl deploy simulate --replicas 10 --max-surge 25% --max-unavailable 25%
  msctl deploy simulate --replicas 5 --max-surge 1 --max-unavailable 0 --ready-time 45s --fail-at 2`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return RunSimulate(opts)
		},
	}
	opts.flags.bind(cmd, false)
	cmd.Flags().IntVar(&opts.FailAt, "fail-at", 0, "pods created from this tick on never become ready (0: none fail)")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunSimulate runs and prints the simulation.
func RunSimulate(opts *SimulateOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	spec, err := opts.flags.spec()
	if err != nil {
		return err
	}
	if opts.FailAt < 0 {
		return exitcode.Usagef("invalid --fail-at %d: it must be 0 (none) or a step number", opts.FailAt)
	}
	spec.Strategy = deploy.Rolling
	if err := spec.Validate(); err != nil {
		return exitcode.UsageError(err, "")
	}
	sim := deploy.SimulateRolling(spec.Replicas, spec.MaxSurge, spec.MaxUnavailable, spec.ReadyTime, opts.FailAt)
	if format != output.FormatTable {
		err = output.Write(opts.IO, format, sim, nil)
	} else if err = deploy.SimTable(&sim).Render(opts.IO); err == nil {
		deploy.WriteSimSummary(opts.IO.Out, output.NewStyle(opts.IO), &sim)
	}
	if err != nil {
		return err
	}
	if sim.Stalled {
		return exitcode.WithCode(exitcode.CheckFailed)
	}
	return nil
}

// LintOptions are the parsed flags of `msctl deploy lint`.
type LintOptions struct {
	IO     *iostreams.IOStreams
	Output string
	FailOn string
	flags  specFlags
}

// NewLintCmd builds `msctl deploy lint`.
func NewLintCmd(f *cmdutil.Factory, runF func(*LintOptions) error) *cobra.Command {
	opts := &LintOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Find the known traps in a rollout, each with an explanation",
		Long: `Check a rollout for known traps: a single replica, replica-weighted canary
weights that cannot be met, canary steps too short to collect enough requests
for the error-rate gate, an HPA fighting the rollout, A/B or shadow without an
L7 router, shadowing non-idempotent requests, blue-green without capacity for
two full copies, and a breaking schema change with a strategy that runs both
versions at once.

Exit code 1 when a finding is at or above --fail-on (default warning; "never"
only reports), so that CI can gate a plan file.

JSON: {"findings": [{"severity": "info|warning|error", "code", "message", "why", "step"}]}`,
		Example: `  msctl deploy lint --strategy canary --replicas 4 --steps 5,50,100
  msctl deploy lint --file deploy/plan.yaml --fail-on error`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return RunLint(opts)
		},
	}
	opts.flags.bind(cmd, true)
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "warning", "exit 1 on findings at or above: info|warning|error|never")
	cmdutil.RegisterEnum(cmd, "fail-on", []string{"info", "warning", "error", "never"})
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunLint prints the findings and decides the exit code.
func RunLint(opts *LintOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	if err := cmdutil.CheckEnum("fail-on", opts.FailOn, []string{"info", "warning", "error", "never"}); err != nil {
		return err
	}
	p, err := opts.flags.plan()
	if err != nil {
		return err
	}
	if format != output.FormatTable {
		err = output.Write(opts.IO, format, struct {
			Findings []deploy.Finding `json:"findings"`
		}{p.Findings}, nil)
	} else {
		deploy.WriteFindings(opts.IO.Out, output.NewStyle(opts.IO), p.Findings)
	}
	if err != nil {
		return err
	}
	if deploy.AtOrAbove(p.Findings, opts.FailOn) {
		return exitcode.WithCode(exitcode.CheckFailed)
	}
	return nil
}
