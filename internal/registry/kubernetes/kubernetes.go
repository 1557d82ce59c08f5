// Package kubernetes reads Kubernetes Services' EndpointSlices
// (discovery.k8s.io/v1): each endpoint is an instance, its ready, serving
// and terminating conditions its health.
//
// The kubeconfig is read with client-go's clientcmd (KUBECONFIG or
// ~/.kube/config; k8s://CONTEXT picks a context) and requests are made
// with client-go's rest transport (tokens, client certificates, exec
// plugins). The slices are decoded into k8s.io/api's types directly rather
// than through client-go's typed clientset: its scheme registers every API
// group at program start, which measured 5 ms of init time and 33 MB of
// binary for one list call (see docs/registry-adapters.md).
package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/registry"
)

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "kubernetes", Title: "Kubernetes", Scheme: "k8s", Aliases: []string{"k8s"},
		URL:     "[CONTEXT][?port=NAME]",
		Default: "current kubeconfig context",
		Open:    Open,
	})
}

// ServiceNameLabel links an EndpointSlice to its Service.
const ServiceNameLabel = "kubernetes.io/service-name"

// SliceLister lists EndpointSlices in a namespace. The adapter's own
// implementation speaks to the API server over HTTP; tests wrap client-go's
// fake clientset.
type SliceLister interface {
	ListEndpointSlices(ctx context.Context, namespace string, opts metav1.ListOptions) (*discoveryv1.EndpointSliceList, error)
}

// Registry is the Kubernetes adapter.
type Registry struct {
	context   string
	namespace string
	port      string // port name to report, "" for the first

	mu     sync.Mutex // guards the fields below: the doctor reads concurrently
	lister SliceLister
	server string
	err    error
	opened bool
}

// Open reads the settings without loading the kubeconfig: k8s://CONTEXT
// (empty for the current context), --namespace (else the context's, else
// "default"), ?port=NAME to report that named port.
func Open(c config.Context) (registry.Registry, error) {
	addr := c.Address
	ctxName, q, _ := strings.Cut(addr, "?")
	qv, err := url.ParseQuery(q)
	if err != nil {
		return nil, fmt.Errorf("k8s address %q: %w", addr, err)
	}
	return &Registry{context: ctxName, namespace: c.Namespace, port: qv.Get("port")}, nil
}

// New returns an adapter over lister for namespace, for tests and for
// callers that already hold a client.
func New(lister SliceLister, namespace string) *Registry {
	return &Registry{lister: lister, namespace: namespace, opened: true, server: "kubernetes"}
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "kubernetes" }

// connect loads the kubeconfig once.
func (r *Registry) connect() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.opened {
		return r.err
	}
	r.opened = true
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	overrides := &clientcmd.ConfigOverrides{CurrentContext: r.context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		// A kubeconfig msctl cannot use is bad input, not a finding.
		r.err = exitcode.UsageError(fmt.Errorf("kubeconfig: %w", err), "name a context of the kubeconfig: k8s://CONTEXT (kubectl config get-contexts lists them)")
		return r.err
	}
	if r.namespace == "" {
		ns, _, err := cc.Namespace()
		if err != nil {
			r.err = fmt.Errorf("kubeconfig namespace: %w", err)
			return r.err
		}
		r.namespace = ns
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		r.err = fmt.Errorf("kubernetes client: %w", err)
		return r.err
	}
	r.server = cfg.Host
	r.lister = &httpLister{host: strings.TrimSuffix(cfg.Host, "/") + cfg.APIPath, client: hc}
	return nil
}

func (r *Registry) list(ctx context.Context, selector string) ([]discoveryv1.EndpointSlice, error) {
	if err := r.connect(); err != nil {
		return nil, err
	}
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	var out []discoveryv1.EndpointSlice
	opts := metav1.ListOptions{LabelSelector: selector, Limit: 500}
	for range 10000 {
		l, err := r.lister.ListEndpointSlices(ctx, r.namespace, opts)
		if err != nil {
			return nil, r.classify(err)
		}
		out = append(out, l.Items...)
		if l.Continue == "" {
			break
		}
		opts.Continue = l.Continue
	}
	return out, nil
}

// statusError is a non-2xx answer of the API server.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return fmt.Sprintf("%d: %s", e.code, e.msg) }

func (r *Registry) classify(err error) error {
	var se *statusError
	if errors.As(err, &se) {
		if se.code == http.StatusUnauthorized || se.code == http.StatusForbidden {
			return fmt.Errorf("kubernetes at %s: %w: %v", r.server, registry.ErrPermissionDenied, err)
		}
		return fmt.Errorf("kubernetes at %s: %w", r.server, err)
	}
	if registry.IsTLSVerification(err) {
		return registry.TLSError("kubernetes", r.server, err)
	}
	if strings.Contains(err.Error(), "forbidden") || strings.Contains(err.Error(), "Unauthorized") {
		return fmt.Errorf("kubernetes at %s: %w: %v", r.server, registry.ErrPermissionDenied, err)
	}
	return &registry.UnreachableError{Kind: "kubernetes", Address: r.server, Err: err}
}

// Services implements registry.Registry from one (paged) list of the
// namespace's EndpointSlices. A Service with a slice but no endpoints is
// listed with zero instances.
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	if q.Filter != "" {
		return nil, fmt.Errorf("%w: the kubernetes registry does not support --filter (use a label selector in a later version)", registry.ErrInvalidQuery)
	}
	found, err := r.list(ctx, ServiceNameLabel)
	if err != nil {
		return nil, err
	}
	all, names := r.instances(found)
	return registry.SummarizeWithEmpty(all, slices.Collect(maps.Keys(names)), q), nil
}

// AllInstances implements registry.AllInstancesSource.
func (r *Registry) AllInstances(ctx context.Context) ([]registry.Instance, error) {
	slices, err := r.list(ctx, ServiceNameLabel)
	if err != nil {
		return nil, err
	}
	all, _ := r.instances(slices)
	return all, nil
}

// AllServices implements registry.AllServicesSource: a Service whose
// slices have no endpoints is listed, empty.
func (r *Registry) AllServices(ctx context.Context) ([]registry.Instance, []string, error) {
	found, err := r.list(ctx, ServiceNameLabel)
	if err != nil {
		return nil, nil, err
	}
	all, names := r.instances(found)
	for _, in := range all {
		delete(names, in.Service)
	}
	return all, slices.Sorted(maps.Keys(names)), nil
}

// Instances implements registry.Registry.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	slices, err := r.list(ctx, ServiceNameLabel+"="+service)
	if err != nil {
		return nil, err
	}
	if len(slices) == 0 {
		return nil, fmt.Errorf("%w: no EndpointSlice for service %s in namespace %s", registry.ErrServiceNotFound, service, r.namespace)
	}
	all, _ := r.instances(slices)
	return all, nil
}

// instances turns slices into instances, one per endpoint, and returns
// the services the slices belong to.
func (r *Registry) instances(slices []discoveryv1.EndpointSlice) ([]registry.Instance, map[string]bool) {
	names := map[string]bool{}
	var out []registry.Instance
	for _, s := range slices {
		svc := s.Labels[ServiceNameLabel]
		if svc == "" {
			continue
		}
		names[svc] = true
		port, ports := r.pickPort(s.Ports)
		for _, ep := range s.Endpoints {
			if len(ep.Addresses) == 0 {
				continue
			}
			out = append(out, r.instance(svc, s, ep, port, ports))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].ID < out[j].ID
	})
	return out, names
}

// pickPort returns the port to report (the named one, else the first) and
// every named port as meta.
func (r *Registry) pickPort(ps []discoveryv1.EndpointPort) (int, map[string]string) {
	port := 0
	meta := map[string]string{}
	for i, p := range ps {
		if p.Port == nil {
			continue
		}
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if name != "" {
			meta["port."+name] = strconv.Itoa(int(*p.Port))
		}
		if (r.port == "" && i == 0) || (r.port != "" && name == r.port) {
			port = int(*p.Port)
		}
	}
	return port, meta
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func (r *Registry) instance(svc string, s discoveryv1.EndpointSlice, ep discoveryv1.Endpoint, port int, ports map[string]string) registry.Instance {
	in := registry.Instance{
		ID:      ep.Addresses[0],
		Service: svc,
		Address: ep.Addresses[0],
		Port:    port,
		Source:  "kubernetes",
		Meta:    map[string]string{"endpointslice": s.Name, "namespace": s.Namespace, "address_type": string(s.AddressType)},
	}
	for k, v := range ports {
		in.Meta[k] = v
	}
	if ep.TargetRef != nil {
		in.ID = ep.TargetRef.Name
		in.Meta["target"] = strings.ToLower(ep.TargetRef.Kind) + "/" + ep.TargetRef.Name
	}
	if ep.NodeName != nil {
		in.Node = *ep.NodeName
	}
	if ep.Zone != nil {
		in.Tags = append(in.Tags, "zone="+*ep.Zone)
	}
	if ep.Hostname != nil {
		in.Meta["hostname"] = *ep.Hostname
	}
	in.Version = registry.VersionOf(nil, s.Labels)
	// Unknown readiness is to be read as ready (the API's documentation);
	// serving defaults to ready.
	ready := boolOr(ep.Conditions.Ready, true)
	serving := boolOr(ep.Conditions.Serving, ready)
	terminating := boolOr(ep.Conditions.Terminating, false)
	check := registry.Check{ID: "conditions", Name: "EndpointSlice conditions", Type: "kubernetes",
		Output: fmt.Sprintf("ready=%t serving=%t terminating=%t", ready, serving, terminating)}
	switch {
	case ready:
		check.Status = registry.Passing
	case serving && terminating:
		check.Status = registry.Warning
		check.Output += ": terminating, still serving while it drains"
	default:
		check.Status = registry.Critical
		if terminating {
			check.Output += ": terminating"
		} else {
			check.Output += ": not ready (readiness probe failing or starting)"
		}
	}
	in.Checks = []registry.Check{check}
	in.Health = check.Status
	return in
}

// httpLister lists slices with a GET through client-go's authenticated
// transport.
type httpLister struct {
	host   string
	client *http.Client
}

func (h *httpLister) ListEndpointSlices(ctx context.Context, namespace string, opts metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
	q := url.Values{}
	if opts.LabelSelector != "" {
		q.Set("labelSelector", opts.LabelSelector)
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.FormatInt(opts.Limit, 10))
	}
	if opts.Continue != "" {
		q.Set("continue", opts.Continue)
	}
	u := fmt.Sprintf("%s/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices?%s", h.host, url.PathEscape(namespace), q.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var st metav1.Status
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &st) == nil && st.Message != "" {
			msg = st.Message
		}
		return nil, &statusError{code: resp.StatusCode, msg: msg}
	}
	var l discoveryv1.EndpointSliceList
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, fmt.Errorf("decoding EndpointSliceList: %w", err)
	}
	return &l, nil
}

var _ registry.AllServicesSource = (*Registry)(nil)
