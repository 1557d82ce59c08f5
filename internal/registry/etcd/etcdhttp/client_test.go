package etcdhttp

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRangePagingAtOneRevision(t *testing.T) {
	srv := testserver.StartEtcd(t)
	c := newClient(t, Config{Endpoints: []string{srv.ClientURL}})
	ctx := ctxT(t)
	const n = 1205
	for i := 0; i < n; i++ {
		if _, err := c.Put(ctx, fmt.Appendf(nil, "page/%05d", i), fmt.Appendf(nil, "v%d", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Put(ctx, []byte("pagf"), []byte("outside the prefix"), 0); err != nil {
		t.Fatal(err)
	}
	req := RangeRequest{Key: []byte("page/"), RangeEnd: PrefixEnd([]byte("page/")), Limit: 500, SortOrder: SortAscend, SortTarget: SortByKey}
	var keys []string
	var pages []int
	for {
		resp, err := c.Range(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if req.Revision == 0 {
			// A key written after the first page must not show up in
			// the later ones, which read the first page's revision.
			if _, err := c.Put(ctx, []byte("page/00000x"), []byte("late"), 0); err != nil {
				t.Fatal(err)
			}
		}
		req.Revision = resp.Header.Revision
		pages = append(pages, len(resp.Kvs))
		for _, kv := range resp.Kvs {
			keys = append(keys, string(kv.Key))
		}
		if !resp.More {
			break
		}
		req.Key = append(resp.Kvs[len(resp.Kvs)-1].Key, 0)
	}
	if fmt.Sprint(pages) != "[500 500 205]" {
		t.Errorf("pages = %v, want [500 500 205]", pages)
	}
	if len(keys) != n || keys[0] != "page/00000" || keys[n-1] != fmt.Sprintf("page/%05d", n-1) {
		t.Fatalf("read %d keys, first %q last %q", len(keys), keys[0], keys[len(keys)-1])
	}
	for i := 1; i < len(keys); i++ {
		if keys[i] <= keys[i-1] {
			t.Fatalf("keys out of order at %d: %q after %q", i, keys[i], keys[i-1])
		}
	}
	// Serializable and count-only reads go through too.
	resp, err := c.Range(ctx, RangeRequest{Key: []byte("page/"), RangeEnd: PrefixEnd([]byte("page/")), Serializable: true, CountOnly: true})
	if err != nil || resp.Count != n+1 || len(resp.Kvs) != 0 {
		t.Errorf("serializable count = %+v, %v; want %d", resp, err, n+1)
	}
}

func TestBinaryKeysAndValues(t *testing.T) {
	srv := testserver.StartEtcd(t)
	c := newClient(t, Config{Endpoints: []string{srv.ClientURL}})
	ctx := ctxT(t)
	tests := []struct{ name, key, value string }{
		{"ascii", "svc/a", `{"Addr":"10.0.0.1:80"}`},
		{"utf-8", "svc/сервис/日本", "значение ✓"},
		{"invalid utf-8 and NUL", "svc/\xff\xfe\x00k", "\x00\x01\xff\xc3"},
		{"empty value", "svc/empty", ""},
		{"json-looking base64", "svc/+/=", "==+/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Put(ctx, []byte(tt.key), []byte(tt.value), 0); err != nil {
				t.Fatal(err)
			}
			resp, err := c.Range(ctx, RangeRequest{Key: []byte(tt.key)})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Kvs) != 1 || string(resp.Kvs[0].Key) != tt.key || string(resp.Kvs[0].Value) != tt.value {
				t.Fatalf("read %+v, want %q=%q", resp.Kvs, tt.key, tt.value)
			}
			if resp.Kvs[0].ModRevision == 0 || resp.Kvs[0].Version != 1 {
				t.Errorf("revisions not decoded: %+v", resp.Kvs[0])
			}
		})
	}
	d, err := c.DeleteRange(ctx, []byte("svc/"), PrefixEnd([]byte("svc/")))
	if err != nil || d.Deleted != int64(len(tests)) {
		t.Errorf("delete prefix: %+v, %v; want %d deleted", d, err, len(tests))
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a", "b"},
		{"svc/", "svc0"},
		{"a\xff", "b"},
		{"a\xfe\xff\xff", "a\xff"},
		{"\xff\xff", "\x00"},
		{"", "\x00"},
	}
	for _, tt := range tests {
		if got := string(PrefixEnd([]byte(tt.in))); got != tt.want {
			t.Errorf("PrefixEnd(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWatchPutDeleteAndCancel(t *testing.T) {
	srv := testserver.StartEtcd(t)
	c := newClient(t, Config{Endpoints: []string{srv.ClientURL}})
	ctx := ctxT(t)
	if _, err := c.Put(ctx, []byte("w/before"), []byte("0"), 0); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := c.Watch(wctx, WatchRequest{Key: []byte("w/"), RangeEnd: PrefixEnd([]byte("w/")), RequireLeader: true, PrevKV: true})
	if err != nil {
		t.Fatal(err)
	}
	if w.Header.Revision == 0 {
		t.Error("the created message's header was not kept")
	}
	// Watch returned after etcd created the watch: these are seen.
	if _, err := c.Put(ctx, []byte("w/k\xff"), []byte("v1"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, []byte("x/outside"), []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRange(ctx, []byte("w/k\xff"), nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 2 {
		wr, err := w.Next()
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range wr.Events {
			prev := ""
			if ev.PrevKv != nil {
				prev = string(ev.PrevKv.Value)
			}
			got = append(got, fmt.Sprintf("%s %q=%q prev=%q", ev.Type, ev.Kv.Key, ev.Kv.Value, prev))
		}
	}
	want := []string{`PUT "w/k\xff"="v1" prev=""`, `DELETE "w/k\xff"="" prev="v1"`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events = %q, want %q", got, want)
	}

	// Canceling the context ends a Next that is waiting.
	done := make(chan error, 1)
	go func() {
		_, err := w.Next()
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next did not return after the context was canceled")
	}

	// A watch from an old revision replays what happened since.
	w2, err := c.Watch(ctx, WatchRequest{Key: []byte("w/before"), StartRevision: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	wr, err := w2.Next()
	if err != nil || len(wr.Events) != 1 || string(wr.Events[0].Kv.Value) != "0" {
		t.Fatalf("replay = %+v, %v", wr, err)
	}
}

func TestLeaseGrantTTLAndExpiry(t *testing.T) {
	srv := testserver.StartEtcd(t)
	c := newClient(t, Config{Endpoints: []string{srv.ClientURL}})
	ctx := ctxT(t)
	long, err := c.Grant(ctx, 60)
	if err != nil || long.ID == 0 || long.TTL != 60 {
		t.Fatalf("grant 60: %+v, %v", long, err)
	}
	short, err := c.Grant(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, []byte("l/short"), []byte("x"), short.ID); err != nil {
		t.Fatal(err)
	}
	r, err := c.Range(ctx, RangeRequest{Key: []byte("l/short")})
	if err != nil || len(r.Kvs) != 1 || r.Kvs[0].Lease != short.ID {
		t.Fatalf("key's lease = %+v, %v; want %d", r, err, short.ID)
	}
	ttl, err := c.TimeToLive(ctx, long.ID)
	if err != nil || ttl.GrantedTTL != 60 || ttl.TTL <= 0 || ttl.TTL > 60 || ttl.ID != long.ID {
		t.Errorf("time to live: %+v, %v", ttl, err)
	}
	ids, err := c.Leases(ctx)
	if err != nil || !contains(ids, long.ID) || !contains(ids, short.ID) {
		t.Errorf("leases = %v, %v; want %d and %d", ids, err, long.ID, short.ID)
	}
	// The short lease expires and takes its key along.
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, err := c.Range(ctx, RangeRequest{Key: []byte("l/short")})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Kvs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key outlived its 2s lease by 15s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	ttl, err = c.TimeToLive(ctx, short.ID)
	if err != nil || ttl.TTL != -1 {
		t.Errorf("expired lease: %+v, %v; want TTL -1", ttl, err)
	}
	if err := c.Revoke(ctx, long.ID); err != nil {
		t.Errorf("revoke: %v", err)
	}
	var e *Error
	if err := c.Revoke(ctx, long.ID); !errors.As(err, &e) || e.Code != CodeNotFound {
		t.Errorf("second revoke: %v, want NotFound", err)
	}
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// setupAuth turns authentication on: root (password rootpw) with the root
// role, and reader (password readerpw) with no role at all.
func setupAuth(t *testing.T, url string) {
	t.Helper()
	c := newClient(t, Config{Endpoints: []string{url}})
	ctx := ctxT(t)
	for _, step := range []struct{ path, body string }{
		{"/v3/auth/role/add", `{"name":"root"}`},
		{"/v3/auth/user/add", `{"name":"root","password":"rootpw"}`},
		{"/v3/auth/user/grant", `{"user":"root","role":"root"}`},
		{"/v3/auth/user/add", `{"name":"reader","password":"readerpw"}`},
		{"/v3/auth/enable", `{}`},
	} {
		r, err := c.post(ctx, step.path, []byte(step.body), "", callOpts{})
		if err != nil {
			t.Fatalf("%s: %v", step.path, err)
		}
		r.Body.Close()
	}
}

func TestAuth(t *testing.T) {
	srv := testserver.StartEtcd(t)
	setupAuth(t, srv.ClientURL)
	ctx := ctxT(t)
	tests := []struct {
		name, user, password string
		wantCode             int // 0: the read succeeds
	}{
		{"root", "root", "rootpw", 0},
		{"wrong password", "root", "s3cret-wrong", CodeInvalidArgument},
		{"no credentials", "", "", CodeInvalidArgument},
		{"user without a role", "reader", "readerpw", CodePermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, Config{Endpoints: []string{srv.ClientURL}, Username: tt.user, Password: tt.password})
			_, err := c.Range(ctx, RangeRequest{Key: []byte("a")})
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.wantCode || !e.AuthFailure() {
				t.Fatalf("err = %#v, want an auth failure with code %d", err, tt.wantCode)
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}

	t.Run("a refused token is renewed", func(t *testing.T) {
		c := newClient(t, Config{Endpoints: []string{srv.ClientURL}, Username: "root", Password: "rootpw"})
		if _, err := c.Put(ctx, []byte("a"), []byte("1"), 0); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		first := c.token
		c.token = "expired.1" // as after --auth-token-ttl or a restart
		c.mu.Unlock()
		if _, err := c.Range(ctx, RangeRequest{Key: []byte("a")}); err != nil {
			t.Fatalf("after the token was refused: %v", err)
		}
		c.mu.Lock()
		renewed := c.token
		c.mu.Unlock()
		if renewed == "" || renewed == "expired.1" || renewed == first {
			t.Errorf("token %q was not renewed (first %q)", renewed, first)
		}
		// Watches authenticate the same way.
		c.mu.Lock()
		c.token = "expired.2"
		c.mu.Unlock()
		w, err := c.Watch(ctx, WatchRequest{Key: []byte("a")})
		if err != nil {
			t.Fatalf("watch after the token was refused: %v", err)
		}
		w.Close()
	})

	t.Run("a watch without permission", func(t *testing.T) {
		c := newClient(t, Config{Endpoints: []string{srv.ClientURL}, Username: "reader", Password: "readerpw"})
		_, err := c.Watch(ctx, WatchRequest{Key: []byte("a")})
		var e *Error
		if !errors.As(err, &e) || e.Code != CodePermissionDenied {
			t.Fatalf("err = %v, want PermissionDenied", err)
		}
	})
}

func TestFailover(t *testing.T) {
	srv := testserver.StartEtcd(t)
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	dead1 := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	dead2 := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	ctx := ctxT(t)

	c := newClient(t, Config{Endpoints: []string{dead1, srv.ClientURL}})
	// A write moves on too: a refused connection sent nothing.
	if _, err := c.Put(ctx, []byte("f"), []byte("1"), 0); err != nil {
		t.Fatalf("put with a dead first endpoint: %v", err)
	}
	if c.order("")[0] != srv.ClientURL {
		t.Errorf("calls go to %v first, want the live endpoint", c.order(""))
	}
	if r, err := c.Range(ctx, RangeRequest{Key: []byte("f")}); err != nil || len(r.Kvs) != 1 {
		t.Errorf("range: %+v, %v", r, err)
	}

	c = newClient(t, Config{Endpoints: []string{dead1, dead2}})
	_, err = c.Range(ctx, RangeRequest{Key: []byte("f")})
	var ue *UnavailableError
	var op *net.OpError
	if !errors.As(err, &ue) || !errors.As(err, &op) || len(ue.Errs) != 2 {
		t.Fatalf("err = %#v, want UnavailableError of two dial errors", err)
	}
	if !strings.Contains(err.Error(), dead1+": dial tcp") || !strings.Contains(err.Error(), dead2+": dial tcp") {
		t.Errorf("message %q should name both endpoints", err)
	}

	c = newClient(t, Config{Endpoints: []string{dead1}})
	_, err = c.Range(ctx, RangeRequest{Key: []byte("f")})
	if err == nil || !strings.HasPrefix(err.Error(), "dial tcp 127.0.0.1:") {
		t.Errorf("one endpoint: err = %v, want the dial error alone", err)
	}
}

// TestFailoverOnUnavailableMember uses a stand-in for a member that has
// lost its leader (a fake answering as etcd's gateway does then), followed
// by a real etcd.
func TestFailoverOnUnavailableMember(t *testing.T) {
	srv := testserver.StartEtcd(t)
	var calls atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14}`)
	}))
	defer fake.Close()
	ctx := ctxT(t)
	c := newClient(t, Config{Endpoints: []string{fake.URL, srv.ClientURL}})
	if _, err := c.Range(ctx, RangeRequest{Key: []byte("a")}); err != nil {
		t.Fatalf("read: %v", err)
	}
	// A write is not sent again after an answer: it may have been applied.
	c = newClient(t, Config{Endpoints: []string{fake.URL, srv.ClientURL}})
	_, err := c.Put(ctx, []byte("a"), []byte("1"), 0)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnavailable || e.HTTPStatus != 503 || calls.Load() != 2 {
		t.Errorf("put: %v (calls %d), want the no-leader error", err, calls.Load())
	}
}

func TestTLS(t *testing.T) {
	ca, err := testserver.NewCA("etcd test CA")
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.StartEtcdWith(t, testserver.EtcdOptions{CA: ca, ClientCertAuth: true})
	if !strings.HasPrefix(srv.ClientURL, "https://") {
		t.Fatalf("client URL %s", srv.ClientURL)
	}
	client, err := ca.Issue(testserver.LeafOptions{CommonName: "msctl", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := testserver.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	tests := []struct {
		name    string
		tls     *tls.Config
		wantErr string // "" for success
	}{
		{"CA and client certificate", &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{client.TLS}}, ""},
		{"verification is on by default", nil, "certificate signed by unknown authority"},
		{"another CA", &tls.Config{RootCAs: other.Pool(), Certificates: []tls.Certificate{client.TLS}}, "certificate signed by unknown authority"},
		{"skip verification", &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{client.TLS}}, ""}, //nolint:gosec // the test of the flag
		{"no client certificate", &tls.Config{RootCAs: ca.Pool()}, "remote error: tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, Config{Endpoints: []string{srv.ClientURL}, TLS: tt.tls})
			_, err := c.Range(ctx, RangeRequest{Key: []byte("a")})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err, srv.Logs())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestWatchCompacted(t *testing.T) {
	srv := testserver.StartEtcd(t)
	c := newClient(t, Config{Endpoints: []string{srv.ClientURL}})
	ctx := ctxT(t)
	var rev int64
	for i := 0; i < 3; i++ {
		p, err := c.Put(ctx, []byte("c"), fmt.Appendf(nil, "%d", i), 0)
		if err != nil {
			t.Fatal(err)
		}
		rev = p.Header.Revision
	}
	var resp struct{}
	if err := c.Call(ctx, "/v3/kv/compaction", json.RawMessage(fmt.Sprintf(`{"revision":"%d"}`, rev)), &resp); err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(ctx, WatchRequest{Key: []byte("c"), StartRevision: 1})
	if err == nil {
		defer w.Close()
		_, err = w.Next()
	}
	var ce *CompactedError
	if !errors.As(err, &ce) || ce.CompactRevision != rev {
		t.Fatalf("err = %v, want CompactedError at %d", err, rev)
	}
}
