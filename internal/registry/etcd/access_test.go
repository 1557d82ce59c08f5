package etcd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

// newClient is a clientv3 client for test set-up.
func newClient(t *testing.T, cfg clientv3.Config) *clientv3.Client {
	t.Helper()
	cfg.Logger = zap.NewNop()
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	cl, err := clientv3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// setupAuth turns authentication on: root (password rootpw) with the root
// role, and nobody (password nobodypw) with no role at all.
func setupAuth(t *testing.T, addr string) {
	t.Helper()
	cl := newClient(t, clientv3.Config{Endpoints: []string{addr}})
	ctx := context.Background()
	steps := []func() error{
		func() error { _, err := cl.RoleAdd(ctx, "root"); return err },
		func() error { _, err := cl.UserAdd(ctx, "root", "rootpw"); return err },
		func() error { _, err := cl.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cl.UserAdd(ctx, "nobody", "nobodypw"); return err },
		func() error { _, err := cl.AuthEnable(ctx); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("auth set-up step %d: %v", i, err)
		}
	}
}

func TestEtcdAuth(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	setupAuth(t, srv.ClientAddr)
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

	// A token etcd no longer accepts is renewed: a change of users makes
	// every token issued before it stale ("revision of auth store is
	// old"), as an expired token or a restarted member would.
	t.Run("a refused token is renewed", func(t *testing.T) {
		r, err := Open(config.Context{Address: srv.ClientAddr, Token: "root:rootpw"})
		if err != nil {
			t.Fatal(err)
		}
		er := r.(*Registry)
		defer er.Close()
		if _, err := er.Instances(ctx, "greeter"); err != nil {
			t.Fatal(err)
		}
		admin := newClient(t, clientv3.Config{Endpoints: []string{srv.ClientAddr}, Username: "root", Password: "rootpw"})
		if _, err := admin.UserAdd(ctx, "later", "laterpw"); err != nil {
			t.Fatal(err)
		}
		ins, idx, err := er.WatchInstances(ctx, "greeter", 0)
		if err != nil || len(ins) != 2 {
			t.Fatalf("read after the token went stale: %+v, %v", ins, err)
		}
		// Watches authenticate the same way.
		if _, err := admin.UserAdd(ctx, "later2", "laterpw"); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(300 * time.Millisecond)
			_, _ = admin.Put(context.Background(), "greeter/10.0.0.7:9000", `{"Op":0,"Addr":"10.0.0.7:9000"}`)
		}()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		ins, _, err = er.WatchInstances(wctx, "greeter", idx)
		if err != nil || len(ins) != 3 {
			t.Fatalf("watch after the token went stale: %d instances, %v", len(ins), err)
		}
	})
}

// Credentials for a cluster without authentication are not an error, as
// with etcdctl.
func TestEtcdCredentialsWithoutAuth(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	r, err := Open(config.Context{Address: srv.ClientAddr, Token: "root:pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.(*Registry).Close()
	if ins, err := r.Instances(context.Background(), "greeter"); err != nil || len(ins) != 2 {
		t.Errorf("credentials, auth off: %+v, %v", ins, err)
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
	other, err := testserver.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := testserver.WriteFiles(dir, ca, map[string]*testserver.Leaf{"client": client}); err != nil {
		t.Fatal(err)
	}
	otherDir := t.TempDir()
	if err := testserver.WriteFiles(otherDir, other, nil); err != nil {
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
		{"another CA", config.Context{Address: srv.ClientAddr, CAFile: filepath.Join(otherDir, "ca.pem"), CertFile: cert, KeyFile: key}, true},
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
			start := time.Now()
			_, err = r.Services(ctx, registry.Query{})
			if tt.wantTLS {
				if !errors.Is(err, registry.ErrTLSVerification) {
					t.Fatalf("err = %v, want ErrTLSVerification", err)
				}
				// The certificate error comes back, not a timeout.
				if d := time.Since(start); d >= registry.DefaultTimeout {
					t.Errorf("the TLS error took %v", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err, srv.Logs())
			}
		})
	}
}

// TestEtcdFailover lists a dead endpoint first: every call moves on to the
// live one, writes included (a refused connection sent nothing).
func TestEtcdFailover(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	dead1, dead2 := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	r, err := Open(config.Context{Address: dead1 + "," + srv.ClientAddr})
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
	if err := er.Register(ctx, registry.Registration{Service: "fo", ID: "f1", Address: "10.0.0.8", Port: 1}); err != nil {
		t.Errorf("register with a dead first endpoint: %v", err)
	}
	leader, err := er.Leader(ctx)
	if err != nil || leader != "http://"+srv.ClientAddr {
		t.Errorf("leader = %q, %v", leader, err)
	}

	// No endpoint alive: unreachable, naming both.
	r, err = Open(config.Context{Address: dead1 + "," + dead2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.(*Registry).Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = r.Instances(cctx, "greeter")
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), dead1) || !strings.Contains(err.Error(), dead2) {
		t.Errorf("err = %v, want unreachable naming both endpoints", err)
	}
}

// TestEtcdFailoverOnUnavailableMember puts a stand-in for a member that has
// lost its leader before a real etcd: reads move on to the live member,
// and a write is not sent again after the member answered, since it may
// have been applied.
func TestEtcdFailoverOnUnavailableMember(t *testing.T) {
	srv := testserver.StartEtcd(t)
	fake := startFakeMember(t)
	direct := newClient(t, clientv3.Config{Endpoints: []string{srv.ClientAddr}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := direct.Put(ctx, "plain/p1", `{"Op":0,"Addr":"10.0.0.1:80"}`); err != nil {
		t.Fatal(err)
	}
	r, err := Open(config.Context{Address: fake.addr + "," + srv.ClientAddr})
	if err != nil {
		t.Fatal(err)
	}
	er := r.(*Registry)
	defer er.Close()
	for i := 0; i < 4 || fake.ranges.Load() == 0; i++ {
		if i > 40 {
			t.Fatal("no read reached the stand-in member")
		}
		if ins, err := er.Instances(ctx, "plain"); err != nil || len(ins) != 1 {
			t.Fatalf("read %d: %+v, %v", i, ins, err)
		}
	}
	var failed int32
	for i := range 6 {
		err := er.Register(ctx, registry.Registration{Service: "w", ID: fmt.Sprint(i), Address: "10.0.0.2", Port: 1})
		if err == nil {
			continue
		}
		failed++
		var ue *registry.UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "no leader") {
			t.Errorf("put %d: %v, want unreachable: no leader", i, err)
		}
	}
	if puts := fake.puts.Load(); puts == 0 || failed != puts || failed == 6 {
		t.Errorf("%d puts failed, the stand-in saw %d: each put it answered must fail, and only those", failed, puts)
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
		if _, err := cl.Put(ctx, "other/key", "x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.Compact(ctx, int64(idx)+3, clientv3.WithCompactPhysical()); err != nil {
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
	tests := []struct {
		name string
		err  error
		want string // permission, tls or unreachable
	}{
		{"permission denied", rpctypes.ErrPermissionDenied, "permission"},
		{"invalid token", rpctypes.ErrInvalidAuthToken, "permission"},
		{"wrong password", rpctypes.ErrAuthFailed, "permission"},
		{"no user", rpctypes.ErrUserEmpty, "permission"},
		// A watch canceled for want of permission: clientv3 gives the
		// cancel reason as the text of a FailedPrecondition.
		{"watch canceled", status.Error(codes.FailedPrecondition, "rpc error: code = PermissionDenied desc = etcdserver: permission denied"), "permission"},
		{"no leader", rpctypes.ErrNoLeader, "unreachable"},
		{"future revision", rpctypes.ErrFutureRev, "unreachable"},
		{"certificate", status.Error(codes.Unavailable, `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`), "tls"},
		{"client certificate refused", status.Error(codes.Unavailable, `connection error: desc = "error reading server preface: remote error: tls: certificate required"`), "tls"},
		{"refused", status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`), "unreachable"},
		{"not etcd", status.Error(codes.Unavailable, `connection error: desc = "error reading server preface: http2: frame too large"`), "unreachable"},
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
	// A stream that broke off is opened again; etcd's refusals are not.
	for _, tt := range []struct {
		err    error
		broken bool
	}{
		{status.Error(codes.Unavailable, "transport is closing"), true},
		{io.EOF, true},
		{rpctypes.ErrFutureRev, false},
		{rpctypes.ErrNoLeader, false},
		{status.Error(codes.FailedPrecondition, "rpc error: code = PermissionDenied desc = etcdserver: permission denied"), false},
	} {
		if got := brokenStream(tt.err); got != tt.broken {
			t.Errorf("brokenStream(%v) = %v, want %v", tt.err, got, tt.broken)
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
	defer r.(*Registry).Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "no answer before the timeout") {
		t.Errorf("err = %v, want unreachable, no answer before the timeout", err)
	}
}

// TestEtcdNotEtcd points the adapter at an HTTP server that is not etcd
// (a stand-in for any other service on the port).
func TestEtcdNotEtcd(t *testing.T) {
	fake := httptest.NewServer(http.NotFoundHandler())
	defer fake.Close()
	r, err := Open(config.Context{Address: strings.TrimPrefix(fake.URL, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.(*Registry).Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Errorf("err = %v, want unreachable", err)
	}
}

// TestEtcdWatchReopens breaks the watch stream off: the first endpoint is
// a stand-in for a member that creates the watch, then goes away (its
// connections drop); the watch is opened again on the live member, which
// is reachable only from then on, and sees the change made there.
func TestEtcdWatchReopens(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	live := newClient(t, clientv3.Config{Endpoints: []string{srv.ClientAddr}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rng, err := live.Get(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	rev := rng.Header.Revision
	fake := startFakeMember(t)
	fake.watchRevision = rev
	// The live member's address refuses connections until the stand-in
	// has gone, so that the watch is created on the stand-in.
	var open atomic.Bool
	proxy := testserver.ServeTCP(t, func(c net.Conn) {
		if !open.Load() {
			return
		}
		up, err := net.Dial("tcp", srv.ClientAddr)
		if err != nil {
			return
		}
		defer up.Close()
		go func() { _, _ = io.Copy(up, c) }()
		_, _ = io.Copy(c, up)
	})
	r, err := Open(config.Context{Address: fake.addr + "," + proxy})
	if err != nil {
		t.Fatal(err)
	}
	er := r.(*Registry)
	defer er.Close()
	go func() {
		select {
		case <-fake.created:
		case <-ctx.Done():
			return
		}
		fake.srv.Stop()
		open.Store(true)
		_, _ = live.Put(ctx, "greeter/10.0.0.3:9000", `{"Op":0,"Addr":"10.0.0.3:9000"}`)
	}()
	ins, idx, err := er.WatchInstances(ctx, "greeter", uint64(rev))
	if err != nil || len(ins) != 3 || idx <= uint64(rev) {
		t.Fatalf("watch: %d instances, index %d, %v", len(ins), idx, err)
	}
	if n := fake.watches.Load(); n != 1 {
		t.Errorf("the stand-in saw %d watches, want 1", n)
	}
	// The watch asks for a leader, so that a member cut off from its
	// cluster ends it rather than leaving it silent.
	fake.mu.Lock()
	md := fake.watchMD
	fake.mu.Unlock()
	if got := md.Get("hasleader"); len(got) != 1 || got[0] != "true" {
		t.Errorf("watch metadata hasleader = %v, want [true]", got)
	}
}

// TestEtcdReadPagesAtOneRevision reads a prefix larger than a page while
// keys are being written: every page reads the first page's revision, so
// the keys are exactly those of that revision, in order.
func TestEtcdReadPagesAtOneRevision(t *testing.T) {
	srv := testserver.StartEtcd(t)
	cl := newClient(t, clientv3.Config{Endpoints: []string{srv.ClientAddr}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 1205
	ops := make([]clientv3.Op, 0, 100)
	for i := 0; i < n; i++ {
		ops = append(ops, clientv3.OpPut(fmt.Sprintf("page/%05d", i), fmt.Sprintf("v%d", i)))
		if len(ops) == 100 || i == n-1 {
			if _, err := cl.Txn(ctx).Then(ops...).Commit(); err != nil {
				t.Fatal(err)
			}
			ops = ops[:0]
		}
	}
	if _, err := cl.Put(ctx, "pagf", "outside the prefix"); err != nil {
		t.Fatal(err)
	}
	r, err := Open(config.Context{Address: srv.ClientAddr})
	if err != nil {
		t.Fatal(err)
	}
	er := r.(*Registry)
	defer er.Close()
	er.pageSize = 100
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = cl.Put(ctx, fmt.Sprintf("page/%05d-late%d", i%n, i), "late")
		}
	}()
	kvs, rev, err := er.read(ctx, "page/", false)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	then, err := cl.Get(ctx, "page/", clientv3.WithPrefix(), clientv3.WithRev(rev), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(kvs)) != then.Count || len(kvs) < n {
		t.Errorf("read %d keys; at revision %d the prefix held %d (at least %d)", len(kvs), rev, then.Count, n)
	}
	for i := 1; i < len(kvs); i++ {
		if kvs[i].key <= kvs[i-1].key {
			t.Fatalf("keys out of order at %d: %q after %q", i, kvs[i].key, kvs[i-1].key)
		}
	}
	if len(kvs) > 0 && (kvs[0].key != "page/00000" || !strings.HasPrefix(kvs[len(kvs)-1].key, "page/01204")) {
		t.Errorf("first %q last %q", kvs[0].key, kvs[len(kvs)-1].key)
	}
}

// TestEtcdLeaseExpiry registers with --check-ttl and nothing keeping the
// lease alive: the key goes with the lease.
func TestEtcdLeaseExpiry(t *testing.T) {
	srv := testserver.StartEtcd(t)
	r, err := Open(config.Context{Address: srv.ClientAddr})
	if err != nil {
		t.Fatal(err)
	}
	er := r.(*Registry)
	defer er.Close()
	ctx := context.Background()
	if err := er.Register(ctx, registry.Registration{Service: "short", ID: "s1", Address: "10.0.0.4", Port: 1,
		Checks: []registry.CheckSpec{{Type: "ttl", TTL: "2s"}}}); err != nil {
		t.Fatal(err)
	}
	ins, err := er.Instances(ctx, "short")
	if err != nil || len(ins) != 1 || ins[0].LeaseTTL != 2*time.Second || ins[0].Health != registry.Passing {
		t.Fatalf("after register: %+v, %v", ins, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := er.Instances(ctx, "short")
		if errors.Is(err, registry.ErrServiceNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the key outlived its 2s lease by 15s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
