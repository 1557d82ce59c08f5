package eureka

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

func TestEurekaAgainstFake(t *testing.T) {
	f := testserver.StartFakeEureka(t)
	f.Register(testserver.FakeEurekaInstance{App: "orders", InstanceID: "o1", HostName: "host1", IPAddr: "10.0.0.1", Port: 8080,
		Metadata: map[string]string{"version": "3.1.0"}})
	f.Register(testserver.FakeEurekaInstance{App: "orders", InstanceID: "o2", HostName: "host2", IPAddr: "10.0.0.2", Port: 8080,
		Metadata: map[string]string{"version": "3.0.0"}, LastRenewal: time.Now().Add(-5 * time.Minute)})
	f.Register(testserver.FakeEurekaInstance{App: "orders", InstanceID: "o3", HostName: "host3", IPAddr: "10.0.0.3", Port: 8080, Status: "STARTING"})
	f.Register(testserver.FakeEurekaInstance{App: "billing", InstanceID: "b1", HostName: "host4", IPAddr: "10.0.1.1", Port: 9090})
	// An operator takes o3 out of service through the documented call.
	req, _ := http.NewRequest("PUT", f.URL+"/eureka/apps/ORDERS/o3/status?value=OUT_OF_SERVICE", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("override: %v %v", err, resp)
	}

	r, err := registry.Open(config.Context{Registry: "eureka", Address: "eureka://" + f.Addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svcs, err := r.Services(ctx, registry.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range svcs {
		got = append(got, fmt.Sprintf("%s %d p%d c%d %v", s.Name, s.Instances, s.ByHealth[registry.Passing], s.ByHealth[registry.Critical], s.Versions))
	}
	// billing has one instance, which the fake writes as an object.
	if want := "[BILLING 1 p1 c0 [] ORDERS 3 p1 c2 [3.0.0 3.1.0]]"; fmt.Sprint(got) != want {
		t.Errorf("services\n got %v\nwant %s", got, want)
	}

	ins, err := r.Instances(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 3 {
		t.Fatalf("instances = %+v", ins)
	}
	o1, o2, o3 := ins[0], ins[1], ins[2]
	if o1.Health != registry.Passing || o1.LeaseTTL != 90*time.Second || o1.LeaseRemaining <= 60*time.Second || o1.LastHeartbeat == nil || o1.Node != "host1" {
		t.Errorf("o1 = %+v", o1)
	}
	if o2.Health != registry.Critical || o2.LeaseRemaining != 0 || !strings.Contains(o2.Checks[1].Output, "overdue by 3m") {
		t.Errorf("o2 = %+v", o2)
	}
	if o3.Health != registry.Critical || o3.Meta["overridden_status"] != "OUT_OF_SERVICE" || !strings.Contains(o3.Checks[0].Output, "overridden") {
		t.Errorf("o3 = %+v", o3)
	}

	if ins, err := r.Instances(ctx, "billing"); err != nil || len(ins) != 1 || ins[0].Port != 9090 {
		t.Errorf("billing = %+v, %v", ins, err)
	}
	if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("unknown service: %v", err)
	}
}

func TestEurekaUnreachable(t *testing.T) {
	ports, _ := testserver.FreePorts(1)
	r, _ := Open(config.Context{Address: fmt.Sprintf("127.0.0.1:%d", ports[0])})
	_, err := r.Services(context.Background(), registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
}

func TestEurekaTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"applications":{"application":[]}}`))
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL, "https://")
	ctx := context.Background()

	r, _ := Open(config.Context{Address: "https://" + addr})
	if _, err := r.Services(ctx, registry.Query{}); !errors.Is(err, registry.ErrTLSVerification) {
		t.Errorf("without the CA: %v, want ErrTLSVerification", err)
	}
	r, _ = Open(config.Context{Address: addr, CAFile: ca})
	if _, err := r.Services(ctx, registry.Query{}); err != nil {
		t.Errorf("with the CA: %v", err)
	}
}

func TestEurekaRegistrar(t *testing.T) {
	f := testserver.StartFakeEureka(t)
	r, _ := Open(config.Context{Address: f.Addr})
	er := r.(*Registry)
	ctx := context.Background()
	reg := registry.Registration{Service: "pay", ID: "p1", Address: "10.0.3.1", Port: 7000, Tags: []string{"a", "b"},
		Checks: []registry.CheckSpec{{Type: "http", Target: "http://10.0.3.1:7000/health"}}}
	call, err := er.RegisterCall(reg)
	if err != nil || call.Method != "POST" || call.URL != f.URL+"/eureka/apps/PAY" {
		t.Fatalf("call = %+v, %v", call, err)
	}
	if err := er.Register(ctx, reg); err != nil {
		t.Fatal(err)
	}
	ins, err := er.Instances(ctx, "pay")
	if err != nil || len(ins) != 1 || fmt.Sprint(ins[0].Tags) != "[a b]" || ins[0].Checks[0].Definition != "http://10.0.3.1:7000/health" {
		t.Fatalf("after register: %+v, %v", ins, err)
	}
	if err := er.Deregister(ctx, "pay", "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := er.RegisterCall(registry.Registration{Service: "s", ID: "i", Address: "h", Port: 1,
		Checks: []registry.CheckSpec{{Type: "tcp", Target: "h:1"}}}); err == nil {
		t.Error("a tcp check should be refused")
	}
}
