package probe

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"

	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
)

// The protocols `probe service` can probe each instance with.
var ServiceProtocols = []string{"http", "grpc", "tcp"}

// ServiceOptions configure a probe of every instance of a service.
type ServiceOptions struct {
	Service  string
	Protocol string // http (default), grpc or tcp
	// HTTP is the template for HTTP probes: its URL is replaced by
	// Scheme://ADDRESS:PORT + Path for each instance.
	HTTP   HTTPOptions
	Scheme string // http or https
	Path   string
	// GRPC is the template for gRPC probes (health of GRPC.Symbol); its
	// address is each instance's.
	GRPC GRPCOptions
	// Parallel bounds how many instances are probed at once.
	Parallel int
}

// InstanceRef says which registered instance a result is about.
type InstanceRef struct {
	ID       string `json:"id"`
	Service  string `json:"service"`
	Node     string `json:"node,omitempty"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Registry string `json:"registry_health"`
}

// ServiceResults are the probes of one instance.
type ServiceResults struct {
	Instance InstanceRef
	Results  []*Result
	// Err is set when no prober could be built for the instance.
	Err error
}

// ProbeService resolves every instance of the service in reg and probes
// each (Parallel at a time) with o.Protocol, Count times as ro says.
// Results carry their instance. onResult sees each result as it comes,
// under a lock, so it may write output.
func ProbeService(ctx context.Context, reg registry.Registry, o ServiceOptions, ro RunOptions) ([]ServiceResults, error) {
	instances, err := reg.Instances(ctx, o.Service)
	if err != nil {
		return nil, err
	}
	if len(instances) == 0 {
		return nil, fmt.Errorf("service %q: %w (no instances)", o.Service, registry.ErrServiceNotFound)
	}
	slices.SortFunc(instances, func(a, b registry.Instance) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	out := make([]ServiceResults, len(instances))
	var mu sync.Mutex
	onResult := ro.OnResult
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, in := range instances {
		ref := InstanceRef{ID: in.ID, Service: in.Service, Node: in.Node, Address: in.Address, Port: in.Port, Registry: string(in.Health)}
		out[i].Instance = ref
		p, err := o.prober(in)
		if err != nil {
			out[i].Err = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.Close()
			sem <- struct{}{}
			defer func() { <-sem }()
			iro := ro
			iro.OnResult = func(r *Result) error {
				r.Instance = &ref
				if onResult == nil {
					return nil
				}
				mu.Lock()
				defer mu.Unlock()
				return onResult(r)
			}
			out[i].Results, _ = Run(ctx, p, iro)
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

func (o ServiceOptions) prober(in registry.Instance) (Prober, error) {
	hostport := net.JoinHostPort(in.Address, strconv.Itoa(in.Port))
	switch o.Protocol {
	case "tcp":
		return NewTCP(hostport)
	case "grpc":
		g := o.GRPC
		g.Address, g.Verb = hostport, "health"
		return NewGRPC(g)
	case "", "http":
		h := o.HTTP
		scheme := o.Scheme
		if scheme == "" {
			scheme = "http"
		}
		h.URL = scheme + "://" + hostport + o.Path
		return NewHTTP(h)
	}
	return nil, fmt.Errorf("unknown protocol %q: use http, grpc or tcp", o.Protocol)
}

// ServiceExitCode is ExitCode over every instance's results; an instance
// that could not be probed at all counts as a failed check.
func ServiceExitCode(rs []ServiceResults) int {
	var all []*Result
	code := 0
	for _, s := range rs {
		if s.Err != nil {
			code = 1
		}
		all = append(all, s.Results...)
	}
	if c := ExitCode(all); c != 0 {
		return c
	}
	return code
}

// ServiceTable shows one row per instance: its registry health next to
// what the probes found, and for a failure, the phase and class.
func ServiceTable(rs []ServiceResults) *output.Table {
	t := output.NewTable("INSTANCE", "ADDRESS", "REGISTRY", "PROBE", "OK", "FAILED PHASE", "CLASS", "MEDIAN", "ERROR")
	for _, s := range rs {
		in := s.Instance
		addr := net.JoinHostPort(in.Address, strconv.Itoa(in.Port))
		if s.Err != nil {
			t.AddRow(in.ID, addr, in.Registry, "error", "0/0", "", "", "", s.Err.Error())
			continue
		}
		ok, phase, class, errText := 0, "", "", ""
		var totals []float64
		for _, r := range s.Results {
			totals = append(totals, r.TotalMS)
			if r.ErrorClass == ClassNone {
				ok++
				continue
			}
			phase, class, errText = r.FailedPhase, string(r.ErrorClass), r.Error
		}
		state := "ok"
		if ok < len(s.Results) {
			state = "failed"
		}
		median := ""
		if len(totals) > 0 {
			slices.Sort(totals)
			median = fmtMS(percentile(totals, 50))
		}
		t.AddRow(in.ID, addr, in.Registry, state, fmt.Sprintf("%d/%d", ok, len(s.Results)), phase, class, median, errText)
	}
	return t
}
