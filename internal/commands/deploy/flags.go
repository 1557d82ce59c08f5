package deploy

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/deploy"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/servicefile"
)

// specFlags are the flags that describe a rollout, shared by plan, lint,
// render and simulate. Values layer: defaults, then --from service.yaml's
// deploy section, then --file plan.yaml, then the flags actually given.
type specFlags struct {
	From, File                  string
	Strategy                    string
	Replicas                    int
	MaxSurge, MaxUnavailable    string
	Steps                       string
	Pause                       string
	Analysis                    bool
	TrafficRouter               string
	PreviewReplicas             int
	ScaleDownDelay              string
	Match                       []string
	MatchPercent, ShadowPercent float64
	ShadowWrites                bool
	ReadyTime                   string
	RPS                         float64
	Resources                   string
	ErrorThreshold              float64
	HPA                         bool
	SchemaChange                string
	CapacityHeadroom            string
	fs                          *pflag.FlagSet
	// svc is the --from service file, once spec has read it.
	svc                        *servicefile.Service
	strategyOnly, simulateOnly bool
}

func (o *specFlags) bind(cmd *cobra.Command, full bool) {
	fl := cmd.Flags()
	o.fs = fl
	d := deploy.DefaultSpec()
	fl.StringVar(&o.From, "from", "", "service.yaml whose deploy section gives defaults (replicas, resources, ready_time, strategy, rps)")
	fl.StringVarP(&o.File, "file", "f", "", "plan file (YAML with the spec's snake_case fields) checked into the repo")
	_ = cmd.MarkFlagFilename("from", "yaml", "yml")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
	fl.IntVar(&o.Replicas, "replicas", d.Replicas, "desired replicas")
	fl.StringVar(&o.MaxSurge, "max-surge", d.MaxSurge.String(), "pods above replicas during the rollout: count or percentage (rounded up)")
	fl.StringVar(&o.MaxUnavailable, "max-unavailable", d.MaxUnavailable.String(), "pods below replicas during the rollout: count or percentage (rounded down)")
	fl.StringVar(&o.ReadyTime, "ready-time", d.ReadyTime.String(), "time from pod creation to ready")
	if !full {
		return
	}
	fl.StringVar(&o.Strategy, "strategy", d.Strategy, "strategy: "+strings.Join(deploy.Strategies, "|"))
	cmdutil.RegisterEnum(cmd, "strategy", deploy.Strategies)
	fl.StringVar(&o.Steps, "steps", "", "canary weights, each optionally WEIGHT:PAUSE (default 10,25,50,100)")
	fl.StringVar(&o.Pause, "pause", d.Pause.String(), "pause after each canary step; how long A/B and shadow observe")
	fl.BoolVar(&o.Analysis, "analysis", true, "put an analysis gate (error rate) after every canary step below 100%")
	fl.StringVar(&o.TrafficRouter, "traffic-router", d.TrafficRouter, "traffic router: "+strings.Join(deploy.TrafficRouters, "|")+" (none: traffic follows pod counts)")
	cmdutil.RegisterEnum(cmd, "traffic-router", deploy.TrafficRouters)
	fl.IntVar(&o.PreviewReplicas, "preview-replicas", 0, "blue-green: green pods started before the switch (0: all)")
	fl.StringVar(&o.ScaleDownDelay, "scale-down-delay", d.ScaleDownDelay.String(), "blue-green, A/B, shadow: keep the old version this long after the switch")
	fl.StringArrayVar(&o.Match, "match", nil, "A/B rule header:NAME=VALUE, cookie:NAME=VALUE or query:NAME=VALUE (repeatable)")
	fl.Float64Var(&o.MatchPercent, "match-percent", d.MatchPercent, "A/B: share of traffic the rules select")
	fl.Float64Var(&o.ShadowPercent, "shadow-percent", d.ShadowPercent, "shadow: share of traffic mirrored to the new version")
	fl.BoolVar(&o.ShadowWrites, "shadow-writes", false, "shadow: the mirrored traffic includes non-idempotent requests (POST, payments, emails)")
	fl.Float64Var(&o.RPS, "rps", d.RPS, "the service's traffic in requests per second")
	fl.StringVar(&o.Resources, "resources", "", "per-replica requests, e.g. cpu=500m,memory=256Mi")
	fl.Float64Var(&o.ErrorThreshold, "error-threshold", d.ErrorThreshold, "error rate in percent at which an analysis gate fails")
	fl.BoolVar(&o.HPA, "hpa", false, "a HorizontalPodAutoscaler scales this workload")
	fl.StringVar(&o.SchemaChange, "schema-change", d.SchemaChange, "data schema change shipped with the release: none|backward|breaking")
	cmdutil.RegisterEnum(cmd, "schema-change", []string{"none", "backward", "breaking"})
	fl.StringVar(&o.CapacityHeadroom, "capacity-headroom", "", "spare cluster capacity as pods or % of replicas (checks blue-green's second copy)")
}

// plan builds the plan of the spec the flags describe; a spec the
// planner refuses is a usage error too.
func (o *specFlags) plan() (*deploy.Plan, error) {
	spec, err := o.spec()
	if err != nil {
		return nil, err
	}
	p, err := deploy.Build(spec)
	if err != nil {
		return nil, exitcode.UsageError(err, "")
	}
	return p, nil
}

// spec resolves the layered values into a deploy.Spec; every problem is a
// usage error naming the flag or file.
func (o *specFlags) spec() (deploy.Spec, error) {
	s := deploy.DefaultSpec()
	if o.From != "" {
		svc, err := servicefile.Load(o.From)
		if err != nil {
			return s, exitcode.UsageError(err, "")
		}
		s.Name = svc.Name
		o.svc = svc
		if d := svc.Deploy; d != nil {
			if d.Replicas != 0 {
				s.Replicas = d.Replicas
			}
			if d.Strategy != "" {
				s.Strategy = d.Strategy
			}
			if d.RPS != 0 {
				s.RPS = d.RPS
			}
			if len(d.Resources) > 0 {
				s.Resources = d.Resources
			}
			if d.ReadyTime != "" {
				rt, err := deploy.ParseDuration(d.ReadyTime)
				if err != nil {
					return s, exitcode.Usagef("%s: deploy.ready_time: %v", o.From, err)
				}
				s.ReadyTime = rt
			}
		}
	}
	if o.File != "" {
		b, err := os.ReadFile(o.File)
		if err != nil {
			return s, exitcode.UsageError(err, "")
		}
		s, err = deploy.LoadPlanFile(o.File, b, s)
		if err != nil {
			return s, exitcode.UsageError(err, "")
		}
	}
	ch := o.fs.Changed
	var err error
	bad := func(flag string, e error) error { return exitcode.Usagef("invalid --%s: %v", flag, e) }
	if ch("strategy") {
		s.Strategy = o.Strategy
	}
	if ch("replicas") {
		s.Replicas = o.Replicas
	}
	if ch("max-surge") {
		if s.MaxSurge, err = deploy.ParseIntOrPercent(o.MaxSurge); err != nil {
			return s, bad("max-surge", err)
		}
	}
	if ch("max-unavailable") {
		if s.MaxUnavailable, err = deploy.ParseIntOrPercent(o.MaxUnavailable); err != nil {
			return s, bad("max-unavailable", err)
		}
	}
	if ch("ready-time") {
		if s.ReadyTime, err = deploy.ParseDuration(o.ReadyTime); err != nil {
			return s, bad("ready-time", err)
		}
	}
	if o.simulateOnly {
		return s, nil
	}
	if ch("pause") {
		if s.Pause, err = deploy.ParseDuration(o.Pause); err != nil {
			return s, bad("pause", err)
		}
	}
	// Steps from a plan file keep their own pauses and gates unless --steps
	// replaces them; --pause and --analysis shape the steps parsed here.
	if ch("steps") || (s.Strategy == deploy.Canary && len(s.Steps) == 0) {
		spec := o.Steps
		if spec == "" && ch("steps") {
			return s, bad("steps", fmt.Errorf("empty: give weights such as 10,25,50,100 or leave --steps out"))
		}
		if spec == "" {
			spec = "10,25,50,100"
		}
		if s.Steps, err = deploy.ParseSteps(spec, s.Pause, o.Analysis); err != nil {
			return s, bad("steps", err)
		}
	}
	if ch("traffic-router") {
		s.TrafficRouter = o.TrafficRouter
	}
	if ch("preview-replicas") {
		s.PreviewReplicas = o.PreviewReplicas
	}
	if ch("scale-down-delay") {
		if s.ScaleDownDelay, err = deploy.ParseDuration(o.ScaleDownDelay); err != nil {
			return s, bad("scale-down-delay", err)
		}
	}
	if ch("match") {
		s.Match = o.Match
	}
	if ch("match-percent") {
		s.MatchPercent = o.MatchPercent
	}
	if ch("shadow-percent") {
		s.ShadowPercent = o.ShadowPercent
	}
	if ch("shadow-writes") {
		s.ShadowWrites = o.ShadowWrites
	}
	if ch("rps") {
		s.RPS = o.RPS
	}
	if ch("resources") {
		if s.Resources, err = deploy.ParseResources(o.Resources); err != nil {
			return s, bad("resources", err)
		}
	}
	if ch("error-threshold") {
		s.ErrorThreshold = o.ErrorThreshold
	}
	if ch("hpa") {
		s.HPA = o.HPA
	}
	if ch("schema-change") {
		s.SchemaChange = o.SchemaChange
	}
	if ch("capacity-headroom") {
		v, err := deploy.ParseIntOrPercent(o.CapacityHeadroom)
		if err != nil {
			return s, bad("capacity-headroom", err)
		}
		s.CapacityHeadroom = &v
	}
	if err := s.Validate(); err != nil {
		return s, exitcode.UsageError(err, "")
	}
	return s, nil
}
