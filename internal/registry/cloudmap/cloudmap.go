// Package cloudmap reads AWS Cloud Map (service discovery): the
// namespace's services (ListNamespaces, ListServices) and their instances
// with health (DiscoverInstances with HealthStatus ALL).
//
// cloudmap://NAMESPACE[?region=R][&endpoint=URL][&profile=P]: region,
// endpoint and credentials come from the AWS SDK's default chain
// (aws-sdk-go-v2/config's LoadDefaultConfig: environment, shared config
// and credentials files with every profile kind — static keys,
// credential_process, SSO, assume-role, web identity — container
// credentials, EC2 instance metadata), resolved on first use; endpoint
// overrides the service endpoint (a VPC endpoint, or a test server). The
// calls go through the SDK's servicediscovery client, with its signing,
// retries and error types.
package cloudmap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/registry"
)

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "cloudmap", Title: "AWS Cloud Map", Aliases: []string{"aws-cloudmap"},
		URL:     "NAMESPACE[?region=R][&endpoint=URL][&profile=P]",
		Default: "credentials from the AWS default chain",
		Open:    Open,
	})
}

// API is the part of the SDK's Cloud Map client the adapter calls;
// *servicediscovery.Client implements it.
type API interface {
	servicediscovery.ListNamespacesAPIClient
	servicediscovery.ListServicesAPIClient
	DiscoverInstances(ctx context.Context, in *servicediscovery.DiscoverInstancesInput, optFns ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesOutput, error)
}

// Registry is the Cloud Map adapter.
type Registry struct {
	namespace string
	region    string
	endpoint  string
	profile   string
	// httpClient replaces the SDK's HTTP client when set (tests).
	httpClient aws.HTTPClient

	mu  sync.Mutex // guards api: the doctor reads concurrently
	api API
}

// Open reads the settings without loading credentials.
func Open(c config.Context) (registry.Registry, error) {
	addr := c.Address
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

// New returns an adapter over a ready client (from NewAPI, or a stand-in
// in tests).
func New(api API, namespace string) *Registry {
	return &Registry{api: api, namespace: namespace}
}

// NewAPI makes the SDK's Cloud Map client from cfg. A custom endpoint
// (endpoint, or one configured through AWS_ENDPOINT_URL* or a profile's
// endpoint_url) serves every call: the "data-" host prefix that AWS's own
// endpoints give DiscoverInstances is not added to it, since a VPC
// endpoint or a test server is one host.
func NewAPI(cfg aws.Config, endpoint string, optFns ...func(*servicediscovery.Options)) *servicediscovery.Client {
	return servicediscovery.NewFromConfig(cfg, append([]func(*servicediscovery.Options){func(o *servicediscovery.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if o.BaseEndpoint != nil {
			o.APIOptions = append(o.APIOptions, noHostPrefix)
		}
		o.HTTPClient = limitBodies(o.HTTPClient)
	}}, optFns...)...)
}

// noHostPrefix turns off the SDK's endpoint host prefix for a call.
func noHostPrefix(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("msctlNoHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "cloudmap" }

func (r *Registry) client(ctx context.Context) (API, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.api != nil {
		return r.api, nil
	}
	if r.endpoint != "" {
		u, err := url.Parse(r.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, exitcode.UsageError(fmt.Errorf("cloudmap: endpoint %q is not an http(s) URL", r.endpoint), "")
		}
	}
	// Missing credentials, region or profile are settings to fix: exit 2.
	cfg, err := loadConfig(ctx, r.region, r.profile, r.httpClient)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("cloudmap: %w", err), "")
	}
	if cfg.Region == "" {
		return nil, exitcode.UsageError(fmt.Errorf("cloudmap: no AWS region: set AWS_REGION or cloudmap://%s?region=REGION", r.namespace), "")
	}
	r.region = cfg.Region
	c := NewAPI(cfg, r.endpoint)
	if ep := c.Options().BaseEndpoint; ep != nil {
		r.endpoint = *ep
	}
	r.api = c
	return r.api, nil
}

// permissionCodes are the error codes of a refused credential or request.
var permissionCodes = []string{"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
	"ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch", "MissingAuthenticationTokenException",
	"IncompleteSignatureException"}

// classify maps errors: a refused credential is a permission error, a
// transport failure is unreachable.
func (r *Registry) classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg := ae.ErrorCode(), ae.ErrorMessage()
		// An answer without an error code or text decodes as
		// "UnknownError"; its HTTP status says more.
		var re *awshttp.ResponseError
		if code == "UnknownError" && errors.As(err, &re) {
			code = fmt.Sprintf("HTTP %d from %s", re.HTTPStatusCode(), r.where())
		}
		text := code
		if msg != "" && msg != "UnknownError" && msg != ae.ErrorCode() {
			text += ": " + msg
		}
		for _, c := range permissionCodes {
			if ae.ErrorCode() == c {
				return fmt.Errorf("cloudmap: %w: %s", registry.ErrPermissionDenied, text)
			}
		}
		return fmt.Errorf("cloudmap: %s", text)
	}
	if registry.IsTLSVerification(err) {
		return registry.TLSError("cloudmap", r.where(), err)
	}
	var se *smithy.OperationError
	cause := err
	if errors.As(err, &se) {
		cause = se.Err
	}
	var ne net.Error
	var oe *net.OpError
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) || errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, context.DeadlineExceeded) {
		return &registry.UnreachableError{Kind: "cloudmap", Address: r.where(), Err: cause}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		// An answer that is not AWS's JSON (a proxy's error page).
		return fmt.Errorf("cloudmap: HTTP %d from %s: %v", re.HTTPStatusCode(), r.where(), re.Err)
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
	p := servicediscovery.NewListNamespacesPaginator(api, &servicediscovery.ListNamespacesInput{})
	for range 1000 {
		if !p.HasMorePages() {
			break
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", r.classify(err)
		}
		for _, ns := range out.Namespaces {
			if aws.ToString(ns.Name) == r.namespace || aws.ToString(ns.Id) == r.namespace {
				return aws.ToString(ns.Id), nil
			}
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
	p := servicediscovery.NewListServicesPaginator(api, &servicediscovery.ListServicesInput{Filters: []types.ServiceFilter{{
		Name: types.ServiceFilterNameNamespaceId, Values: []string{id}, Condition: types.FilterConditionEq}}})
	for range 1000 {
		if !p.HasMorePages() {
			break
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, r.classify(err)
		}
		for _, s := range out.Services {
			names = append(names, aws.ToString(s.Name))
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
	out, err := api.DiscoverInstances(ctx, &servicediscovery.DiscoverInstancesInput{
		NamespaceName: aws.String(r.namespace),
		ServiceName:   aws.String(service),
		HealthStatus:  types.HealthStatusFilterAll,
		MaxResults:    aws.Int32(1000),
	})
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

// maxBody bounds one answer: DiscoverInstances returns at most 1000
// instances with up to 30 attributes of 1 KiB each. The SDK reads answers
// (error answers too) whole, so a misbehaving endpoint could otherwise
// fill memory.
const maxBody = 64 << 20

// limitBodies wraps the SDK's HTTP client so that no answer is read past
// maxBody.
func limitBodies(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	return bodyLimit{c}
}

type bodyLimit struct{ next aws.HTTPClient }

func (b bodyLimit) Do(req *http.Request) (*http.Response, error) {
	resp, err := b.next.Do(req)
	if err == nil && resp.Body != nil {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: maxBody + 1}
	}
	return resp, err
}

// errBodyTooLarge ends a read past maxBody.
var errBodyTooLarge = fmt.Errorf("the answer is larger than %d MiB", maxBody>>20)

type limitedBody struct {
	io.ReadCloser
	left int64 // bytes that may still be read, maxBody+1 at first
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.ReadCloser.Read(p)
	l.left -= int64(n)
	return n, err
}
