// Package consul is msctl's Consul adapter: the catalog, health and agent
// HTTP APIs through github.com/hashicorp/consul/api, the gossip pool through
// the agent's members, and the DNS interface through github.com/miekg/dns.
//
// Listing every service with its health counts takes a fixed number of
// requests, whatever the number of services: one /v1/catalog/services (names
// and tags, honouring --filter), one /v1/health/state/any (every check in the
// datacenter) and one /v1/catalog/node-services/NODE per node (the instances
// with their ports and metadata). The Consul CLI way, one
// /v1/health/service/NAME per service, is what scripts/bench/registry.sh
// compares against.
package consul

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

// DefaultAddress is a Consul agent's usual HTTP address on this host.
const DefaultAddress = "127.0.0.1:8500"

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "consul", Title: "Consul",
		URL:            "HOST:PORT",
		DefaultAddress: DefaultAddress,
		Open:           Open,
	})
}

// Registry talks to one Consul agent.
type Registry struct {
	client  *api.Client
	address string // as the user gave it, for messages
	base    string // scheme://host:port, for naming API calls
	dc      string
	ns      string
	part    string

	dnsOnce  sync.Once
	nodeName string
	dnsAddr  string
	dnsDom   string
	dnsErr   error
	// DNSAddr, when set before the first DNS lookup, overrides the DNS
	// address read from the agent's configuration.
	DNSAddr string
}

// Open builds a client from resolved settings without dialing.
func Open(c config.Context) (registry.Registry, error) {
	return New(c)
}

// New is Open with the concrete type, for tests and callers that need the
// Consul-specific methods.
func New(c config.Context) (*Registry, error) {
	addr := c.Address
	if addr == "" {
		addr = DefaultAddress
	}
	scheme := "http"
	host := addr
	if s, rest, ok := strings.Cut(addr, "://"); ok {
		switch s {
		case "http", "https":
			scheme, host = s, rest
		default:
			return nil, fmt.Errorf("consul address %q: unsupported scheme %q (use http:// or https://)", addr, s)
		}
	} else if c.CAFile != "" || c.CertFile != "" {
		// TLS material without a scheme means the user wants TLS.
		scheme = "https"
	}
	host = strings.TrimSuffix(host, "/")
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "8500")
	}
	if err := registry.CheckHostPort(host); err != nil {
		return nil, fmt.Errorf("consul %w", err)
	}
	tlsConf := api.TLSConfig{
		CAFile:             c.CAFile,
		CertFile:           c.CertFile,
		KeyFile:            c.KeyFile,
		InsecureSkipVerify: c.Insecure,
	}
	// A dedicated transport with a short dial timeout: an unreachable agent
	// is reported within the command's --timeout, never the OS's minutes.
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 3 * time.Second,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	httpClient, err := api.NewHttpClient(transport, tlsConf)
	if err != nil {
		return nil, fmt.Errorf("consul TLS settings: %w", err)
	}
	cfg := &api.Config{
		Address:    host,
		Scheme:     scheme,
		Datacenter: c.Datacenter,
		Namespace:  c.Namespace,
		Partition:  c.Partition,
		Token:      c.Token,
		TokenFile:  c.TokenFile,
		TLSConfig:  tlsConf,
		HttpClient: httpClient,
	}
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("consul client: %w", err)
	}
	return &Registry{
		client: client, address: addr, base: scheme + "://" + host,
		dc: c.Datacenter, ns: c.Namespace, part: c.Partition,
	}, nil
}

// Kind is "consul".
func (r *Registry) Kind() string { return "consul" }

// Client exposes the underlying Consul client.
func (r *Registry) Client() *api.Client { return r.client }

func (r *Registry) opts(ctx context.Context) *api.QueryOptions {
	q := &api.QueryOptions{Datacenter: r.dc, Namespace: r.ns, Partition: r.part}
	return q.WithContext(ctx)
}

// classify turns a client error into the registry package's error kinds:
// unreachable (exit 3), permission denied, or the parent context's
// cancellation (Ctrl-C), which must not be mistaken for a network failure.
func (r *Registry) classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	var se api.StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case http.StatusForbidden, http.StatusUnauthorized:
			return fmt.Errorf("consul at %s: %w: %s", r.address, registry.ErrPermissionDenied, strings.TrimSpace(se.Body))
		case http.StatusNotFound:
			// Every endpoint msctl reads exists on a Consul agent: a 404
			// means the address is some other HTTP server.
			return &registry.UnreachableError{Kind: "consul", Address: r.address,
				Err: errors.New("answers HTTP 404 for the Consul API: not a Consul agent (wrong address or port?)")}
		}
		return fmt.Errorf("consul at %s: HTTP %d: %s", r.address, se.Code, strings.TrimSpace(se.Body))
	}
	// Older paths of the client return plain errors with the status text.
	if msg := err.Error(); strings.Contains(msg, "403") && strings.Contains(strings.ToLower(msg), "permission denied") ||
		strings.Contains(msg, "ACL not found") {
		return fmt.Errorf("consul at %s: %w", r.address, registry.ErrPermissionDenied)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return &registry.UnreachableError{Kind: "consul", Address: r.address,
			Err: fmt.Errorf("the answer is not Consul's JSON (%v): not a Consul agent (wrong address or port?)", err)}
	}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var verifyErr *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &verifyErr) ||
		strings.Contains(err.Error(), "remote error: tls:") {
		inner := err
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			inner = ue.Err // drop "Get URL:", the address is named already
		}
		return fmt.Errorf("consul at %s: %w: %v", r.address, registry.ErrTLSVerification, inner)
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		inner := err
		if ue != nil {
			inner = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			inner = errors.New("no answer before the timeout")
		}
		return &registry.UnreachableError{Kind: "consul", Address: r.address, Err: inner}
	}
	return fmt.Errorf("consul at %s: %w", r.address, err)
}

// Services lists every service with instance counts by health, tags and
// versions, in a number of requests that does not grow with the services.
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	opts := r.opts(ctx)
	opts.Filter = q.Filter
	names, _, err := r.client.Catalog().Services(opts)
	if err != nil {
		var se api.StatusError
		if q.Filter != "" && errors.As(err, &se) && (se.Code == 400 || se.Code == 500) &&
			strings.Contains(se.Body, "expression") {
			return nil, fmt.Errorf("%w: consul rejected --filter %q: %s", registry.ErrInvalidQuery, q.Filter, strings.TrimSpace(se.Body))
		}
		return nil, r.classify(ctx, err)
	}
	if len(names) == 0 {
		return []registry.Service{}, nil
	}
	all, err := r.allInstances(ctx)
	if err != nil {
		return nil, err
	}
	byService := map[string][]registry.Instance{}
	for _, in := range all {
		if _, ok := names[in.Service]; !ok {
			continue
		}
		if q.Tag != "" && !registry.HasTag(in.Tags, q.Tag) {
			continue
		}
		byService[in.Service] = append(byService[in.Service], in)
	}
	out := make([]registry.Service, 0, len(names))
	for name := range names {
		ins := byService[name]
		if q.Tag != "" && len(ins) == 0 {
			continue
		}
		out = append(out, registry.Summarize(name, ins))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// AllInstances reads every instance of every service in a few requests.
func (r *Registry) AllInstances(ctx context.Context) ([]registry.Instance, error) {
	return r.allInstances(ctx)
}

// allInstances reads every service instance in the datacenter with its
// health, from the node list, each node's services and every check.
func (r *Registry) allInstances(ctx context.Context) ([]registry.Instance, error) {
	var (
		checks api.HealthChecks
		nodes  []*api.Node
		errC   error
		errN   error
		wg     sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		checks, _, errC = r.client.Health().State(api.HealthAny, r.opts(ctx))
	}()
	go func() {
		defer wg.Done()
		nodes, _, errN = r.client.Catalog().Nodes(r.opts(ctx))
	}()
	wg.Wait()
	if errC != nil {
		return nil, r.classify(ctx, errC)
	}
	if errN != nil {
		return nil, r.classify(ctx, errN)
	}
	lists := make([]*api.CatalogNodeServiceList, len(nodes))
	errs := make([]error, len(nodes))
	sem := make(chan struct{}, 8)
	for i, n := range nodes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			lists[i], _, errs[i] = r.client.Catalog().NodeServiceList(n.Node, r.opts(ctx))
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, r.classify(ctx, e)
		}
	}
	type key struct{ node, id string }
	nodeChecks := map[string][]*api.HealthCheck{}
	svcChecks := map[key][]*api.HealthCheck{}
	for _, c := range checks {
		if c.ServiceID == "" {
			nodeChecks[c.Node] = append(nodeChecks[c.Node], c)
		} else {
			k := key{c.Node, c.ServiceID}
			svcChecks[k] = append(svcChecks[k], c)
		}
	}
	var out []registry.Instance
	for _, l := range lists {
		if l == nil || l.Node == nil {
			continue
		}
		for _, s := range l.Services {
			cs := append(append([]*api.HealthCheck{}, nodeChecks[l.Node.Node]...), svcChecks[key{l.Node.Node, s.ID}]...)
			out = append(out, instanceOf(l.Node, s, cs))
		}
	}
	return out, nil
}

// Instances lists the instances of one service with every check (node and
// service checks, as Consul counts both) and each node's gossip state.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	return r.instances(ctx, service, "", true)
}

// InstancesWith reads the instances with a stale or a consistent read. It
// skips the gossip and agent enrichment: the doctor compares these reads
// with each other, and calls it for every service.
func (r *Registry) InstancesWith(ctx context.Context, service string, mode registry.Consistency) ([]registry.Instance, error) {
	return r.instances(ctx, service, mode, false)
}

func (r *Registry) instances(ctx context.Context, service string, mode registry.Consistency, enrich bool) ([]registry.Instance, error) {
	opts := r.opts(ctx)
	switch mode {
	case registry.Stale:
		opts.AllowStale = true
	case registry.Consistent:
		opts.RequireConsistent = true
	}
	entries, _, err := r.client.Health().Service(service, "", false, opts)
	if err != nil {
		return nil, r.classify(ctx, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("consul at %s: %q: %w", r.address, service, registry.ErrServiceNotFound)
	}
	out := entriesToInstances(entries)
	if !enrich {
		return out, nil
	}
	// Gossip state and the agent's fresh check output are extra detail: a
	// token without agent:read still gets the instances.
	var (
		members []registry.Member
		mErr    error
		node    string
		fresh   map[string]map[string]registry.Check
		wg      sync.WaitGroup
	)
	wg.Add(2)
	go func() { defer wg.Done(); members, mErr = r.Members(ctx) }()
	go func() { defer wg.Done(); node, fresh, _ = r.AgentChecks(ctx) }()
	wg.Wait()
	for i := range out {
		if out[i].Node != node {
			continue
		}
		// The agent runs these checks: its state is the truth, the
		// catalog's copy catches up at the next sync.
		h := registry.Passing
		for j, c := range out[i].Checks {
			if ac, ok := fresh[out[i].ID][c.ID]; ok {
				out[i].Checks[j].Output = ac.Output
				out[i].Checks[j].Status = ac.Status
			}
			h = registry.Worst(h, out[i].Checks[j].Status)
		}
		out[i].Health = h
	}
	if mErr == nil {
		state := map[string]string{}
		for _, m := range members {
			state[m.Name] = m.Status
		}
		for i := range out {
			if s, ok := state[out[i].Node]; ok {
				out[i].NodeState = s
			} else {
				out[i].NodeState = "none"
			}
		}
	}
	return out, nil
}

// WatchInstances is a blocking query on /v1/health/service/NAME: it returns
// when the index moves past index or after Consul's wait time (5 minutes at
// most; msctl asks for 1 minute so that a lost connection is noticed).
func (r *Registry) WatchInstances(ctx context.Context, service string, index uint64) ([]registry.Instance, uint64, error) {
	opts := r.opts(ctx)
	opts.WaitIndex = index
	opts.WaitTime = time.Minute
	entries, meta, err := r.client.Health().Service(service, "", false, opts)
	if err != nil {
		return nil, index, r.classify(ctx, err)
	}
	return entriesToInstances(entries), meta.LastIndex, nil
}

func entriesToInstances(entries []*api.ServiceEntry) []registry.Instance {
	out := make([]registry.Instance, 0, len(entries))
	for _, e := range entries {
		out = append(out, instanceOf(e.Node, e.Service, e.Checks))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func instanceOf(n *api.Node, s *api.AgentService, checks []*api.HealthCheck) registry.Instance {
	addr := s.Address
	if addr == "" {
		// Consul's rule: an instance without its own address is reached at
		// its node's address.
		addr = n.Address
	}
	in := registry.Instance{
		ID: s.ID, Service: s.Service, Node: n.Node, Address: addr, Port: s.Port,
		Tags: s.Tags, Meta: s.Meta, Version: registry.VersionOf(s.Tags, s.Meta),
		Health: registry.Passing, Source: "consul",
	}
	for _, c := range checks {
		rc := checkOf(c)
		in.Checks = append(in.Checks, rc)
		in.Health = registry.Worst(in.Health, rc.Status)
	}
	return in
}

func checkOf(c *api.HealthCheck) registry.Check {
	rc := registry.Check{
		ID: c.CheckID, Name: c.Name, Type: c.Type, Status: healthOf(c.Status),
		Output: strings.TrimSpace(c.Output),
		// The library fills IntervalDuration from either JSON form.
		Interval: c.Definition.IntervalDuration,
	}
	d := c.Definition
	switch {
	case d.HTTP != "":
		rc.Definition = d.HTTP
		if rc.Type == "" {
			rc.Type = "http"
		}
	case d.GRPC != "":
		rc.Definition = d.GRPC
		if rc.Type == "" {
			rc.Type = "grpc"
		}
	case d.TCP != "":
		rc.Definition = d.TCP
		if rc.Type == "" {
			rc.Type = "tcp"
		}
	}
	if rc.Definition == "" {
		rc.Definition = definitionFromOutput(rc.Type, rc.Output)
	}
	if rc.Type == "" && c.CheckID == "serfHealth" {
		rc.Type = "serf"
	}
	if c.CheckID == "_node_maintenance" || strings.HasPrefix(c.CheckID, "_service_maintenance:") {
		rc.Type = "maintenance"
	}
	return rc
}

// definitionFromOutput reads what a check tests from the output Consul
// gives it, for checks registered with a service through the agent, whose
// definition neither the health API nor the agent's check list returns.
// The forms are those Consul's checks write: "HTTP GET URL: 200 OK Output:
// ...", "TCP connect HOST:PORT: Success", "gRPC check TARGET: success",
// and Go's errors of a failed request or dial (`Get "URL": ...`, "dial tcp
// HOST:PORT: ..."). Anything else leaves the target unknown.
func definitionFromOutput(typ, out string) string {
	switch typ {
	case "http":
		method, rest, ok := strings.Cut(strings.TrimPrefix(out, "HTTP "), " ")
		if !ok || method == "" || strings.ToUpper(method) != method && !strings.HasPrefix(rest, `"`) {
			return ""
		}
		if q, ok := strings.CutPrefix(rest, `"`); ok {
			u, _, _ := strings.Cut(q, `"`)
			return u
		}
		u, _, _ := strings.Cut(rest, ": ")
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			return u
		}
	case "tcp":
		for _, prefix := range []string{"TCP connect ", "dial tcp "} {
			if rest, ok := strings.CutPrefix(out, prefix); ok {
				target, _, _ := strings.Cut(rest, ": ")
				if _, _, err := net.SplitHostPort(target); err == nil {
					return target
				}
			}
		}
	case "grpc":
		if rest, ok := strings.CutPrefix(out, "gRPC check "); ok {
			target, _, _ := strings.Cut(rest, ": ")
			return target
		}
	}
	return ""
}

func healthOf(s string) registry.Health {
	switch s {
	case api.HealthPassing:
		return registry.Passing
	case api.HealthWarning:
		return registry.Warning
	case api.HealthCritical, api.HealthMaint:
		return registry.Critical
	}
	return registry.Unknown
}
