package probe

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
)

// The protocols `probe service` can probe each instance with; auto is
// what the registry says is each instance's health endpoint.
var ServiceProtocols = []string{"auto", "http", "grpc", "tcp"}

// DefaultPortMeta is the instance metadata key that names the gRPC port
// of a service whose registered port is another (msctl new registers its
// HTTP port, with the gRPC one under this key).
const DefaultPortMeta = "grpc_port"

// ServiceOptions configure a probe of every instance of a service.
type ServiceOptions struct {
	Service string
	// Protocol is auto (the default), http, grpc or tcp. auto probes what
	// the registry declares as each instance's health check: its HTTP
	// check URL, else its gRPC check's target and service, else a TCP
	// connect to the registered port.
	Protocol string
	// HTTP is the template for HTTP probes: its URL is replaced by
	// Scheme://ADDRESS:PORT + Path for each instance.
	HTTP HTTPOptions
	// Scheme is http or https; "" is the instance's "scheme" metadata,
	// else http.
	Scheme string
	// Path is the HTTP path; "" is the path of the instance's HTTP check
	// URL where the registry declares one, else /.
	Path string
	// GRPC is the template for gRPC probes (health of GRPC.Symbol); its
	// address is each instance's, at the port its PortMeta metadata
	// names, else its gRPC check's, else its registered port.
	GRPC GRPCOptions
	// PortMeta is the metadata key of the gRPC port (DefaultPortMeta when
	// empty).
	PortMeta string
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
	httpCheck, grpcCheck := declaredChecks(in)
	switch o.Protocol {
	case "", "auto":
		// What the registry itself tests is what a healthy instance
		// answers: a GET of / on a service that only serves its API and
		// /readyz is a 404, not a failure.
		switch {
		case httpCheck != "":
			h := o.HTTP
			h.URL = httpCheck
			return NewHTTP(h)
		case grpcCheck != "":
			g := o.GRPC
			g.Address, g.Verb = grpcCheck, "health"
			if target, svc, ok := strings.Cut(grpcCheck, "/"); ok {
				g.Address = target
				if g.Symbol == "" {
					g.Symbol = svc
				}
			}
			if !g.Plaintext && g.TLS == (TLSOptions{}) {
				// Consul's gRPC checks are plaintext unless declared
				// otherwise, which the catalog does not tell.
				g.Plaintext = true
			}
			return NewGRPC(g)
		}
		return NewTCP(hostport)
	case "tcp":
		return NewTCP(hostport)
	case "grpc":
		g := o.GRPC
		g.Address, g.Verb = hostport, "health"
		key := o.PortMeta
		if key == "" {
			key = DefaultPortMeta
		}
		if p, err := strconv.Atoi(in.Meta[key]); err == nil && p > 0 && p < 65536 {
			g.Address = net.JoinHostPort(in.Address, strconv.Itoa(p))
		} else if target, svc, _ := strings.Cut(grpcCheck, "/"); target != "" {
			g.Address = target
			if g.Symbol == "" {
				g.Symbol = svc
			}
		}
		return NewGRPC(g)
	case "http":
		h := o.HTTP
		scheme := o.Scheme
		if scheme == "" {
			scheme = in.Meta["scheme"]
		}
		if scheme != "https" {
			scheme = "http"
		}
		path := o.Path
		if path == "" {
			path = "/"
			if u, err := url.Parse(httpCheck); err == nil && httpCheck != "" {
				path = u.RequestURI()
			}
		}
		h.URL = scheme + "://" + hostport + path
		return NewHTTP(h)
	}
	return nil, fmt.Errorf("unknown protocol %q: use auto, http, grpc or tcp", o.Protocol)
}

// declaredChecks returns the URL of the instance's HTTP check and the
// target (HOST:PORT[/SERVICE]) of its gRPC check, where the registry
// declares them.
func declaredChecks(in registry.Instance) (httpURL, grpcTarget string) {
	for _, c := range in.Checks {
		switch {
		case c.Type == "http" && httpURL == "" && strings.HasPrefix(c.Definition, "http"):
			httpURL = c.Definition
		case c.Type == "grpc" && grpcTarget == "" && c.Definition != "":
			grpcTarget = c.Definition
		}
	}
	return httpURL, grpcTarget
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
