// Package cloudmap reads AWS Cloud Map (service discovery) through
// github.com/aws/aws-sdk-go-v2/service/servicediscovery: the namespace's
// services (ListNamespaces, ListServices) and their instances with health
// (DiscoverInstances with HealthStatus ALL).
//
// cloudmap://NAMESPACE[?region=R][&endpoint=URL][&profile=P]: credentials
// and region come from the usual AWS chain (environment, shared config and
// profiles, SSO, instance roles), loaded on first use; endpoint overrides
// the service endpoint (a VPC endpoint, or a test server).
package cloudmap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

func init() {
	registry.RegisterKind("cloudmap", []string{"aws-cloudmap"}, Open)
}

// API is the part of the Cloud Map client the adapter calls.
type API interface {
	ListNamespaces(ctx context.Context, in *sd.ListNamespacesInput, opts ...func(*sd.Options)) (*sd.ListNamespacesOutput, error)
	ListServices(ctx context.Context, in *sd.ListServicesInput, opts ...func(*sd.Options)) (*sd.ListServicesOutput, error)
	DiscoverInstances(ctx context.Context, in *sd.DiscoverInstancesInput, opts ...func(*sd.Options)) (*sd.DiscoverInstancesOutput, error)
}

// Registry is the Cloud Map adapter.
type Registry struct {
	namespace string
	region    string
	endpoint  string
	profile   string

	mu     sync.Mutex // guards api: the doctor reads concurrently
	api    API
	custom bool // a custom endpoint: no "data-" host prefix
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

// New returns an adapter over a ready client, for tests and for callers
// that configure the SDK themselves. customEndpoint says the client has a
// BaseEndpoint, where DiscoverInstances' "data-" host prefix must not be
// added.
func New(api API, namespace string, customEndpoint bool) *Registry {
	return &Registry{api: api, namespace: namespace, custom: customEndpoint}
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "cloudmap" }

func (r *Registry) client(ctx context.Context) (API, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.api != nil {
		return r.api, nil
	}
	var opts []func(*awsconfig.LoadOptions) error
	if r.region != "" {
		opts = append(opts, awsconfig.WithRegion(r.region))
	}
	if r.profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(r.profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("cloudmap: no AWS region: set AWS_REGION or cloudmap://%s?region=REGION", r.namespace)
	}
	r.custom = r.endpoint != ""
	r.api = sd.NewFromConfig(cfg, func(o *sd.Options) {
		if r.endpoint != "" {
			o.BaseEndpoint = aws.String(r.endpoint)
		}
	})
	return r.api, nil
}

// classify maps SDK errors: a refused credential is a permission error,
// a transport failure is unreachable.
func (r *Registry) classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
			"ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch":
			return fmt.Errorf("cloudmap: %w: %s: %s", registry.ErrPermissionDenied, ae.ErrorCode(), ae.ErrorMessage())
		}
		return fmt.Errorf("cloudmap: %s: %s", ae.ErrorCode(), ae.ErrorMessage())
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
	var next *string
	for range 1000 {
		out, err := api.ListNamespaces(ctx, &sd.ListNamespacesInput{NextToken: next})
		if err != nil {
			return "", r.classify(err)
		}
		for _, ns := range out.Namespaces {
			if aws.ToString(ns.Name) == r.namespace || aws.ToString(ns.Id) == r.namespace {
				return aws.ToString(ns.Id), nil
			}
		}
		if next = out.NextToken; next == nil {
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
	var next *string
	for range 1000 {
		out, err := api.ListServices(ctx, &sd.ListServicesInput{NextToken: next, Filters: []types.ServiceFilter{{
			Name: types.ServiceFilterNameNamespaceId, Values: []string{id}, Condition: types.FilterConditionEq}}})
		if err != nil {
			return nil, r.classify(err)
		}
		for _, s := range out.Services {
			names = append(names, aws.ToString(s.Name))
		}
		if next = out.NextToken; next == nil {
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
	out := registry.SummarizeAll(all, q)
	if q.Tag == "" {
		for _, n := range empty {
			out = append(out, registry.Service{Name: n, ByHealth: map[registry.Health]int{}})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	}
	return out, nil
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
	var opts []func(*sd.Options)
	if r.custom {
		opts = append(opts, noHostPrefix)
	}
	out, err := api.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{
		NamespaceName: aws.String(r.namespace),
		ServiceName:   aws.String(service),
		HealthStatus:  types.HealthStatusFilterAll,
		MaxResults:    aws.Int32(1000),
	}, opts...)
	var snf *types.ServiceNotFound
	if errors.As(err, &snf) {
		return nil, fmt.Errorf("%w: no service %s in cloudmap namespace %s", registry.ErrServiceNotFound, service, r.namespace)
	}
	var nnf *types.NamespaceNotFound
	if errors.As(err, &nnf) {
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

// noHostPrefix keeps DiscoverInstances from sending to "data-" + the
// custom endpoint's host. The flag is a stack value, which the SDK clears
// when an operation starts, so it is set from inside the stack.
func noHostPrefix(o *sd.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("msctlNoHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

func toInstance(service string, s types.HttpInstanceSummary) registry.Instance {
	in := registry.Instance{ID: aws.ToString(s.InstanceId), Service: service, Source: "cloudmap", Meta: map[string]string{}}
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
	check := registry.Check{ID: "cloudmap-health", Name: "Cloud Map health status", Type: "cloudmap", Output: "HealthStatus " + string(s.HealthStatus)}
	switch s.HealthStatus {
	case types.HealthStatusHealthy:
		check.Status = registry.Passing
	case types.HealthStatusUnhealthy:
		check.Status = registry.Critical
	default:
		check.Status = registry.Unknown
		check.Output += " (no health check reported yet)"
	}
	in.Checks = []registry.Check{check}
	in.Health = check.Status
	return in
}
