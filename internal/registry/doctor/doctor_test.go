package doctor

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/consul"
	"github.com/msctl/msctl/internal/registry/regtest"
	"github.com/msctl/msctl/internal/testserver"
)

func findingSet(rep *Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, fmt.Sprintf("%s %s %s %s", f.Severity, f.ID, f.Service, f.Instance))
	}
	sort.Strings(out)
	return out
}

func has(t *testing.T, rep *Report, want ...string) {
	t.Helper()
	got := strings.Join(findingSet(rep), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing finding %q in:\n%s", w, got)
		}
	}
}

func hasNot(t *testing.T, rep *Report, id string) {
	t.Helper()
	for _, f := range rep.Findings {
		if f.ID == id {
			t.Errorf("unexpected finding %+v", f)
		}
	}
}

// TestDoctorConsul builds every scenario the doctor must name on a real
// agent plus a client agent that fails and one that leaves.
func TestDoctorConsul(t *testing.T) {
	c := testserver.StartConsul(t)
	addr := c.HTTPAddr
	live := regtest.Listen(t)
	closed := regtest.ClosedPort(t)

	// web: passing, warning, critical; a passing instance whose port is
	// closed; tag and version skew.
	regtest.Register(t, addr, regtest.Service{ID: "web-1", Name: "web", Address: "127.0.0.1", Port: live,
		Tags: []string{"http", "canary"}, Meta: map[string]string{"version": "1.0.0"},
		Checks: []regtest.Check{{CheckID: "web-1-ttl", TTL: "1h", Status: "passing"}}})
	regtest.Register(t, addr, regtest.Service{ID: "web-2", Name: "web", Address: "127.0.0.1", Port: regtest.Listen(t),
		Tags: []string{"http"}, Meta: map[string]string{"version": "1.1.0"},
		Checks: []regtest.Check{{CheckID: "web-2-ttl", TTL: "1h", Status: "warning"}}})
	regtest.Register(t, addr, regtest.Service{ID: "web-3", Name: "web", Address: "127.0.0.1", Port: regtest.Listen(t),
		Tags: []string{"http"}, Meta: map[string]string{"version": "1.1.0"},
		Checks: []regtest.Check{{CheckID: "web-3-ttl", TTL: "1h", Status: "critical"}}})
	regtest.Register(t, addr, regtest.Service{ID: "web-4", Name: "web", Address: "127.0.0.1", Port: closed,
		Tags: []string{"http"}, Meta: map[string]string{"version": "1.1.0"},
		Checks: []regtest.Check{{CheckID: "web-4-ttl", TTL: "1h", Status: "passing"}}})
	// pay: a TTL that expires, and two IDs on one address; nothing healthy.
	regtest.Register(t, addr, regtest.Service{ID: "pay-1", Name: "pay", Address: "127.0.0.1", Port: live,
		Checks: []regtest.Check{{CheckID: "pay-1-ttl", TTL: "1s", Status: "passing"}}})
	regtest.Register(t, addr, regtest.Service{ID: "pay-2", Name: "pay", Address: "127.0.0.1", Port: live,
		Checks: []regtest.Check{{CheckID: "pay-2-ttl", TTL: "1h", Status: "critical"}}})

	// A client agent n2 whose instance of api stays behind when it fails,
	// and the same instance ID on the server's node: a duplicate ID.
	n2, err := testserver.StartConsulAgent(testserver.ConsulOptions{Client: true, Join: c.SerfLANAddr, NodeName: "n2"})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Stop()
	regtest.Register(t, n2.HTTPAddr, regtest.Service{ID: "api-1", Name: "api", Address: "127.0.0.1", Port: live})
	regtest.Register(t, addr, regtest.Service{ID: "api-1", Name: "api", Address: "127.0.0.2", Port: live})
	// n3 leaves gracefully; an instance registered for it through the
	// catalog afterwards (as external tooling does) is left over.
	n3, err := testserver.StartConsulAgent(testserver.ConsulOptions{Client: true, Join: c.SerfLANAddr, NodeName: "n3"})
	if err != nil {
		t.Fatal(err)
	}
	n3.Stop()
	regtest.Put(t, addr, "/v1/catalog/register", map[string]any{
		"Node": "n3", "Address": "127.0.0.3",
		"Service": map[string]any{"ID": "api-3", "Service": "api", "Address": "127.0.0.3", "Port": 1},
	})
	// An external service registered through the catalog with an HTTP
	// check definition: the check says passing, the URL does not answer
	// HTTP (the listener closes every connection).
	regtest.Put(t, addr, "/v1/catalog/register", map[string]any{
		"Node": "ext", "Address": "127.0.0.1",
		"Service": map[string]any{"ID": "ext-1", "Service": "ext", "Address": "127.0.0.1", "Port": live},
		"Check": map[string]any{"CheckID": "ext-http", "Name": "http", "ServiceID": "ext-1", "Status": "passing",
			"Definition": map[string]any{"HTTP": fmt.Sprintf("http://127.0.0.1:%d/health", live), "Interval": "10s"}},
	})
	// A gRPC service whose health service says NOT_SERVING while the
	// catalog check says passing.
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("pay.v1.Pay", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	go gs.Serve(gl)
	defer gs.Stop()
	gport := gl.Addr().(*net.TCPAddr).Port
	regtest.Put(t, addr, "/v1/catalog/register", map[string]any{
		"Node": "ext", "Address": "127.0.0.1",
		"Service": map[string]any{"ID": "grpc-1", "Service": "grpcsvc", "Address": "127.0.0.1", "Port": gport},
		"Check": map[string]any{"CheckID": "grpc-health", "Name": "grpc", "ServiceID": "grpc-1", "Status": "passing",
			"Definition": map[string]any{"GRPC": fmt.Sprintf("127.0.0.1:%d/pay.v1.Pay", gport), "Interval": "10s"}},
	})
	n2.Kill()

	reg, err := consul.New(config.Context{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opts := Options{Probe: true, ProbeTimeout: 500 * time.Millisecond}
	// Wait until gossip has declared n2 failed and the catalog marked its
	// instance critical (two steps that land a moment apart), and pay-1's
	// TTL ran out.
	var rep *Report
	regtest.Eventually(t, 45*time.Second, func() error {
		rep, err = Diagnose(ctx, reg, opts)
		if err != nil {
			return err
		}
		got := strings.Join(findingSet(rep), "\n")
		for _, w := range []string{"warning node-failed api api-1", "critical ttl-overdue pay pay-1"} {
			if !strings.Contains(got, w) {
				return fmt.Errorf("no %q yet", w)
			}
		}
		return nil
	})
	has(t, rep,
		"warning instance-critical web web-3",
		"critical port-closed web web-4",
		"warning tag-skew web ",
		"warning version-skew web ",
		"critical ttl-overdue pay pay-1",
		"critical no-healthy-instances pay ",
		"critical instance-critical pay pay-2",
		"warning duplicate-address pay pay-1,pay-2",
		"warning duplicate-id api api-1",
		"warning node-failed api api-1",
		"critical node-left api api-3",
		"critical http-health-failed ext ext-1",
		"critical grpc-health-failed grpcsvc grpc-1",
	)
	// instances shows the same gossip states.
	api, err := reg.Instances(ctx, "api")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, in := range api {
		states[in.Node+"/"+in.ID] = in.NodeState
	}
	if states["n2/api-1"] != "failed" || states["n3/api-3"] != "left" || states[c.NodeName+"/api-1"] != "alive" {
		t.Errorf("node states %v, want n2 failed, n3 left, %s alive", states, c.NodeName)
	}

	// A passing instance with an open port is no finding; a warning one is
	// a warning finding and nothing more (it still serves). Consul's DNS
	// agrees with the catalog.
	for _, f := range rep.Findings {
		if f.Instance == "web-1" || f.Instance == "web-2" && (f.ID != "instance-warning" || f.Severity != Warning) {
			t.Errorf("healthy instance reported: %+v", f)
		}
	}
	has(t, rep, "warning instance-warning web web-2")
	hasNot(t, rep, "missing-from-dns")
	hasNot(t, rep, "servers-disagree")
	hasNot(t, rep, "no-leader")
	if rep.Leader == "" || rep.Worst() != Critical {
		t.Errorf("leader %q worst %q", rep.Leader, rep.Worst())
	}

	// One service only: the same findings for it, none for others.
	one, err := Diagnose(ctx, reg, Options{Services: []string{"web"}, Probe: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range one.Findings {
		if f.Service != "web" {
			t.Errorf("finding outside web: %+v", f)
		}
	}
	has(t, one, "critical port-closed web web-4")
	if _, err := Diagnose(ctx, reg, Options{Services: []string{"nope"}}); err == nil {
		t.Error("unknown service: no error")
	}

	// A registry whose DNS and followers disagree with the catalog: the
	// Consul adapter with its DNS answer and stale read doctored (a fake
	// layered on the real agent, since one dev agent cannot disagree with
	// itself).
	skewed := &disagreeing{Registry: reg}
	rep2, err := Diagnose(ctx, skewed, Options{Services: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	has(t, rep2, "warning missing-from-dns web web-", "warning dns-extra web ", "warning servers-disagree web ",
		"warning agent-catalog-out-of-sync web web-1")
}

type disagreeing struct{ *consul.Registry }

func (d *disagreeing) LookupSRV(ctx context.Context, service string) ([]registry.SRVTarget, error) {
	ans, err := d.Registry.LookupSRV(ctx, service)
	var out []registry.SRVTarget
	for _, a := range ans {
		if a.Port == 0 {
			continue
		}
		out = append(out, a)
	}
	// Drop one answer (Consul shuffles them) and add one nobody registered.
	if len(out) > 0 {
		out = out[1:]
	}
	return append(out, registry.SRVTarget{Target: "x.", Address: "10.9.9.9", Port: 1}), err
}

// AgentChecks reports web-1's TTL check failed on the agent, as if the
// catalog had not caught up.
func (d *disagreeing) AgentChecks(ctx context.Context) (string, map[string]map[string]registry.Check, error) {
	node, checks, err := d.Registry.AgentChecks(ctx)
	if c, ok := checks["web-1"]["web-1-ttl"]; ok {
		c.Status = registry.Critical
		checks["web-1"]["web-1-ttl"] = c
	}
	return node, checks, err
}

func (d *disagreeing) InstancesWith(ctx context.Context, service string, mode registry.Consistency) ([]registry.Instance, error) {
	ins, err := d.Registry.InstancesWith(ctx, service, mode)
	if mode == registry.Stale && len(ins) > 0 {
		ins = ins[1:]
	}
	return ins, err
}
