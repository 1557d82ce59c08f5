package cloudmap

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
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
	c := NewClient("eu-west-1", srv.URL, credentials.NewStaticCredentialsProvider("AKIDX", "sx", "session-token"))
	out, err := c.DiscoverInstances(context.Background(), &DiscoverInstancesInput{NamespaceName: "ns", ServiceName: "svc", HealthStatus: "ALL", MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 1 || out.Instances[0].InstanceID != "i-1" || out.Instances[0].Attributes["AWS_INSTANCE_IPV4"] != "10.0.0.1" || out.InstancesRevision != 3 {
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
	if want := `{"NamespaceName":"ns","ServiceName":"svc","HealthStatus":"ALL","MaxResults":1000}`; string(body) != want {
		t.Errorf("body %s, want %s", body, want)
	}
}

func TestDefaultEndpoints(t *testing.T) {
	for _, tc := range []struct{ region, control, data string }{
		{"us-east-1", "https://servicediscovery.us-east-1.amazonaws.com", "https://data-servicediscovery.us-east-1.amazonaws.com"},
		{"cn-north-1", "https://servicediscovery.cn-north-1.amazonaws.com.cn", "https://data-servicediscovery.cn-north-1.amazonaws.com.cn"},
	} {
		c := NewClient(tc.region, "", nil)
		if c.Endpoint != tc.control || c.DataEndpoint != tc.data {
			t.Errorf("%s: %s %s", tc.region, c.Endpoint, c.DataEndpoint)
		}
	}
	c := NewClient("us-east-1", "https://vpce.example", nil)
	if c.Endpoint != "https://vpce.example" || c.DataEndpoint != "https://vpce.example" {
		t.Errorf("custom: %s %s", c.Endpoint, c.DataEndpoint)
	}
}

func TestParseError(t *testing.T) {
	for _, tc := range []struct {
		name, body, header string
		status             int
		code, msg          string
	}{
		{"namespace prefix", `{"__type":"com.amazonaws.servicediscovery#ServiceNotFound","Message":"no such service"}`, "", 400, "ServiceNotFound", "no such service"},
		{"doc suffix", `{"__type":"AccessDeniedException:http://internal.amazon.com/coral/","message":"not allowed"}`, "", 400, "AccessDeniedException", "not allowed"},
		{"both", `{"__type":"aws.protocoltests#FooError:http://x","message":"m"}`, "", 400, "FooError", "m"},
		{"header fallback", `{}`, "ThrottlingException:http://internal.amazon.com/", 400, "ThrottlingException", ""},
		{"code field", `{"code":"UnrecognizedClientException","message":"bad token"}`, "", 400, "UnrecognizedClientException", "bad token"},
		{"not json", "<html>Bad Gateway</html>\nmore", "", 502, "HTTP502", "<html>Bad Gateway</html>"},
		{"empty", "", "", 503, "HTTP503", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tc.body))}
			if tc.header != "" {
				resp.Header.Set("X-Amzn-ErrorType", tc.header)
			}
			var ae *APIError
			if err := parseError(resp); !errors.As(err, &ae) || ae.Code != tc.code || ae.Message != tc.msg || ae.StatusCode != tc.status {
				t.Errorf("got %#v, want code %q message %q", ae, tc.code, tc.msg)
			}
		})
	}
}

func TestClientRetriesThrottling(t *testing.T) {
	f := seeded(t)
	c := fakeClient(f, "secret")
	var waits []time.Duration
	c.Backoff = func(n int) time.Duration { waits = append(waits, time.Duration(n)); return time.Millisecond }

	// 429 then 503 then success: three attempts, each re-signed.
	f.FailNext(429, 503)
	out, err := c.ListNamespaces(context.Background(), &ListNamespacesInput{})
	if err != nil || len(out.Namespaces) != 2 {
		t.Fatalf("after retries: %+v, %v", out, err)
	}
	if n := f.Calls("ListNamespaces"); n != 3 || len(waits) != 2 {
		t.Errorf("%d calls, waits %v; want 3 calls, 2 waits", n, waits)
	}

	// Throttled on every attempt: the last error comes back.
	f.FailNext(429, 429, 429)
	_, err = c.ListNamespaces(context.Background(), &ListNamespacesInput{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "ThrottlingException" || ae.StatusCode != 429 {
		t.Errorf("always throttled: %v", err)
	}
	if n := f.Calls("ListNamespaces"); n != 6 {
		t.Errorf("%d calls, want 6", n)
	}

	// A refused request is not retried.
	before := f.Calls("ListServices")
	_, err = fakeClient(f, "wrong").ListServices(context.Background(), &ListServicesInput{})
	if !errors.As(err, &ae) || ae.Code != "InvalidSignatureException" || f.Calls("ListServices") != before {
		t.Errorf("wrong secret: %v, calls %d -> %d", err, before, f.Calls("ListServices"))
	}
}

func TestClientRetryRespectsContext(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c := NewClient("us-east-1", srv.URL, credentials.NewStaticCredentialsProvider("A", "B", ""))
	c.Backoff = func(int) time.Duration { return time.Hour }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ListNamespaces(ctx, &ListNamespacesInput{})
	if !errors.Is(err, context.DeadlineExceeded) || calls.Load() != 1 {
		t.Errorf("err %v after %d calls; want the deadline after 1 call", err, calls.Load())
	}
}

// alteringTransport changes the request body after it was signed.
type alteringTransport struct{}

func (alteringTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	b = bytes.Replace(b, []byte(`"ALL"`), []byte(`"HEALTHY"`), 1)
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	r2.ContentLength = int64(len(b))
	return http.DefaultTransport.RoundTrip(r2)
}

func TestFakeRefusesAlteredRequest(t *testing.T) {
	f := seeded(t)
	c := fakeClient(f, "secret")
	c.HTTP = &http.Client{Transport: alteringTransport{}}
	_, err := c.DiscoverInstances(context.Background(), &DiscoverInstancesInput{NamespaceName: "shop.local", ServiceName: "checkout", HealthStatus: "ALL"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "InvalidSignatureException" {
		t.Errorf("altered body: %v", err)
	}
	// Unaltered, the same request passes.
	c.HTTP = nil
	if _, err := c.DiscoverInstances(context.Background(), &DiscoverInstancesInput{NamespaceName: "shop.local", ServiceName: "checkout", HealthStatus: "ALL"}); err != nil {
		t.Errorf("unaltered: %v", err)
	}
}

func TestClientBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		// An endless error body is cut at maxErrorBody.
		_, _ = io.WriteString(w, `{"__type":"X","message":"`+strings.Repeat("a", maxErrorBody*2)+`"}`)
	}))
	defer srv.Close()
	c := NewClient("us-east-1", srv.URL, credentials.NewStaticCredentialsProvider("A", "B", ""))
	_, err := c.ListNamespaces(context.Background(), &ListNamespacesInput{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "HTTP400" || len(ae.Message) > 300 {
		t.Errorf("oversized error body: code %q, %d bytes of message", ae.Code, len(ae.Message))
	}
}
