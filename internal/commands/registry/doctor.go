package registry

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/doctor"
)

// DoctorOptions are the parsed flags of `msctl registry doctor`.
type DoctorOptions struct {
	IO           *iostreams.IOStreams
	Conn         Conn
	Service      string
	FailOn       string
	ZombieAfter  time.Duration
	NoProbe      bool
	ProbeTimeout time.Duration
	Output       string
	Ctx          context.Context
	Now          func() time.Time
}

var failOnValues = []string{"warning", "critical"}

// NewDoctorCmd builds `msctl registry doctor [SERVICE]`.
func NewDoctorCmd(f *cmdutil.Factory, runF func(*DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{IO: f.IOStreams, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "doctor [SERVICE]",
		Short: "Diagnose service discovery: where catalog, health, gossip, DNS and probes disagree",
		Long: `Diagnose one service, or every service, by lining up every source of
discovery data the registry offers: the catalog, the health checks, the
local agent's own view of its checks (is the catalog in sync?), the gossip
members (node alive/failed/left), the DNS interface (SRV answers),
stale versus consistent reads (does a follower lag the leader?), the leader,
and msctl's own TCP probe of each instance's port (and its HTTP check URL or
gRPC health service where the registry declares one).

Each finding has a stable ID, a severity, the reason and a suggested next
step. Every service the registry lists is checked, those without any
instance included, and every instance state other than passing is a
finding. IDs: no-leader, acl-hidden, no-services, no-healthy-instances,
instance-critical, instance-warning, instance-unknown, zombie,
ttl-overdue, node-failed, node-left, port-closed, http-health-failed,
grpc-health-failed, missing-from-dns, dns-extra, dns-unavailable,
servers-disagree, agent-catalog-out-of-sync, duplicate-id,
duplicate-address, tag-skew, version-skew.

Exits 1 when a finding is at or above --fail-on (default critical), 0
otherwise; 1 also for a SERVICE that is not registered, 3 when the registry
cannot be reached.

JSON (-o json):
  {"registry", "leader",
   "services": [{"service", "instances": [...as registry instances...],
                 "sources": [{"name": "catalog|health|agent|gossip|dns|consistency|probe",
                              "status": "ok|differs|unavailable", "detail"}],
                 "probes": [{"instance", "kind": "tcp|http|grpc", "target", "ok", "error"}]}],
   "findings": [{"id", "severity": "info|warning|critical", "service",
                 "instance", "node", "reason", "next"}],
   "counts": {"critical": N, "warning": N, "info": N}}`,
		Example: `  msctl registry doctor web
  msctl registry doctor --fail-on warning -o json | jq -r '.findings[] | "\(.id) \(.instance)"'`,
		Args:              cmdutil.RangeArgs(0, 1),
		ValidArgsFunction: completeServices(f, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Service = args[0]
			}
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return RunDoctor(opts)
		},
	}
	addConn(f, cmd, &opts.Conn)
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "critical", "exit 1 when a finding is at or above this severity: warning|critical")
	cmdutil.RegisterEnum(cmd, "fail-on", failOnValues)
	cmd.Flags().DurationVar(&opts.ZombieAfter, "zombie-after", time.Hour, "an instance critical for longer than this is a zombie (where the registry says since when)")
	cmd.Flags().BoolVar(&opts.NoProbe, "no-probe", false, "do not probe the instances' ports")
	cmd.Flags().DurationVar(&opts.ProbeTimeout, "probe-timeout", time.Second, "timeout of each probe")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunDoctor diagnoses and prints the findings.
func RunDoctor(opts *DoctorOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	if err := cmdutil.CheckEnum("fail-on", opts.FailOn, failOnValues); err != nil {
		return err
	}
	// --timeout bounds each exchange with the registry, not the whole
	// diagnosis: a silent registry fails the first exchange within it,
	// and the diagnosis of many services is not cut short.
	reg, err := opts.Conn.Open()
	if err != nil {
		return err
	}
	ctx := ctxOf(opts.Ctx)
	do := doctor.Options{ZombieAfter: opts.ZombieAfter, Probe: !opts.NoProbe, ProbeTimeout: opts.ProbeTimeout, Now: opts.Now,
		Timeout: opts.Conn.Timeout}
	if opts.Service != "" {
		do.Services = []string{opts.Service}
	}
	rep, err := doctor.Diagnose(ctx, reg, do)
	if err != nil {
		return registry.ExitError(err)
	}
	if format == output.FormatTable {
		err = doctor.Render(opts.IO, rep)
	} else {
		err = output.Write(opts.IO, format, rep, nil)
	}
	if err != nil {
		return err
	}
	if w := rep.Worst(); w != "" && w.Rank() >= doctor.Severity(opts.FailOn).Rank() {
		return exitcode.WithCode(exitcode.CheckFailed)
	}
	return nil
}
