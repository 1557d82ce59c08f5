package etcd

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/etcd/etcdhttp"
	"github.com/msctl/msctl/internal/testserver"
)

// gatewayPost sends one raw call to etcd's JSON gateway, for test set-up.
func gatewayPost(t *testing.T, ep, path, body string) {
	t.Helper()
	cl, err := etcdhttp.New(etcdhttp.Config{Endpoints: []string{ep}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var resp struct{}
	if err := cl.Call(context.Background(), path, json.RawMessage(body), &resp); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestEtcdAuth(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	for _, step := range [][2]string{
		{"/v3/auth/role/add", `{"name":"root"}`},
		{"/v3/auth/user/add", `{"name":"root","password":"rootpw"}`},
		{"/v3/auth/user/grant", `{"user":"root","role":"root"}`},
		{"/v3/auth/user/add", `{"name":"nobody","password":"nobodypw"}`},
		{"/v3/auth/enable", `{}`},
	} {
		gatewayPost(t, srv.ClientURL, step[0], step[1])
	}
	ctx := context.Background()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("root:rootpw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		c          config.Context
		permission bool // want ErrPermissionDenied rather than success
	}{
		{"token", config.Context{Address: srv.ClientAddr, Token: "root:rootpw"}, false},
		{"token file", config.Context{Address: srv.ClientAddr, TokenFile: tokenFile}, false},
		{"wrong password", config.Context{Address: srv.ClientAddr, Token: "root:hunter2"}, true},
		{"no token", config.Context{Address: srv.ClientAddr}, true},
		{"user without a role", config.Context{Address: srv.ClientAddr, Token: "nobody:nobodypw"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			defer r.(*Registry).Close()
			ins, err := r.Instances(ctx, "greeter")
			if !tt.permission {
				if err != nil || len(ins) != 2 || ins[0].LeaseTTL != 30*time.Second {
					t.Fatalf("instances = %+v, %v", ins, err)
				}
				// Register and watch go through the same credentials.
				if err := r.(*Registry).Register(ctx, registry.Registration{Service: "auth", ID: "a1", Address: "10.0.0.5", Port: 1}); err != nil {
					t.Errorf("register: %v", err)
				}
				return
			}
			if !errors.Is(err, registry.ErrPermissionDenied) {
				t.Fatalf("err = %v, want ErrPermissionDenied", err)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "nobodypw") {
				t.Errorf("the error shows the password: %v", err)
			}
			_, _, err = r.(*Registry).WatchInstances(ctx, "greeter", 1)
			if !errors.Is(err, registry.ErrPermissionDenied) {
				t.Errorf("watch: err = %v, want ErrPermissionDenied", err)
			}
		})
	}
}

func TestEtcdTLS(t *testing.T) {
	ca, err := testserver.NewCA("etcd adapter test CA")
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.StartEtcdWith(t, testserver.EtcdOptions{CA: ca, ClientCertAuth: true})
	client, err := ca.Issue(testserver.LeafOptions{CommonName: "msctl", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := testserver.WriteFiles(dir, ca, map[string]*testserver.Leaf{"client": client}); err != nil {
		t.Fatal(err)
	}
	caFile, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	ctx := context.Background()
	tests := []struct {
		name    string
		c       config.Context
		wantTLS bool
	}{
		{"CA and client certificate", config.Context{Address: srv.ClientAddr, CAFile: caFile, CertFile: cert, KeyFile: key}, false},
		{"https without the CA", config.Context{Address: "https://" + srv.ClientAddr, CertFile: cert, KeyFile: key}, true},
		{"skip verification", config.Context{Address: srv.ClientAddr, Insecure: true, CertFile: cert, KeyFile: key}, false},
		{"no client certificate", config.Context{Address: srv.ClientAddr, CAFile: caFile}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			defer r.(*Registry).Close()
			_, err = r.Services(ctx, registry.Query{})
			if tt.wantTLS {
				if !errors.Is(err, registry.ErrTLSVerification) {
					t.Fatalf("err = %v, want ErrTLSVerification", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEtcdFailover lists a dead endpoint first: every call moves on to the
// live one.
func TestEtcdFailover(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(config.Context{Address: fmt.Sprintf("127.0.0.1:%d,%s", ports[0], srv.ClientAddr)})
	if err != nil {
		t.Fatal(err)
	}
	er := r.(*Registry)
	defer er.Close()
	ctx := context.Background()
	ins, err := er.Instances(ctx, "greeter")
	if err != nil || len(ins) != 2 {
		t.Fatalf("instances = %+v, %v", ins, err)
	}
	leader, err := er.Leader(ctx)
	if err != nil || leader != "http://"+srv.ClientAddr {
		t.Errorf("leader = %q, %v", leader, err)
	}
}

// TestEtcdWatchCompacted watches from a revision that has been compacted
// away: the adapter reads afresh instead of failing.
func TestEtcdWatchCompacted(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	r, err := Open(config.Context{Address: srv.ClientAddr})
	if err != nil {
		t.Fatal(err)
	}
	er := r.(*Registry)
	defer er.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, idx, err := er.WatchInstances(ctx, "greeter", 0)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := er.connect()
	for i := 0; i < 3; i++ {
		if _, err := cl.Put(ctx, []byte("other/key"), []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	var resp struct{}
	if err := cl.Call(ctx, "/v3/kv/compaction", json.RawMessage(fmt.Sprintf(`{"revision":"%d","physical":true}`, idx+3)), &resp); err != nil {
		t.Fatal(err)
	}
	ins, idx2, err := er.WatchInstances(ctx, "greeter", idx)
	if err != nil || len(ins) != 2 || idx2 <= idx {
		t.Fatalf("watch from a compacted revision: %d instances, index %d -> %d, %v", len(ins), idx, idx2, err)
	}

	// A canceled watch returns the context's error.
	cctx, ccancel := context.WithCancel(ctx)
	go func() {
		time.Sleep(200 * time.Millisecond)
		ccancel()
	}()
	if _, _, err := er.WatchInstances(cctx, "greeter", idx2); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled watch: %v", err)
	}
}

func TestWrapClassification(t *testing.T) {
	r := &Registry{endpoints: []string{"http://127.0.0.1:1"}}
	tlsErr := &tls.CertificateVerificationError{Err: errors.New("x509: certificate signed by unknown authority")}
	tests := []struct {
		name string
		err  error
		want string // permission, tls or unreachable
	}{
		{"permission denied", &etcdhttp.Error{Code: 7, Message: "etcdserver: permission denied"}, "permission"},
		{"invalid token", &etcdhttp.Error{Code: 16, Message: "etcdserver: invalid auth token"}, "permission"},
		{"wrong password", &etcdhttp.Error{Code: 3, Message: "etcdserver: authentication failed, invalid user ID or password"}, "permission"},
		{"no user", &etcdhttp.Error{Code: 3, Message: "etcdserver: user name is empty"}, "permission"},
		{"no leader", &etcdhttp.Error{Code: 14, Message: "etcdserver: no leader"}, "unreachable"},
		{"future revision", &etcdhttp.Error{Code: 11, Message: "etcdserver: mvcc: required revision is a future revision"}, "unreachable"},
		{"certificate", &etcdhttp.UnavailableError{Endpoints: r.endpoints, Errs: []error{tlsErr}}, "tls"},
		{"refused", &etcdhttp.UnavailableError{Endpoints: r.endpoints, Errs: []error{&url.Error{Op: "Post", URL: "x", Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}}}, "unreachable"},
		{"not etcd", &etcdhttp.HTTPError{StatusCode: 404, Path: "/v3/kv/range"}, "unreachable"},
	}
	for _, tt := range tests {
		err := r.wrap(tt.err)
		var ue *registry.UnreachableError
		got := "other"
		switch {
		case errors.Is(err, registry.ErrPermissionDenied):
			got = "permission"
		case errors.Is(err, registry.ErrTLSVerification):
			got = "tls"
		case errors.As(err, &ue):
			got = "unreachable"
		}
		if got != tt.want {
			t.Errorf("%s: %v classified %s, want %s", tt.name, err, got, tt.want)
		}
	}
}

// TestEtcdSilentPort points the adapter at a port that accepts
// connections and never answers.
func TestEtcdSilentPort(t *testing.T) {
	addr := testserver.ServeTCP(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	r, err := Open(config.Context{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "no answer before the timeout") {
		t.Errorf("err = %v, want unreachable, no answer before the timeout", err)
	}
}

// TestEtcdWatchReopens breaks the watch stream off: the first endpoint is
// a stand-in for a member that creates the watch, then goes away (its
// connections drop); the watch is opened again on the live member and
// sees the change made there.
func TestEtcdWatchReopens(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	var calls atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 && r.URL.Path == "/v3/watch" {
			fmt.Fprintln(w, `{"result":{"header":{"revision":"1"},"created":true}}`)
			return // the stream ends without the watch being canceled
		}
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer fake.Close()
	r, err := Open(config.Context{Address: strings.TrimPrefix(fake.URL, "http://") + "," + srv.ClientAddr})
	if err != nil {
		t.Fatal(err)
	}
	er := r.(*Registry)
	defer er.Close()
	live, _ := etcdhttp.New(etcdhttp.Config{Endpoints: []string{srv.ClientURL}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rng, err := live.Range(ctx, etcdhttp.RangeRequest{Key: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(time.Second)
		_, _ = live.Put(ctx, []byte("greeter/10.0.0.3:9000"), []byte(`{"Op":0,"Addr":"10.0.0.3:9000"}`), 0)
	}()
	ins, idx, err := er.WatchInstances(ctx, "greeter", uint64(rng.Header.Revision))
	if err != nil || len(ins) != 3 || idx <= uint64(rng.Header.Revision) {
		t.Fatalf("watch: %d instances, index %d, %v", len(ins), idx, err)
	}
	if calls.Load() < 2 {
		t.Errorf("the stand-in saw %d calls; the watch was not opened again", calls.Load())
	}
}
