package nacos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

func seed(t *testing.T, f *testserver.FakeNacos) {
	f.Register("", "orders", testserver.FakeNacosInstance{IP: "10.0.0.1", Port: 8080, Healthy: true, Enabled: true, Ephemeral: true,
		Metadata: map[string]string{"version": "2.1.0", "preserved.heart.beat.timeout": "20000"}})
	f.Register("", "orders", testserver.FakeNacosInstance{IP: "10.0.0.2", Port: 8080, Healthy: false, Enabled: true, Ephemeral: true,
		Metadata: map[string]string{"version": "2.0.0"}})
	f.Register("", "orders", testserver.FakeNacosInstance{IP: "10.0.0.3", Port: 8080, Healthy: true, Enabled: false, Ephemeral: false})
	f.Register("", "billing", testserver.FakeNacosInstance{IP: "10.0.1.1", Port: 9090, Healthy: true, Enabled: true, Ephemeral: true})
	f.Register("dev", "orders", testserver.FakeNacosInstance{IP: "10.9.0.1", Port: 8080, Healthy: true, Enabled: true, Ephemeral: true})
	// And one through the documented register call.
	form := url.Values{"ip": {"10.0.1.2"}, "port": {"9090"}, "serviceName": {"billing"}, "ephemeral": {"true"}, "metadata": {`{"version":"1.0.0"}`}}
	resp, err := http.Post(f.URL+"/nacos/v1/ns/instance?"+form.Encode(), "text/plain", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("register: %v %v", err, resp)
	}
	resp.Body.Close()
}

func TestNacosAgainstFake(t *testing.T) {
	f := testserver.StartFakeNacos(t)
	seed(t, f)
	ctx := context.Background()
	for _, api := range []string{"", "?api=v2"} {
		t.Run("api"+api, func(t *testing.T) {
			r, err := registry.Open(config.Context{Registry: "nacos", Address: "nacos://" + f.Addr + api})
			if err != nil {
				t.Fatal(err)
			}
			svcs, err := r.Services(ctx, registry.Query{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range svcs {
				got = append(got, fmt.Sprintf("%s %d p%d w%d c%d %v", s.Name, s.Instances, s.ByHealth[registry.Passing], s.ByHealth[registry.Warning], s.ByHealth[registry.Critical], s.Versions))
			}
			if want := "[billing 2 p2 w0 c0 [1.0.0] orders 3 p1 w1 c1 [2.0.0 2.1.0]]"; fmt.Sprint(got) != want {
				t.Errorf("services\n got %v\nwant %s", got, want)
			}
			ins, err := r.Instances(ctx, "orders")
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) != 3 {
				t.Fatalf("instances = %+v", ins)
			}
			a, b, c := ins[0], ins[1], ins[2]
			if a.Address != "10.0.0.1" || a.Health != registry.Passing || a.Checks[0].TTL != 20*time.Second || a.Meta["ip_delete_timeout_ms"] != "30000" || a.Checks[0].Type != "heartbeat" {
				t.Errorf("a = %+v", a)
			}
			if b.Health != registry.Critical || b.Checks[0].TTL != 15*time.Second || !strings.Contains(b.Checks[0].Output, "heartbeat") {
				t.Errorf("b = %+v", b)
			}
			if c.Health != registry.Warning || c.LeaseTTL != 0 || c.Checks[0].Type != "server-check" {
				t.Errorf("c = %+v", c)
			}
			if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
				t.Errorf("unknown service: %v", err)
			}
		})
	}

	t.Run("namespace", func(t *testing.T) {
		r, _ := Open(config.Context{Address: f.Addr, Namespace: "dev"})
		ins, err := r.Instances(ctx, "orders")
		if err != nil || len(ins) != 1 || ins[0].Address != "10.9.0.1" {
			t.Errorf("dev orders = %+v, %v", ins, err)
		}
	})
}

func TestNacosAuth(t *testing.T) {
	f := testserver.StartFakeNacos(t)
	seed(t, f)
	f.RequireLogin("nacos", "s3cret")
	ctx := context.Background()
	r, _ := Open(config.Context{Address: f.Addr, Token: "nacos:s3cret"})
	if _, err := r.Instances(ctx, "orders"); err != nil {
		t.Fatalf("with login: %v", err)
	}
	r, _ = Open(config.Context{Address: f.Addr, Token: "nacos:wrong"})
	_, err := r.Instances(ctx, "orders")
	var ue *registry.UnreachableError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "login as nacos failed") {
		t.Errorf("bad password: %v", err)
	}
}

func TestNacosUnreachable(t *testing.T) {
	ports, _ := testserver.FreePorts(1)
	r, _ := Open(config.Context{Address: fmt.Sprintf("127.0.0.1:%d", ports[0])})
	_, err := r.Services(context.Background(), registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
}
