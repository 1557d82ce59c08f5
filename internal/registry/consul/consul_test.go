package consul

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/regtest"
	"github.com/msctl/msctl/internal/testserver"
)

func open(t *testing.T, c config.Context) *Registry {
	t.Helper()
	r, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// scenario registers web (passing, warning, critical with a closed port),
// api (no checks) and returns the agent.
func scenario(t *testing.T) *testserver.Consul {
	c := testserver.StartConsul(t)
	live := regtest.Listen(t)
	regtest.Register(t, c.HTTPAddr, regtest.Service{ID: "web-1", Name: "web", Address: "127.0.0.1", Port: live,
		Tags: []string{"v1", "canary"}, Meta: map[string]string{"version": "1.0.0"},
		Checks: []regtest.Check{{CheckID: "web-1-ttl", TTL: "1h", Status: "passing"}}})
	regtest.Register(t, c.HTTPAddr, regtest.Service{ID: "web-2", Name: "web", Address: "127.0.0.1", Port: regtest.Listen(t),
		Tags: []string{"v1"}, Meta: map[string]string{"version": "1.1.0"},
		Checks: []regtest.Check{{CheckID: "web-2-ttl", TTL: "1h"}}})
	regtest.SetTTL(t, c.HTTPAddr, "web-2-ttl", "warn", "slow")
	closed := regtest.ClosedPort(t)
	regtest.Register(t, c.HTTPAddr, regtest.Service{ID: "web-3", Name: "web", Address: "127.0.0.1", Port: closed,
		Checks: []regtest.Check{{CheckID: "web-3-tcp", TCP: fmt.Sprintf("127.0.0.1:%d", closed), Interval: "1s"}}})
	regtest.Register(t, c.HTTPAddr, regtest.Service{ID: "api-1", Name: "api", Address: "127.0.0.1", Port: live})
	return c
}

func TestServicesAndInstances(t *testing.T) {
	c := scenario(t)
	r := open(t, config.Context{Address: c.HTTPAddr})
	ctx := context.Background()

	svcs, err := r.Services(ctx, registry.Query{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]registry.Service{}
	for _, s := range svcs {
		got[s.Name] = s
	}
	web := got["web"]
	if web.Instances != 3 || web.ByHealth[registry.Passing] != 1 || web.ByHealth[registry.Warning] != 1 || web.ByHealth[registry.Critical] != 1 {
		t.Errorf("web = %+v, want 3 instances: 1 passing, 1 warning, 1 critical", web)
	}
	if fmt.Sprint(web.Versions) != "[1.0.0 1.1.0]" || fmt.Sprint(web.Tags) != "[canary v1]" {
		t.Errorf("web versions %v tags %v", web.Versions, web.Tags)
	}
	if api := got["api"]; api.Instances != 1 || api.ByHealth[registry.Passing] != 1 {
		t.Errorf("api (no checks, so passing as Consul counts it) = %+v", api)
	}
	if _, ok := got["consul"]; !ok {
		t.Errorf("consul service missing from %v", svcs)
	}

	tagged, err := r.Services(ctx, registry.Query{Tag: "canary"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tagged) != 1 || tagged[0].Name != "web" || tagged[0].Instances != 1 {
		t.Errorf("--tag canary = %+v, want web with 1 instance", tagged)
	}
	filtered, err := r.Services(ctx, registry.Query{Filter: `ServiceMeta.version == "1.1.0"`})
	if err != nil {
		t.Fatal(err)
	}
	if len(filtered) != 1 || filtered[0].Name != "web" {
		t.Errorf("--filter = %+v, want web", filtered)
	}
	if _, err := r.Services(ctx, registry.Query{Filter: "bogus =="}); !errors.Is(err, registry.ErrInvalidQuery) {
		t.Errorf("bad filter: err = %v, want ErrInvalidQuery", err)
	}

	ins, err := r.Instances(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 3 {
		t.Fatalf("instances = %d, want 3", len(ins))
	}
	want := map[string]registry.Health{"web-1": registry.Passing, "web-2": registry.Warning, "web-3": registry.Critical}
	for _, in := range ins {
		if in.Health != want[in.ID] {
			t.Errorf("%s health = %s, want %s", in.ID, in.Health, want[in.ID])
		}
		if in.NodeState != "alive" {
			t.Errorf("%s node state = %q, want alive", in.ID, in.NodeState)
		}
		if len(in.Checks) != 2 {
			t.Errorf("%s checks = %+v, want serfHealth and its own", in.ID, in.Checks)
		}
	}
	// The TCP check's output comes from the agent, fresher than the catalog.
	regtest.Eventually(t, 10*time.Second, func() error {
		ins, err := r.Instances(ctx, "web")
		if err != nil {
			return err
		}
		for _, c := range ins[2].Checks {
			if c.ID == "web-3-tcp" && c.Output != "" && c.Type == "tcp" {
				return nil
			}
		}
		return fmt.Errorf("web-3 checks %+v lack the tcp output", ins[2].Checks)
	})

	if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("unknown service: err = %v, want ErrServiceNotFound", err)
	}
	if l, err := r.Leader(ctx); err != nil || l == "" {
		t.Errorf("leader = %q, %v", l, err)
	}
	srv, err := r.LookupSRV(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	// Consul's DNS leaves critical instances out.
	if len(srv) != 2 {
		t.Errorf("SRV answers = %+v, want 2 (web-1, web-2)", srv)
	}
	for _, mode := range []registry.Consistency{registry.Stale, registry.Consistent} {
		if ins, err := r.InstancesWith(ctx, "web", mode); err != nil || len(ins) != 3 {
			t.Errorf("%s read: %d instances, %v", mode, len(ins), err)
		}
	}
}

func TestUnreachable(t *testing.T) {
	port := regtest.ClosedPort(t)
	r := open(t, config.Context{Address: fmt.Sprintf("127.0.0.1:%d", port)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
	// A black-holed address times out as unreachable, not as an opaque error.
	r = open(t, config.Context{Address: "http://192.0.2.1:8500"}) // TEST-NET-1, never routed
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if _, err := r.Instances(ctx2, "web"); !errors.As(err, &ue) {
		t.Fatalf("timeout: err = %v, want UnreachableError", err)
	}
}

func TestBadToken(t *testing.T) {
	c := testserver.StartConsul(t, testserver.ConsulOptions{HCL: `acl { enabled = true
  default_policy = "deny"
  tokens { initial_management = "root-token-for-tests" } }`})
	r := open(t, config.Context{Address: c.HTTPAddr, Token: "00000000-0000-0000-0000-000000000000"})
	_, err := r.Services(context.Background(), registry.Query{})
	if !errors.Is(err, registry.ErrPermissionDenied) {
		t.Fatalf("err = %v, want ErrPermissionDenied", err)
	}
	tokenFile := t.TempDir() + "/token"
	if err := os.WriteFile(tokenFile, []byte("root-token-for-tests\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = open(t, config.Context{Address: c.HTTPAddr, TokenFile: tokenFile})
	if _, err := r.Services(context.Background(), registry.Query{}); err != nil {
		t.Fatalf("with the management token from a file: %v", err)
	}
}

func TestAddressForms(t *testing.T) {
	for _, tt := range []struct {
		in   config.Context
		base string
		err  bool
	}{
		{config.Context{Address: "consul.example:8501"}, "http://consul.example:8501", false},
		{config.Context{Address: "https://consul.example:8501"}, "https://consul.example:8501", false},
		{config.Context{Address: "consul.example"}, "http://consul.example:8500", false},
		{config.Context{Address: "ftp://x"}, "", true},
		{config.Context{Address: "127.0.0.1:"}, "", true},
		{config.Context{Address: "127.0.0.1:99999"}, "", true},
		{config.Context{Address: "http://:8500"}, "", true},
	} {
		r, err := New(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%+v: err = %v", tt.in, err)
			continue
		}
		if err == nil && r.base != tt.base {
			t.Errorf("%+v: base = %s, want %s", tt.in, r.base, tt.base)
		}
	}
}

// TestNotConsul points the adapter at HTTP servers that are not Consul.
func TestNotConsul(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"404":  http.NotFound,
		"html": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>hello</html>") },
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			r := open(t, config.Context{Address: srv.URL})
			_, err := r.Services(context.Background(), registry.Query{})
			var ue *registry.UnreachableError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), "not a Consul agent") {
				t.Fatalf("err = %v, want UnreachableError saying it is not Consul", err)
			}
		})
	}
}

func TestDefinitionFromOutput(t *testing.T) {
	for _, tt := range []struct{ typ, out, want string }{
		{"http", "HTTP GET http://127.0.0.1:8080/readyz: 200 OK Output: ok", "http://127.0.0.1:8080/readyz"},
		{"http", "HTTP GET https://10.0.0.1:8443/readyz: 503 Service Unavailable Output: draining", "https://10.0.0.1:8443/readyz"},
		{"http", `Get "http://127.0.0.1:1/readyz": dial tcp 127.0.0.1:1: connect: connection refused`, "http://127.0.0.1:1/readyz"},
		{"tcp", "TCP connect 127.0.0.1:5432: Success", "127.0.0.1:5432"},
		{"tcp", "dial tcp 127.0.0.1:1: connect: connection refused", "127.0.0.1:1"},
		{"grpc", "gRPC check 127.0.0.1:9090/pay.v1.Pay: success", "127.0.0.1:9090/pay.v1.Pay"},
		{"http", "", ""},
		{"ttl", "TTL expired", ""},
		{"tcp", "something else", ""},
	} {
		if got := definitionFromOutput(tt.typ, tt.out); got != tt.want {
			t.Errorf("definitionFromOutput(%s, %q) = %q, want %q", tt.typ, tt.out, got, tt.want)
		}
	}
}
