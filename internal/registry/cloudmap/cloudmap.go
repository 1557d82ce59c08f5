// Package cloudmap reads AWS Cloud Map (service discovery): the
// namespace's services (ListNamespaces, ListServices) and their instances
// with health (DiscoverInstances with HealthStatus ALL).
//
// cloudmap://NAMESPACE[?region=R][&endpoint=URL][&profile=P]: region,
// endpoint and credentials come from a chain in the AWS SDKs' order
// (environment, shared config and credentials files, container
// credentials, EC2 instance metadata), resolved on first use; endpoint
// overrides the service endpoint (a VPC endpoint, or a test server).
//
// The package speaks Cloud Map's AWS JSON 1.1 protocol itself (client.go)
// and signs with the SDK's Signature Version 4 signer, instead of using
// the SDK's servicediscovery client and config loader: those compile
// endpoint tables and pull in the SSO, STS and sign-in clients at package
// init, which cost every msctl command about 2 ms of start-up even when
// no Cloud Map is used. Profiles that need those clients (SSO,
// assume-role, web identity) are resolved by the AWS CLI v2 through
// `aws configure export-credentials`, run as a credential process.
package cloudmap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/registry"
)

func init() {
	registry.RegisterKind("cloudmap", []string{"aws-cloudmap"}, Open)
}

// Registry is the Cloud Map adapter.
type Registry struct {
	namespace string
	region    string
	endpoint  string
	profile   string

	mu  sync.Mutex // guards api: the doctor reads concurrently
	api API
}

// Open reads the settings without loading credentials.
func Open(c config.Context) (registry.Registry, error) {
	addr := c.Address
	if addr == config.Defaults["address"] {
		addr = ""
	}
	ns, q, _ := strings.Cut(addr, "?")
	qv, err := url.ParseQuery(q)
	if err != nil {
		return nil, fmt.Errorf("cloudmap address %q: %w", addr, err)
	}
	r := &Registry{namespace: ns, region: qv.Get("region"), endpoint: qv.Get("endpoint"), profile: qv.Get("profile")}
	if c.Namespace != "" {
		r.namespace = c.Namespace
	}
	if r.namespace == "" {
		return nil, fmt.Errorf("cloudmap needs a namespace: cloudmap://NAMESPACE or --namespace")
	}
	return r, nil
}

// New returns an adapter over a ready client (a *Client, or a stand-in in
// tests).
func New(api API, namespace string) *Registry {
	return &Registry{api: api, namespace: namespace}
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "cloudmap" }

func (r *Registry) client(ctx context.Context) (API, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.api != nil {
		return r.api, nil
	}
	// Missing credentials, region or profile are settings to fix: exit 2.
	st, err := newChain(r.profile).resolve(r.region)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("cloudmap: %w", err), "")
	}
	if st.Region == "" {
		return nil, exitcode.UsageError(fmt.Errorf("cloudmap: no AWS region: set AWS_REGION or cloudmap://%s?region=REGION", r.namespace), "")
	}
	r.region = st.Region
	endpoint := r.endpoint
	if endpoint == "" {
		// A custom endpoint serves DiscoverInstances too: no "data-" host.
		endpoint = st.Endpoint
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, exitcode.UsageError(fmt.Errorf("cloudmap: endpoint %q is not an http(s) URL", endpoint), "")
		}
		r.endpoint = endpoint
	}
	c := NewClient(st.Region, endpoint, st.Credentials)
	c.HTTP = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	r.api = c
	return r.api, nil
}

// classify maps errors: a refused credential is a permission error, a
// transport failure is unreachable.
func (r *Registry) classify(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
			"ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch", "MissingAuthenticationTokenException":
			return fmt.Errorf("cloudmap: %w: %s: %s", registry.ErrPermissionDenied, ae.Code, ae.Message)
		}
		return fmt.Errorf("cloudmap: %s: %s", ae.Code, ae.Message)
	}
	var ce *CredentialsError
	if errors.As(err, &ce) {
		return fmt.Errorf("cloudmap: %w", err)
	}
	if registry.IsTLSVerification(err) {
		return registry.TLSError("cloudmap", r.where(), err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection refused") {
		return &registry.UnreachableError{Kind: "cloudmap", Address: r.where(), Err: err}
	}
	return fmt.Errorf("cloudmap: %w", err)
}

func (r *Registry) where() string {
	if r.endpoint != "" {
		return r.endpoint
	}
	if r.region != "" {
		return "servicediscovery." + r.region
	}
	return "servicediscovery"
}

// namespaceID finds the namespace's id by name.
func (r *Registry) namespaceID(ctx context.Context, api API) (string, error) {
	next := ""
	for range 1000 {
		out, err := api.ListNamespaces(ctx, &ListNamespacesInput{NextToken: next})
		if err != nil {
			return "", r.classify(err)
		}
		for _, ns := range out.Namespaces {
			if ns.Name == r.namespace || ns.ID == r.namespace {
				return ns.ID, nil
			}
		}
		if next = out.NextToken; next == "" {
			break
		}
	}
	return "", fmt.Errorf("cloudmap: no namespace %q in this account and region", r.namespace)
}

// serviceNames lists the namespace's services.
func (r *Registry) serviceNames(ctx context.Context, api API) ([]string, error) {
	id, err := r.namespaceID(ctx, api)
	if err != nil {
		return nil, err
	}
	var names []string
	next := ""
	for range 1000 {
		out, err := api.ListServices(ctx, &ListServicesInput{NextToken: next, Filters: []ServiceFilter{{
			Name: "NAMESPACE_ID", Values: []string{id}, Condition: "EQ"}}})
		if err != nil {
			return nil, r.classify(err)
		}
		for _, s := range out.Services {
			names = append(names, s.Name)
		}
		if next = out.NextToken; next == "" {
			break
		}
	}
	sort.Strings(names)
	return names, nil
}

// Services implements registry.Registry: the namespace's services, then a
// DiscoverInstances per service (Cloud Map has no bulk call).
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	if q.Filter != "" {
		return nil, fmt.Errorf("%w: the cloudmap registry does not support --filter", registry.ErrInvalidQuery)
	}
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	api, err := r.client(ctx)
	if err != nil {
		return nil, err
	}
	names, err := r.serviceNames(ctx, api)
	if err != nil {
		return nil, err
	}
	var all []registry.Instance
	var empty []string
	for _, n := range names {
		ins, err := r.discover(ctx, api, n)
		if errors.Is(err, registry.ErrServiceNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if len(ins) == 0 {
			empty = append(empty, n)
		}
		all = append(all, ins...)
	}
	return registry.SummarizeWithEmpty(all, empty, q), nil
}

// Instances implements registry.Registry.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	api, err := r.client(ctx)
	if err != nil {
		return nil, err
	}
	return r.discover(ctx, api, service)
}

func (r *Registry) discover(ctx context.Context, api API, service string) ([]registry.Instance, error) {
	out, err := api.DiscoverInstances(ctx, &DiscoverInstancesInput{
		NamespaceName: r.namespace,
		ServiceName:   service,
		HealthStatus:  "ALL",
		MaxResults:    1000,
	})
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "ServiceNotFound" {
		return nil, fmt.Errorf("%w: no service %s in cloudmap namespace %s", registry.ErrServiceNotFound, service, r.namespace)
	}
	if errors.As(err, &ae) && ae.Code == "NamespaceNotFound" {
		return nil, fmt.Errorf("cloudmap: no namespace %q in this account and region", r.namespace)
	}
	if err != nil {
		return nil, r.classify(err)
	}
	ins := make([]registry.Instance, 0, len(out.Instances))
	for _, s := range out.Instances {
		ins = append(ins, toInstance(service, s))
	}
	sort.Slice(ins, func(i, j int) bool { return ins[i].ID < ins[j].ID })
	return ins, nil
}

func toInstance(service string, s InstanceSummary) registry.Instance {
	in := registry.Instance{ID: s.InstanceID, Service: service, Source: "cloudmap", Meta: map[string]string{}}
	for k, v := range s.Attributes {
		switch k {
		case "AWS_INSTANCE_IPV4":
			in.Address = v
		case "AWS_INSTANCE_IPV6":
			if in.Address == "" {
				in.Address = v
			}
		case "AWS_INSTANCE_CNAME":
			if in.Address == "" {
				in.Address = v
			}
		case "AWS_INSTANCE_PORT":
			in.Port, _ = strconv.Atoi(v)
		default:
			in.Meta[k] = v
		}
	}
	if az := s.Attributes["AVAILABILITY_ZONE"]; az != "" {
		in.Tags = append(in.Tags, "zone="+az)
	}
	in.Version = registry.VersionOf(nil, in.Meta)
	check := registry.Check{ID: "cloudmap-health", Name: "Cloud Map health status", Type: "cloudmap", Output: "HealthStatus " + s.HealthStatus}
	switch s.HealthStatus {
	case "HEALTHY":
		check.Status = registry.Passing
	case "UNHEALTHY":
		check.Status = registry.Critical
	default:
		check.Status = registry.Unknown
		check.Output += " (no health check reported yet)"
	}
	in.Checks = []registry.Check{check}
	in.Health = check.Status
	return in
}
