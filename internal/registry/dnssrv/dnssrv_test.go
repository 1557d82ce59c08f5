package dnssrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

// startDNS serves a small zone with miekg/dns on a loopback UDP port:
// _api._tcp.example.test has two targets, one resolved in the additional
// section, one only through an A query, and one target with no address.
func startDNS(t *testing.T) string {
	t.Helper()
	zone := map[string][]string{
		"_api._tcp.example.test.": {
			"_api._tcp.example.test. 30 IN SRV 10 60 8443 a.example.test.",
			"_api._tcp.example.test. 30 IN SRV 20 40 8444 b.example.test.",
			"_api._tcp.example.test. 30 IN SRV 30 10 8445 gone.example.test.",
		},
		"b.example.test.": {"b.example.test. 30 IN A 10.1.0.2"},
	}
	extra := []string{"a.example.test. 30 IN A 10.1.0.1"}
	mux := dns.NewServeMux()
	mux.HandleFunc("example.test.", func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		recs, ok := zone[q.Name]
		if !ok && !strings.HasSuffix(q.Name, "example.test.") {
			m.Rcode = dns.RcodeRefused
		} else if !ok && q.Name != "gone.example.test." {
			m.Rcode = dns.RcodeNameError
		}
		for _, s := range recs {
			rr, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		if q.Qtype == dns.TypeSRV && ok {
			for _, s := range extra {
				rr, _ := dns.NewRR(s)
				m.Extra = append(m.Extra, rr)
			}
		}
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestDNSAgainstMiekgServer(t *testing.T) {
	addr := startDNS(t)
	r, err := registry.Open(config.Context{Registry: "dns", Address: addr + "?services=_api._tcp.example.test,_none._tcp.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ins, err := r.Instances(ctx, "_api._tcp.example.test")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range ins {
		got = append(got, fmt.Sprintf("%s %s:%d %s w=%s", in.Node, in.Address, in.Port, in.Health, in.Meta["srv_weight"]))
	}
	want := "[a.example.test 10.1.0.1:8443 passing w=60 b.example.test 10.1.0.2:8444 passing w=40 gone.example.test gone.example.test:8445 critical w=10]"
	if fmt.Sprint(got) != want {
		t.Errorf("instances\n got %v\nwant %s", got, want)
	}
	svcs, err := r.Services(ctx, registry.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 2 || svcs[0].Name != "_api._tcp.example.test" || svcs[0].ByHealth[registry.Passing] != 2 || svcs[1].Instances != 0 {
		t.Errorf("services = %+v", svcs)
	}
	if _, err := r.Instances(ctx, "_none._tcp.example.test"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("NXDOMAIN: err = %v", err)
	}
}

func TestDNSAgainstConsul(t *testing.T) {
	c := testserver.StartConsul(t)
	for i, body := range []string{
		`{"ID":"web-1","Name":"web","Port":8080,"Address":"10.2.0.1"}`,
		`{"ID":"web-2","Name":"web","Port":8081,"Address":"10.2.0.2"}`,
		`{"ID":"web-3","Name":"web","Port":8082,"Address":"10.2.0.3","Check":{"TTL":"30s","Status":"critical"}}`,
	} {
		req, _ := http.NewRequest("PUT", "http://"+c.HTTPAddr+"/v1/agent/service/register", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("register %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}
	r, err := registry.Open(config.Context{Registry: "dns", Address: "dns://" + c.DNSAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ins, err := r.Instances(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	// Consul's DNS leaves out the instance whose check is critical.
	var got []string
	for _, in := range ins {
		got = append(got, fmt.Sprintf("%s:%d", in.Address, in.Port))
	}
	if fmt.Sprint(got) != "[10.2.0.1:8080 10.2.0.2:8081]" {
		t.Errorf("web over Consul DNS = %v", got)
	}
	if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("unknown service: %v", err)
	}
}

func TestDNSUnreachable(t *testing.T) {
	// Nothing answers on this UDP port: the query times out.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r, _ := Open(config.Context{Address: pc.LocalAddr().String()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = r.Instances(ctx, "web")
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
}

func TestName(t *testing.T) {
	r, _ := Open(config.Context{Address: "127.0.0.1:8600?domain=service.dc2.consul."})
	for in, want := range map[string]string{
		"web":                   "web.service.dc2.consul.",
		"_grpc._tcp.example.io": "_grpc._tcp.example.io.",
	} {
		if got := r.(*Registry).Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}
