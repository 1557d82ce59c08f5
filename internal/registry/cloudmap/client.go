package cloudmap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The three Cloud Map operations msctl calls, with only the fields it
// sends and reads. Field names are the API's (AWS JSON 1.1 uses the
// shapes' member names as JSON keys).
type (
	// ListNamespacesInput is ListNamespaces' request.
	ListNamespacesInput struct {
		NextToken string `json:",omitempty"`
	}
	// ListNamespacesOutput is one page of namespaces.
	ListNamespacesOutput struct {
		Namespaces []NamespaceSummary
		NextToken  string
	}
	// NamespaceSummary is a namespace in ListNamespaces' answer.
	NamespaceSummary struct {
		ID   string `json:"Id"`
		Name string
		Type string
	}

	// ListServicesInput is ListServices' request.
	ListServicesInput struct {
		Filters   []ServiceFilter `json:",omitempty"`
		NextToken string          `json:",omitempty"`
	}
	// ServiceFilter narrows ListServices, e.g. NAMESPACE_ID EQ [id].
	ServiceFilter struct {
		Name      string
		Values    []string
		Condition string `json:",omitempty"`
	}
	// ListServicesOutput is one page of services.
	ListServicesOutput struct {
		Services  []ServiceSummary
		NextToken string
	}
	// ServiceSummary is a service in ListServices' answer.
	ServiceSummary struct {
		ID   string `json:"Id"`
		Name string
	}

	// DiscoverInstancesInput is DiscoverInstances' request.
	DiscoverInstancesInput struct {
		NamespaceName string
		ServiceName   string
		HealthStatus  string `json:",omitempty"` // HEALTHY, UNHEALTHY, ALL, HEALTHY_OR_ELSE_ALL
		MaxResults    int    `json:",omitempty"`
	}
	// DiscoverInstancesOutput is DiscoverInstances' answer (it has no
	// pages: MaxResults caps it, 1000 at most).
	DiscoverInstancesOutput struct {
		Instances         []InstanceSummary
		InstancesRevision int64
	}
	// InstanceSummary is one registered instance.
	InstanceSummary struct {
		InstanceID    string `json:"InstanceId"`
		NamespaceName string
		ServiceName   string
		HealthStatus  string // HEALTHY, UNHEALTHY, UNKNOWN
		Attributes    map[string]string
	}
)

// API is the part of Cloud Map the adapter calls; Client implements it
// and tests can stand in for it.
type API interface {
	ListNamespaces(ctx context.Context, in *ListNamespacesInput) (*ListNamespacesOutput, error)
	ListServices(ctx context.Context, in *ListServicesInput) (*ListServicesOutput, error)
	DiscoverInstances(ctx context.Context, in *DiscoverInstancesInput) (*DiscoverInstancesOutput, error)
}

// APIError is an error answer from Cloud Map: Code is the error shape's
// name (ServiceNotFound, ThrottlingException, AccessDeniedException, ...).
type APIError struct {
	Code       string
	Message    string
	StatusCode int
	RequestID  string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

const (
	targetPrefix = "Route53AutoNaming_v20170314."
	signingName  = "servicediscovery"
	// maxBody bounds an answer: DiscoverInstances returns at most 1000
	// instances with up to 30 attributes of 1 KiB each.
	maxBody = 64 << 20
	// maxErrorBody bounds an error answer, which is a short JSON object.
	maxErrorBody = 64 << 10
	// defaultAttempts is how many times a throttled or 5xx request is
	// sent, as the SDKs' standard retryer does.
	defaultAttempts = 3
)

// Client calls Cloud Map over AWS JSON 1.1, signed with Signature
// Version 4. It replaces the SDK's generated client, whose endpoint tables
// and middleware stack cost every msctl start a few hundred microseconds.
type Client struct {
	// Endpoint is the control-plane base URL (ListNamespaces,
	// ListServices); DataEndpoint serves DiscoverInstances, which AWS
	// hosts under a "data-" prefix. Both are the same for a custom
	// endpoint.
	Endpoint, DataEndpoint string
	Region                 string
	Credentials            aws.CredentialsProvider
	HTTP                   *http.Client
	// Attempts is how many times a throttled request is sent (0: 3).
	Attempts int
	// Backoff is the wait before retry n (1, 2, ...); nil is a jittered
	// exponential backoff from 100 ms.
	Backoff func(n int) time.Duration

	signer *v4.Signer
}

// NewClient returns a client for region's public endpoints, or for
// endpoint (a VPC endpoint, a test server) when it is not empty.
func NewClient(region, endpoint string, creds aws.CredentialsProvider) *Client {
	c := &Client{Region: region, Credentials: creds, Endpoint: endpoint, DataEndpoint: endpoint, signer: v4.NewSigner()}
	if endpoint == "" {
		c.Endpoint, c.DataEndpoint = defaultEndpoints(region)
	}
	return c
}

// defaultEndpoints are Cloud Map's public endpoints in region's partition:
// amazonaws.com, and amazonaws.com.cn in the China regions.
func defaultEndpoints(region string) (control, data string) {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://servicediscovery." + region + "." + suffix, "https://data-servicediscovery." + region + "." + suffix
}

// ListNamespaces implements API.
func (c *Client) ListNamespaces(ctx context.Context, in *ListNamespacesInput) (*ListNamespacesOutput, error) {
	out := &ListNamespacesOutput{}
	return out, c.call(ctx, c.Endpoint, "ListNamespaces", in, out)
}

// ListServices implements API.
func (c *Client) ListServices(ctx context.Context, in *ListServicesInput) (*ListServicesOutput, error) {
	out := &ListServicesOutput{}
	return out, c.call(ctx, c.Endpoint, "ListServices", in, out)
}

// DiscoverInstances implements API.
func (c *Client) DiscoverInstances(ctx context.Context, in *DiscoverInstancesInput) (*DiscoverInstancesOutput, error) {
	out := &DiscoverInstancesOutput{}
	return out, c.call(ctx, c.DataEndpoint, "DiscoverInstances", in, out)
}

// CredentialsError is a failure to get credentials, kept apart from the
// request's own failures: it says nothing about the registry endpoint.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string { return "getting AWS credentials: " + e.Err.Error() }
func (e *CredentialsError) Unwrap() error { return e.Err }

// call sends one operation, retrying throttling and server errors.
func (c *Client) call(ctx context.Context, base, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = defaultAttempts
	}
	for n := 1; ; n++ {
		err := c.send(ctx, base, op, body, hash, out)
		if n >= attempts || !retryable(err) {
			return err
		}
		wait := c.backoff(n)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (retrying after: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (c *Client) backoff(n int) time.Duration {
	if c.Backoff != nil {
		return c.Backoff(n)
	}
	// Full jitter over 100 ms, 200 ms, ... capped at 2 s, as in the SDKs.
	ceil := min(100*time.Millisecond<<(n-1), 2*time.Second)
	return time.Duration(rand.Int64N(int64(ceil)) + 1)
}

// retryable says whether Cloud Map asked to slow down or failed on its
// side; a refused credential or a bad request would fail again.
func retryable(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "ThrottledException":
		return true
	}
	return ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode >= 500
}

func (c *Client) send(ctx context.Context, base, op string, body []byte, hash string, out any) error {
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return &CredentialsError{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("Accept", "application/json")
	signer := c.signer
	if signer == nil {
		signer = v4.NewSigner()
	}
	if err := signer.SignHTTP(ctx, creds, req, hash, signingName, c.Region, time.Now().UTC()); err != nil {
		return err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return parseError(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("reading %s answer: %w", op, err)
	}
	if len(data) > maxBody {
		return fmt.Errorf("%s answer is larger than %d MiB", op, maxBody>>20)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding %s answer: %w", op, err)
	}
	return nil
}

// parseError reads an AWS JSON 1.1 error: the shape name in "__type"
// (possibly "namespace#Name" or "Name:http://..."), else in the
// X-Amzn-ErrorType header; the text in "message" or "Message".
func parseError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	notJSON := json.Unmarshal(data, &body) != nil
	e := &APIError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Amzn-Requestid")}
	e.Code = errorCode(body.Type)
	if e.Code == "" {
		e.Code = errorCode(body.Code)
	}
	if e.Code == "" {
		e.Code = errorCode(resp.Header.Get("X-Amzn-ErrorType"))
	}
	if e.Code == "" {
		e.Code = fmt.Sprintf("HTTP%d", resp.StatusCode)
	}
	e.Message = body.Message
	if e.Message == "" {
		e.Message = body.Message2
	}
	if e.Message == "" && notJSON && len(data) > 0 {
		// Not AWS's JSON (a proxy's page): its first line says what happened.
		first, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
		e.Message = truncate(first, 200)
	}
	return e
}

// errorCode strips the namespace ("com.amazonaws.servicediscovery#") and
// the documentation suffix (":http://internal.amazon.com/...") from an
// error type.
func errorCode(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
