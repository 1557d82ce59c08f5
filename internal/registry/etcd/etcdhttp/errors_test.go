package etcdhttp

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/testserver"
)

func TestErrorsFromRealServer(t *testing.T) {
	srv := testserver.StartEtcd(t)
	c := newClient(t, Config{Endpoints: []string{srv.ClientURL}})
	ctx := ctxT(t)
	var e *Error
	_, err := c.Range(ctx, RangeRequest{Key: []byte("a"), Revision: 1 << 40})
	if !errors.As(err, &e) || e.Code != CodeOutOfRange || !strings.Contains(e.Message, "future revision") || e.HTTPStatus == 200 {
		t.Errorf("future revision: %#v", err)
	}
	_, err = c.Range(ctx, RangeRequest{})
	if !errors.As(err, &e) || e.Code != CodeInvalidArgument || e.Message != "etcdserver: key is not provided" {
		t.Errorf("no key: %#v", err)
	}
	_, err = c.Authenticate(ctx, "root", "pw")
	if !errors.As(err, &e) || e.Code != CodeFailedPrecondition {
		t.Errorf("authenticate without auth on: %#v", err)
	}
	// Credentials for a cluster without authentication are not an error,
	// as with clientv3.
	c = newClient(t, Config{Endpoints: []string{srv.ClientURL}, Username: "root", Password: "pw"})
	if _, err := c.Range(ctx, RangeRequest{Key: []byte("a")}); err != nil {
		t.Errorf("credentials, auth off: %v", err)
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		name, body string
		code       int
		msg        string
		auth       bool
	}{
		{"etcd 3.4/3.5 unary", `{"error":"etcdserver: permission denied","message":"etcdserver: permission denied","code":7}`, 7, "etcdserver: permission denied", true},
		{"etcd 3.6 unary", `{"code":16,"message":"etcdserver: invalid auth token","details":[]}`, 16, "etcdserver: invalid auth token", true},
		{"stream", `{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}`, 14, "etcdserver: no leader", false},
		{"wrong password", `{"error":"etcdserver: authentication failed, invalid user ID or password","code":3}`, 3, "etcdserver: authentication failed, invalid user ID or password", true},
		{"error text only", `{"error":"boom"}`, CodeUnknown, "boom", false},
		{"future revision", `{"error":"x","message":"etcdserver: mvcc: required revision is a future revision","code":11}`, 11, "etcdserver: mvcc: required revision is a future revision", false},
	}
	for _, tt := range tests {
		e := parseError([]byte(tt.body))
		if e == nil || e.Code != tt.code || e.Message != tt.msg || e.AuthFailure() != tt.auth {
			t.Errorf("%s: %#v, want code %d %q auth %v", tt.name, e, tt.code, tt.msg, tt.auth)
		}
	}
	for _, body := range []string{"Not Found", "", `{}`, `{"kvs":[]}`, `[1]`} {
		if e := parseError([]byte(body)); e != nil {
			t.Errorf("%q read as an error: %#v", body, e)
		}
	}
}

func TestCancelReason(t *testing.T) {
	tests := []struct {
		reason string
		code   int
		msg    string
	}{
		{"rpc error: code = PermissionDenied desc = etcdserver: permission denied", 7, "etcdserver: permission denied"},
		{"rpc error: code = Unauthenticated desc = etcdserver: invalid auth token", 16, "etcdserver: invalid auth token"},
		{"rpc error: code = InvalidArgument desc = etcdserver: user name is empty", 3, "etcdserver: user name is empty"},
		{"rpc error: code = Code(42) desc = odd", 42, "odd"},
		{"etcdserver: no leader", CodeUnknown, "etcdserver: no leader"},
	}
	for _, tt := range tests {
		e := cancelReasonError(tt.reason)
		if e.Code != tt.code || e.Message != tt.msg {
			t.Errorf("%q: %#v, want %d %q", tt.reason, e, tt.code, tt.msg)
		}
	}
}

// TestNotEtcd points the client at an HTTP server that is not etcd (a
// stand-in for any other service on the port, or an etcd older than 3.4).
func TestNotEtcd(t *testing.T) {
	fake := httptest.NewServer(http.NotFoundHandler())
	defer fake.Close()
	c := newClient(t, Config{Endpoints: []string{fake.URL}})
	_, err := c.Range(ctxT(t), RangeRequest{Key: []byte("a")})
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 404 || !strings.Contains(err.Error(), "etcd 3.4 or later") {
		t.Errorf("err = %v, want an HTTPError naming etcd 3.4", err)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 4096)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"kvs":[{"key":"YQ==","value":"%s"}]}`, big)
	}))
	defer fake.Close()
	c := newClient(t, Config{Endpoints: []string{fake.URL}, MaxResponseBytes: 1024})
	_, err := c.Range(ctxT(t), RangeRequest{Key: []byte("a")})
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("err = %v, want the size limit", err)
	}
}

// TestNotJSON points the client at a stand-in for a web server that
// answers 200 with HTML to any path.
func TestNotJSON(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>hello</html>")
	}))
	defer fake.Close()
	c := newClient(t, Config{Endpoints: []string{fake.URL}})
	_, err := c.Range(ctxT(t), RangeRequest{Key: []byte("a")})
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 200 || he.Body != "<html>hello</html>" {
		t.Errorf("err = %#v, want an HTTPError", err)
	}
}

// TestWatchHeaders checks what a watch sends, against a stand-in that
// records the request and answers as etcd's gateway does.
func TestWatchHeaders(t *testing.T) {
	got := make(chan http.Header, 1)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		fmt.Fprintln(w, `{"result":{"header":{"revision":"7"},"created":true}}`)
		fmt.Fprintln(w, `{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}`)
	}))
	defer fake.Close()
	c := newClient(t, Config{Endpoints: []string{fake.URL}})
	w, err := c.Watch(ctxT(t), WatchRequest{Key: []byte("a"), RequireLeader: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	h := <-got
	if h.Get("Grpc-Metadata-Hasleader") != "true" || h.Get("Authorization") != "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", h)
	}
	if w.Header.Revision != 7 {
		t.Errorf("header revision = %d, want 7", w.Header.Revision)
	}
	_, err = w.Next()
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnavailable || e.Message != "etcdserver: no leader" {
		t.Errorf("stream error = %#v, want no leader", err)
	}
}
