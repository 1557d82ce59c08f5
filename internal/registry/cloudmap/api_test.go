package cloudmap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/smithy-go"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

func TestClientRequestShape(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		_, _ = io.WriteString(w, `{"Instances":[{"InstanceId":"i-1","HealthStatus":"HEALTHY","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1"}}],"InstancesRevision":3}`)
	}))
	defer srv.Close()
	c := NewAPI(aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDX", "sx", "session-token")}, srv.URL)
	out, err := c.DiscoverInstances(context.Background(), &servicediscovery.DiscoverInstancesInput{NamespaceName: aws.String("ns"), ServiceName: aws.String("svc"),
		HealthStatus: "ALL", MaxResults: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 1 || aws.ToString(out.Instances[0].InstanceId) != "i-1" || out.Instances[0].Attributes["AWS_INSTANCE_IPV4"] != "10.0.0.1" || aws.ToInt64(out.InstancesRevision) != 3 {
		t.Errorf("decoded %+v", out)
	}
	for h, want := range map[string]string{
		"Content-Type":         "application/x-amz-json-1.1",
		"X-Amz-Target":         "Route53AutoNaming_v20170314.DiscoverInstances",
		"X-Amz-Security-Token": "session-token",
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	if got.Method != http.MethodPost || got.URL.Path != "/" {
		t.Errorf("%s %s", got.Method, got.URL.Path)
	}
	if a := got.Header.Get("Authorization"); !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AKIDX/") || !strings.Contains(a, "/eu-west-1/servicediscovery/aws4_request") {
		t.Errorf("Authorization = %q", a)
	}
	var sent map[string]any
	if err := json.Unmarshal(body, &sent); err != nil || fmt.Sprint(sent) != "map[HealthStatus:ALL MaxResults:1000 NamespaceName:ns ServiceName:svc]" {
		t.Errorf("body %s, %v", body, err)
	}
}

// recordingHTTP is an HTTP client that sends nothing: it records the host
// each request was for and fails it, so that tests see where the SDK would
// send without leaving the machine.
type recordingHTTP struct {
	mu    sync.Mutex
	hosts map[string]bool
}

func (r *recordingHTTP) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hosts == nil {
		r.hosts = map[string]bool{}
	}
	r.hosts[req.URL.Host] = true
	return nil, errors.New("recorded, not sent")
}

func (r *recordingHTTP) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for h := range r.hosts {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func TestDefaultEndpoints(t *testing.T) {
	for _, tc := range []struct{ region, endpoint, want string }{
		{"us-east-1", "", "[data-servicediscovery.us-east-1.amazonaws.com servicediscovery.us-east-1.amazonaws.com]"},
		{"cn-north-1", "", "[data-servicediscovery.cn-north-1.amazonaws.com.cn servicediscovery.cn-north-1.amazonaws.com.cn]"},
		{"us-east-1", "https://vpce.example", "[vpce.example]"},
	} {
		rec := &recordingHTTP{}
		cfg := aws.Config{Region: tc.region, Credentials: credentials.NewStaticCredentialsProvider("A", "B", ""), HTTPClient: rec, RetryMaxAttempts: 1}
		c := NewAPI(cfg, tc.endpoint)
		_, _ = c.ListNamespaces(context.Background(), &servicediscovery.ListNamespacesInput{})
		_, _ = c.DiscoverInstances(context.Background(), &servicediscovery.DiscoverInstancesInput{NamespaceName: aws.String("n"), ServiceName: aws.String("s")})
		if got := fmt.Sprint(rec.seen()); got != tc.want {
			t.Errorf("%s %q: requests to %s, want %s", tc.region, tc.endpoint, got, tc.want)
		}
	}
}

// TestEndpointOrder: ?endpoint=, else AWS_ENDPOINT_URL_SERVICEDISCOVERY,
// else AWS_ENDPOINT_URL, else the profile's endpoint_url, else AWS's own;
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns the configured ones off.
func TestEndpointOrder(t *testing.T) {
	home := isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDX")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	writeFile(t, filepath.Join(home, ".aws", "config"), "[default]\nendpoint_url = https://from-profile\n", 0o600)
	check := func(addr string, want ...string) {
		t.Helper()
		r, err := Open(config.Context{Registry: "cloudmap", Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recordingHTTP{}
		r.(*Registry).httpClient = rec
		if _, err := r.Instances(context.Background(), "svc"); err == nil || !strings.Contains(err.Error(), "recorded, not sent") {
			t.Errorf("err %v, want the recorder's", err)
		}
		if got := fmt.Sprint(rec.seen()); got != fmt.Sprint(want) {
			t.Errorf("requests to %s, want %v", got, want)
		}
	}
	check("shop.local?region=us-east-1", "from-profile")
	t.Setenv("AWS_ENDPOINT_URL", "https://global")
	check("shop.local?region=us-east-1", "global")
	t.Setenv("AWS_ENDPOINT_URL_SERVICEDISCOVERY", "https://specific")
	check("shop.local?region=us-east-1", "specific")
	check("shop.local?region=us-east-1&endpoint=https://param", "param")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	check("shop.local?region=us-east-1", "data-servicediscovery.us-east-1.amazonaws.com")
}

// TestErrorAnswers runs the error answers Cloud Map and what stands in
// front of it give through the SDK's decoding and the adapter's
// classification.
func TestErrorAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, body, header string
		status             int
		want               []string
		permission         bool
	}{
		{"namespace prefix", `{"__type":"com.amazonaws.servicediscovery#NamespaceNotFound","Message":"no such namespace"}`, "", 400, []string{"NamespaceNotFound", "no such namespace"}, false},
		{"doc suffix", `{"__type":"AccessDeniedException:http://internal.amazon.com/coral/","message":"not allowed"}`, "", 400, []string{"AccessDeniedException: not allowed"}, true},
		{"both", `{"__type":"aws.protocoltests#FooError:http://x","message":"m"}`, "", 400, []string{"FooError: m"}, false},
		{"header fallback", `{}`, "UnrecognizedClientException:http://internal.amazon.com/", 400, []string{"UnrecognizedClientException"}, true},
		{"code field", `{"code":"UnrecognizedClientException","message":"bad token"}`, "", 400, []string{"UnrecognizedClientException: bad token"}, true},
		{"not json", "<html>Bad Gateway</html>\nmore", "", 502, []string{"502"}, false},
		{"empty", "", "", 503, []string{"503"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("X-Amzn-ErrorType", tc.header)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			api := NewAPI(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("A", "B", ""), RetryMaxAttempts: 1}, srv.URL)
			_, err := New(api, "shop.local").Services(context.Background(), registry.Query{})
			t.Log(err)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err %v, want %q", err, w)
				}
			}
			if errors.Is(err, registry.ErrPermissionDenied) != tc.permission {
				t.Errorf("err %v: permission denied %v, want %v", err, !tc.permission, tc.permission)
			}
		})
	}
}

// fixedBackoff waits a millisecond between attempts and counts the waits.
type fixedBackoff struct{ waits atomic.Int32 }

func (b *fixedBackoff) BackoffDelay(int, error) (time.Duration, error) {
	b.waits.Add(1)
	return time.Millisecond, nil
}

func TestClientRetriesThrottling(t *testing.T) {
	f := seeded(t)
	b := &fixedBackoff{}
	c := fakeClient(f, "secret", func(o *servicediscovery.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.Backoff = b })
	})

	// 429 then 503 then success: three attempts, each re-signed.
	f.FailNext(429, 503)
	out, err := c.ListNamespaces(context.Background(), &servicediscovery.ListNamespacesInput{})
	if err != nil || len(out.Namespaces) != 2 {
		t.Fatalf("after retries: %+v, %v", out, err)
	}
	if n := f.Calls("ListNamespaces"); n != 3 || b.waits.Load() != 2 {
		t.Errorf("%d calls, %d waits; want 3 calls, 2 waits", n, b.waits.Load())
	}

	// Throttled on every attempt: the last error comes back.
	f.FailNext(429, 429, 429)
	_, err = c.ListNamespaces(context.Background(), &servicediscovery.ListNamespacesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Errorf("always throttled: %v", err)
	}
	if n := f.Calls("ListNamespaces"); n != 6 {
		t.Errorf("%d calls, want 6", n)
	}

	// A refused request is not retried.
	before := f.Calls("ListServices")
	_, err = fakeClient(f, "wrong").ListServices(context.Background(), &servicediscovery.ListServicesInput{})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" || f.Calls("ListServices") != before {
		t.Errorf("wrong secret: %v, calls %d -> %d", err, before, f.Calls("ListServices"))
	}
}

type hourBackoff struct{}

func (hourBackoff) BackoffDelay(int, error) (time.Duration, error) { return time.Hour, nil }

func TestClientRetryRespectsContext(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c := NewAPI(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("A", "B", "")}, srv.URL, func(o *servicediscovery.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.Backoff = hourBackoff{} })
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ListNamespaces(ctx, &servicediscovery.ListNamespacesInput{})
	if !errors.Is(err, context.DeadlineExceeded) || calls.Load() != 1 {
		t.Errorf("err %v after %d calls; want the deadline after 1 call", err, calls.Load())
	}
}

// alteringHTTP changes the request body after it was signed.
type alteringHTTP struct{}

func (alteringHTTP) Do(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	b = bytes.Replace(b, []byte(`"ALL"`), []byte(`"HEALTHY"`), 1)
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	r2.ContentLength = int64(len(b))
	return http.DefaultTransport.RoundTrip(r2)
}

func TestFakeRefusesAlteredRequest(t *testing.T) {
	f := seeded(t)
	in := &servicediscovery.DiscoverInstancesInput{NamespaceName: aws.String("shop.local"), ServiceName: aws.String("checkout"), HealthStatus: "ALL"}
	c := fakeClient(f, "secret", func(o *servicediscovery.Options) { o.HTTPClient = alteringHTTP{} })
	_, err := c.DiscoverInstances(context.Background(), in)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("altered body: %v", err)
	}
	// Unaltered, the same request passes.
	if _, err := fakeClient(f, "secret").DiscoverInstances(context.Background(), in); err != nil {
		t.Errorf("unaltered: %v", err)
	}
}

// An answer past maxBody (an endless error page) is cut off there.
func TestClientBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		_, _ = io.WriteString(w, `{"__type":"X","message":"`)
		for i := 0; i <= maxBody>>20; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	api := NewAPI(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("A", "B", ""), RetryMaxAttempts: 1}, srv.URL)
	_, err := New(api, "shop.local").Services(context.Background(), registry.Query{})
	if err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") || len(err.Error()) > 500 {
		t.Errorf("oversized body: %d bytes of error: %.300v", len(fmt.Sprint(err)), err)
	}
}

// TLS is verified: an endpoint whose certificate no trusted CA issued is
// a TLS error, not unreachable.
func TestEndpointCertificateVerified(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Namespaces":[]}`)
	}))
	defer srv.Close()
	api := NewAPI(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("A", "B", ""), RetryMaxAttempts: 1}, srv.URL)
	_, err := New(api, "shop.local").Services(context.Background(), registry.Query{})
	if !errors.Is(err, registry.ErrTLSVerification) {
		t.Errorf("err = %v, want ErrTLSVerification", err)
	}
}
