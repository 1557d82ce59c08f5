package probe

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/registry"
	_ "github.com/msctl/msctl/internal/registry/all"
	"github.com/msctl/msctl/internal/testserver"
	"github.com/msctl/msctl/internal/testserver/probeserver"
)

// registerInstance registers SERVICE/ID at the URL's host and port with
// the Consul agent's API; critical adds a check that starts critical.
func registerInstance(t *testing.T, consulAddr, service, id, rawURL string, critical bool) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	check := ""
	if critical {
		check = fmt.Sprintf(`,"Check":{"TCP":%q,"Interval":"30s","Status":"critical"}`, u.Host)
	}
	body := fmt.Sprintf(`{"Name":%q,"ID":%q,"Address":%q,"Port":%d%s}`, service, id, u.Hostname(), port, check)
	req, _ := http.NewRequest(http.MethodPut, "http://"+consulAddr+"/v1/agent/service/register", bytes.NewBufferString(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("registering %s: %s", id, resp.Status)
	}
}

func TestProbeServiceConsul(t *testing.T) {
	c := testserver.StartConsul(t)
	a := httptest.NewServer(testserver.HTTPHandler())
	defer a.Close()
	b := httptest.NewServer(testserver.HTTPHandler())
	defer b.Close()
	registerInstance(t, c.HTTPAddr, "web", "web-1", a.URL, false)
	registerInstance(t, c.HTTPAddr, "web", "web-2", b.URL, false)
	registerInstance(t, c.HTTPAddr, "web", "web-3", "http://127.0.0.1:"+closedPort(t), true)
	reg, err := registry.Open(config.Context{Registry: "consul", Address: c.HTTPAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, proto := range []string{"http", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			var seen int
			rs, err := ProbeService(ctx, reg, ServiceOptions{Service: "web", Protocol: proto, Path: "/status/200"},
				RunOptions{Count: 2, Timeout: 2 * time.Second, OnResult: func(r *Result) error { seen++; return nil }})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 3 || seen != 6 {
				t.Fatalf("%d instances, %d results", len(rs), seen)
			}
			for _, s := range rs[:2] {
				for _, r := range s.Results {
					if !r.OK || r.Instance.ID != s.Instance.ID {
						t.Errorf("%s: %+v", s.Instance.ID, r)
					}
				}
			}
			down := rs[2]
			if down.Instance.ID != "web-3" || down.Instance.Registry != "critical" {
				t.Errorf("third instance = %+v", down.Instance)
			}
			for _, r := range down.Results {
				if r.ErrorClass != ClassConnect || r.FailedPhase != PhaseConnect {
					t.Errorf("web-3: %q/%q %s", r.ErrorClass, r.FailedPhase, r.Error)
				}
			}
			if code := ServiceExitCode(rs); code != 3 {
				t.Errorf("exit code = %d, want 3", code)
			}
			ios, _, out, _ := iostreams.Test()
			if err := ServiceTable(rs).Render(ios); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(out.String(), "\n")
			if !strings.Contains(lines[3], "web-3") || !strings.Contains(lines[3], "critical") || !strings.Contains(lines[3], "failed") ||
				!strings.Contains(lines[3], "0/2") || !strings.Contains(lines[3], "connect") {
				t.Errorf("table:\n%s", out)
			}
			if !strings.Contains(lines[1], "web-1") || !strings.Contains(lines[1], "2/2") {
				t.Errorf("table:\n%s", out)
			}
		})
	}
	t.Run("grpc", func(t *testing.T) {
		g, err := probeserver.StartGRPC(probeserver.GRPCOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Stop()
		registerInstance(t, c.HTTPAddr, "api", "api-1", "http://"+g.Addr, false)
		registerInstance(t, c.HTTPAddr, "api", "api-2", "http://127.0.0.1:"+closedPort(t), false)
		rs, err := ProbeService(ctx, reg, ServiceOptions{Service: "api", Protocol: "grpc",
			GRPC: GRPCOptions{Plaintext: true, Symbol: "grpc.testing.TestService"}}, RunOptions{Timeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if r := rs[0].Results[0]; !r.OK || r.GRPC.HealthStatus != "SERVING" {
			t.Errorf("api-1: %+v", r)
		}
		if r := rs[1].Results[0]; r.ErrorClass != ClassConnect || r.FailedPhase != PhaseConnect {
			t.Errorf("api-2: %q/%q %s", r.ErrorClass, r.FailedPhase, r.Error)
		}
	})
	if _, err := ProbeService(ctx, reg, ServiceOptions{Service: "nope"}, RunOptions{}); err == nil {
		t.Error("unknown service: no error")
	}
}

// TestProbeServiceRegisteredHealth registers two instances as msctl new's
// service registers itself in Consul (the HTTP port with an HTTP check of
// /readyz, the gRPC port under grpc_port metadata, the scheme under
// scheme), in front of servers that, like the generated ones, answer 404
// on / and 200 on /readyz. Probing what the registry declares passes them.
func TestProbeServiceRegisteredHealth(t *testing.T) {
	c := testserver.StartConsul(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ready") })
	var grpcPorts []string
	for i := 1; i <= 2; i++ {
		h := httptest.NewServer(mux)
		defer h.Close()
		g, err := probeserver.StartGRPC(probeserver.GRPCOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Stop()
		u, _ := url.Parse(h.URL)
		_, gport, _ := strings.Cut(g.Addr, ":")
		grpcPorts = append(grpcPorts, gport)
		body := fmt.Sprintf(`{"Name":"orders","ID":"orders-%d","Address":"127.0.0.1","Port":%s,"Meta":{"scheme":"http","grpc_port":%q,"alt_grpc":%q},`+
			`"Check":{"HTTP":"%s/readyz","Interval":"1s"}}`, i, u.Port(), gport, gport, h.URL)
		req, _ := http.NewRequest(http.MethodPut, "http://"+c.HTTPAddr+"/v1/agent/service/register", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("register: %s", resp.Status)
		}
	}
	reg, err := registry.Open(config.Context{Registry: "consul", Address: c.HTTPAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Consul runs the checks within their interval; until then the
	// registry cannot say what they test.
	deadline := time.Now().Add(15 * time.Second)
	for {
		ins, err := reg.Instances(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		passing := 0
		for _, in := range ins {
			if in.Health == registry.Passing {
				passing++
			}
		}
		if passing == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("checks not passing: %+v", ins)
		}
		time.Sleep(200 * time.Millisecond)
	}
	ro := RunOptions{Timeout: 3 * time.Second}
	probeAll := func(o ServiceOptions) []ServiceResults {
		t.Helper()
		o.Service = "orders"
		rs, err := ProbeService(ctx, reg, o, ro)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 {
			t.Fatalf("%d instances", len(rs))
		}
		return rs
	}
	for name, o := range map[string]ServiceOptions{
		"auto":              {Protocol: "auto"},
		"http without path": {Protocol: "http"},
		"grpc":              {Protocol: "grpc", GRPC: GRPCOptions{Plaintext: true}},
		"grpc port-meta":    {Protocol: "grpc", PortMeta: "alt_grpc", GRPC: GRPCOptions{Plaintext: true}},
	} {
		rs := probeAll(o)
		if code := ServiceExitCode(rs); code != 0 {
			t.Errorf("%s: exit %d", name, code)
		}
		for i, s := range rs {
			r := s.Results[0]
			switch {
			case !r.OK:
				t.Errorf("%s: %s failed: %s", name, s.Instance.ID, r.Error)
			case strings.HasPrefix(name, "grpc") && !strings.HasSuffix(r.Target, ":"+grpcPorts[i]):
				t.Errorf("%s: %s probed %s, want the gRPC port %s", name, s.Instance.ID, r.Target, grpcPorts[i])
			case !strings.HasPrefix(name, "grpc") && !strings.HasSuffix(r.Target, "/readyz"):
				t.Errorf("%s: %s probed %s, want the HTTP check's /readyz", name, s.Instance.ID, r.Target)
			}
		}
	}
	// An explicit path is still what is probed: / is a 404 here.
	if code := ServiceExitCode(probeAll(ServiceOptions{Protocol: "http", Path: "/"})); code != 1 {
		t.Errorf("GET /: exit %d, want 1 (404)", code)
	}
}
