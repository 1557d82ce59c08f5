package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/naming/endpoints"
	"go.uber.org/zap"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

// seed registers two services the way their users would: "greeter" through
// etcd's naming/endpoints manager with a 30 s lease, and "billing" as plain
// JSON under /services/, one instance without a lease.
func seed(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	cl, err := clientv3.New(clientv3.Config{Endpoints: []string{addr}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	lease, err := cl.Grant(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	em, err := endpoints.NewManager(cl, "greeter")
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range []string{"10.0.0.1:9000", "10.0.0.2:9000"} {
		md := map[string]any{"version": fmt.Sprintf("1.%d.0", i), "weight": 3}
		if err := em.AddEndpoint(ctx, "greeter/"+a, endpoints.Endpoint{Addr: a, Metadata: md}, clientv3.WithLease(lease.ID)); err != nil {
			t.Fatal(err)
		}
	}
	puts := map[string]string{
		"/services/billing/b1": `{"address":"10.0.1.1","port":8080,"tags":["v2","eu"],"meta":{"version":"2.0.0"}}`,
		"/services/billing/b2": `{"host":"10.0.1.2:8081","tags":["v2"]}`,
		"/services/notjson/x":  `hello`,
		"/config/feature":      `{"enabled":true}`,
	}
	for k, v := range puts {
		opts := []clientv3.OpOption{}
		if k == "/services/billing/b1" {
			opts = append(opts, clientv3.WithLease(lease.ID))
		}
		if _, err := cl.Put(ctx, k, v, opts...); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEtcdAgainstRealServer(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	ctx := context.Background()

	t.Run("whole keyspace", func(t *testing.T) {
		r, err := registry.Open(config.Context{Registry: "etcd", Address: srv.ClientAddr})
		if err != nil {
			t.Fatal(err)
		}
		defer r.(*Registry).Close()
		svcs, err := r.Services(ctx, registry.Query{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]registry.Service{}
		for _, s := range svcs {
			got[s.Name] = s
		}
		// Plain JSON needs a prefix: only the endpoints convention counts.
		if len(got) != 1 {
			t.Fatalf("services = %+v, want greeter alone", svcs)
		}
		g := got["greeter"]
		if g.Instances != 2 || g.ByHealth[registry.Passing] != 2 || len(g.Versions) != 2 {
			t.Errorf("greeter = %+v", g)
		}

		ins, err := r.Instances(ctx, "greeter")
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) != 2 {
			t.Fatalf("instances = %+v", ins)
		}
		in := ins[0]
		if in.ID != "10.0.0.1:9000" || in.Address != "10.0.0.1" || in.Port != 9000 || in.Version != "1.0.0" || in.Meta["weight"] != "3" {
			t.Errorf("instance = %+v", in)
		}
		if in.LeaseTTL != 30*time.Second || in.LeaseRemaining <= 0 || in.LeaseRemaining > 30*time.Second || in.LastHeartbeat == nil {
			t.Errorf("lease: ttl %v left %v heartbeat %v", in.LeaseTTL, in.LeaseRemaining, in.LastHeartbeat)
		}
		if len(in.Checks) != 1 || in.Checks[0].Type != "ttl" || in.Checks[0].Status != registry.Passing {
			t.Errorf("checks = %+v", in.Checks)
		}
	})

	t.Run("prefix", func(t *testing.T) {
		r, err := registry.Open(config.Context{Registry: "etcd", Address: srv.ClientAddr + "/services"})
		if err != nil {
			t.Fatal(err)
		}
		svcs, err := r.Services(ctx, registry.Query{Tag: "eu"})
		if err != nil {
			t.Fatal(err)
		}
		if len(svcs) != 1 || svcs[0].Name != "billing" || svcs[0].Instances != 1 {
			t.Fatalf("services tagged eu = %+v", svcs)
		}
		ins, err := r.Instances(ctx, "billing")
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) != 2 || ins[1].Address != "10.0.1.2" || ins[1].Port != 8081 || ins[1].LeaseTTL != 0 || ins[0].Version != "2.0.0" {
			t.Errorf("billing instances = %+v", ins)
		}
		_, err = r.Instances(ctx, "nope")
		if !errors.Is(err, registry.ErrServiceNotFound) {
			t.Errorf("unknown service: err = %v, want ErrServiceNotFound", err)
		}
	})
}

func TestEtcdUnreachable(t *testing.T) {
	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := registry.Open(config.Context{Registry: "etcd", Address: fmt.Sprintf("127.0.0.1:%d", ports[0])})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
}

func TestOpenSettings(t *testing.T) {
	tests := []struct {
		addr, prefix string
		endpoints    string
	}{
		{"", "", "[http://127.0.0.1:2379]"},
		{"127.0.0.1:8500", "", "[http://127.0.0.1:8500]"}, // as given: no address is another kind's default
		{"h1,h2:2400/services", "/services/", "[http://h1:2379 http://h2:2400]"},
		{"https://h1:2379?prefix=svc", "svc/", "[https://h1:2379]"},
		{"h1?layout=json", "", "[http://h1:2379]"},
	}
	for _, tt := range tests {
		r, err := Open(config.Context{Address: tt.addr})
		if err != nil {
			t.Fatal(err)
		}
		er := r.(*Registry)
		if er.prefix != tt.prefix || fmt.Sprint(er.endpoints) != tt.endpoints {
			t.Errorf("%q: prefix %q endpoints %v, want %q %s", tt.addr, er.prefix, er.endpoints, tt.prefix, tt.endpoints)
		}
	}
	if _, err := Open(config.Context{Token: "nocolon"}); err == nil {
		t.Error("a token without user:password should be refused")
	}
}

func TestEtcdCapabilities(t *testing.T) {
	srv := testserver.StartEtcd(t)
	seed(t, srv.ClientAddr)
	ctx := context.Background()
	r, err := Open(config.Context{Address: srv.ClientAddr})
	if err != nil {
		t.Fatal(err)
	}
	er := r.(*Registry)
	defer er.Close()

	leader, err := er.Leader(ctx)
	if err != nil || leader != "http://"+srv.ClientAddr {
		t.Errorf("leader = %q, %v", leader, err)
	}
	stale, err := er.InstancesWith(ctx, "greeter", registry.Stale)
	if err != nil || len(stale) != 2 {
		t.Errorf("stale read = %+v, %v", stale, err)
	}
	all, err := er.AllInstances(ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("all instances = %d, %v", len(all), err)
	}

	ins, idx, err := er.WatchInstances(ctx, "greeter", 0)
	if err != nil || len(ins) != 2 || idx == 0 {
		t.Fatalf("first watch: %d instances, index %d, %v", len(ins), idx, err)
	}
	go func() {
		cl, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.ClientAddr}, Logger: zap.NewNop()})
		if err != nil {
			return
		}
		defer cl.Close()
		time.Sleep(200 * time.Millisecond)
		_, _ = cl.Put(context.Background(), "greeter/10.0.0.3:9000", `{"Op":0,"Addr":"10.0.0.3:9000"}`)
	}()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ins, idx2, err := er.WatchInstances(wctx, "greeter", idx)
	if err != nil || len(ins) != 3 || idx2 <= idx {
		t.Fatalf("second watch: %d instances, index %d -> %d, %v", len(ins), idx, idx2, err)
	}
}

func TestEtcdRegistrar(t *testing.T) {
	srv := testserver.StartEtcd(t)
	ctx := context.Background()
	for _, tt := range []struct{ addr, key, layout string }{
		{srv.ClientAddr, "greeter/g-1", `"Addr":"10.0.0.9:9000"`},
		{srv.ClientAddr + "/services", "/services/greeter/g-1", `"address":"10.0.0.9"`},
	} {
		r, err := Open(config.Context{Address: tt.addr})
		if err != nil {
			t.Fatal(err)
		}
		er := r.(*Registry)
		reg := registry.Registration{Service: "greeter", ID: "g-1", Address: "10.0.0.9", Port: 9000, Tags: []string{"v2"}, Meta: map[string]string{"version": "2.0.0"},
			Checks: []registry.CheckSpec{{Type: "ttl", TTL: "30s"}}}
		call, err := er.RegisterCall(reg)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(call.Body)
		if !strings.HasSuffix(call.URL, " key "+tt.key) || !strings.Contains(string(body), tt.layout) || !strings.Contains(call.Method, "LeaseGrant (TTL 30s)") {
			t.Errorf("call = %+v %s", call, body)
		}
		if err := er.Register(ctx, reg); err != nil {
			t.Fatal(err)
		}
		ins, err := er.Instances(ctx, "greeter")
		if err != nil || len(ins) != 1 || ins[0].Address != "10.0.0.9" || ins[0].Port != 9000 || ins[0].Version != "2.0.0" || ins[0].LeaseTTL != 30*time.Second || fmt.Sprint(ins[0].Tags) != "[v2]" {
			t.Errorf("%s: after register: %+v, %v", tt.addr, ins, err)
		}
		if err := er.Deregister(ctx, "greeter", "g-1"); err != nil {
			t.Fatal(err)
		}
		if err := er.Deregister(ctx, "greeter", "g-1"); !errors.Is(err, registry.ErrServiceNotFound) {
			t.Errorf("second deregister: %v", err)
		}
		er.Close()
	}
	r, _ := Open(config.Context{Address: srv.ClientAddr})
	if _, err := r.(*Registry).RegisterCall(registry.Registration{Service: "s", ID: "i", Address: "h", Port: 1, Checks: []registry.CheckSpec{{Type: "http", Target: "http://h/"}}}); err == nil {
		t.Error("an http check should be refused")
	}
}
