package probe

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/msctl/msctl/internal/testserver"
)

// startDNS serves a small zone on a loopback UDP port: SRV records for
// _api._tcp.svc.test. with their addresses, an A record, and NXDOMAIN for
// the rest.
func startDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc("svc.test.", func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		rr := func(s string) dns.RR {
			r, err := dns.NewRR(s)
			if err != nil {
				t.Error(err)
			}
			return r
		}
		switch {
		case q.Name == "_api._tcp.svc.test." && q.Qtype == dns.TypeSRV:
			m.Answer = append(m.Answer, rr("_api._tcp.svc.test. 30 IN SRV 1 10 8080 api-1.svc.test."), rr("_api._tcp.svc.test. 30 IN SRV 1 10 8081 api-2.svc.test."))
			m.Extra = append(m.Extra, rr("api-1.svc.test. 30 IN A 10.0.0.1"), rr("api-2.svc.test. 30 IN A 10.0.0.2"))
		case q.Name == "api-1.svc.test." && q.Qtype == dns.TypeA:
			m.Answer = append(m.Answer, rr("api-1.svc.test. 30 IN A 10.0.0.1"))
		case q.Name == "api-1.svc.test.":
		default:
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// silentUDP is a UDP port that reads questions and never answers.
func silentUDP(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().String()
}

func TestDNSProbe(t *testing.T) {
	server := startDNS(t)
	tests := []struct {
		name      string
		opts      DNSOptions
		wantClass ErrorClass
		wantExit  int
		check     func(t *testing.T, r *Result)
	}{
		{name: "SRV with addresses", opts: DNSOptions{Name: "_api._tcp.svc.test", Type: "srv", Server: server},
			check: func(t *testing.T, r *Result) {
				want(t, "rcode", r.DNS.Rcode, "NOERROR")
				if len(r.DNS.SRV) != 2 || r.DNS.SRV[1].Port != 8081 || r.DNS.SRV[1].Addresses[0] != "10.0.0.2" {
					t.Errorf("srv = %+v", r.DNS.SRV)
				}
				want(t, "addresses", strings.Join(r.Addresses, " "), "10.0.0.1:8080 10.0.0.2:8081")
				wantBody(t, r, "_api._tcp.svc.test. 30 IN SRV 1 10 8080 api-1.svc.test.")
			}},
		{name: "A", opts: DNSOptions{Name: "api-1.svc.test", Server: server},
			check: func(t *testing.T, r *Result) { want(t, "addresses", strings.Join(r.Addresses, " "), "10.0.0.1") }},
		{name: "NXDOMAIN", opts: DNSOptions{Name: "nope.svc.test", Server: server},
			wantClass: ClassStatus, wantExit: 1,
			check: func(t *testing.T, r *Result) { want(t, "status", r.Status, "NXDOMAIN") }},
		{name: "NXDOMAIN expected", opts: DNSOptions{Name: "nope.svc.test", Server: server, ExpectStatus: StatusMatcher{"NXDOMAIN"}}},
		{name: "no records of the type", opts: DNSOptions{Name: "api-1.svc.test", Type: "AAAA", Server: server},
			wantClass: ClassStatus, wantExit: 1,
			check: func(t *testing.T, r *Result) { wantErr(t, r, "no AAAA records") }},
		{name: "server never answers", opts: DNSOptions{Name: "api-1.svc.test", Server: silentUDP(t)},
			wantClass: ClassTimeout, wantExit: 3},
		{name: "nothing listens", opts: DNSOptions{Name: "api-1.svc.test", Server: "127.0.0.1:" + closedPort(t), TCP: true},
			wantClass: ClassConnect, wantExit: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewDNS(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			results, err := Run(context.Background(), p, RunOptions{Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			r := results[0]
			if r.ErrorClass != tt.wantClass {
				t.Fatalf("class = %q, want %q (error %q)", r.ErrorClass, tt.wantClass, r.Error)
			}
			if r.ErrorClass != ClassNone && r.FailedPhase != PhaseQuery {
				t.Errorf("failed phase = %q, want query", r.FailedPhase)
			}
			if got := ExitCode(results); got != tt.wantExit {
				t.Errorf("exit code = %d, want %d", got, tt.wantExit)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
	if _, err := NewDNS(DNSOptions{Name: "x", Type: "PTRX", Server: server}); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestDNSProbeConsul(t *testing.T) {
	c := testserver.StartConsul(t)
	body := `{"Name":"web","ID":"web-1","Address":"127.0.0.1","Port":8080}`
	req, _ := http.NewRequest(http.MethodPut, "http://"+c.HTTPAddr+"/v1/agent/service/register", bytes.NewBufferString(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("registering web: %s", resp.Status)
	}
	p, err := NewDNS(DNSOptions{Name: "web.service.consul", Type: "SRV", Server: c.DNSAddr})
	if err != nil {
		t.Fatal(err)
	}
	results, err := Run(context.Background(), p, RunOptions{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	if !r.OK || len(r.DNS.SRV) != 1 || r.DNS.SRV[0].Port != 8080 {
		t.Fatalf("result = %+v %+v", r, r.DNS)
	}
	want(t, "addresses", strings.Join(r.Addresses, " "), "127.0.0.1:8080")
}

func TestTCPProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tt := range []struct {
		addr      string
		wantClass ErrorClass
		phases    string
	}{
		{l.Addr().String(), ClassNone, "connect"},
		{"localhost:" + strings.Split(l.Addr().String(), ":")[1], ClassNone, "dns,connect"},
		{"127.0.0.1:" + closedPort(t), ClassConnect, "connect"},
		{"msctl-probe-test.invalid:80", ClassDNS, "dns"},
	} {
		p, err := NewTCP(tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		results, _ := Run(context.Background(), p, RunOptions{Timeout: 2 * time.Second})
		r := results[0]
		if r.ErrorClass != tt.wantClass {
			t.Errorf("%s: class %q, want %q (%s)", tt.addr, r.ErrorClass, tt.wantClass, r.Error)
		}
		if r.ErrorClass != ClassNone && (r.FailedPhase != string(tt.wantClass) || ExitCode(results) != 3) {
			t.Errorf("%s: phase %q exit %d", tt.addr, r.FailedPhase, ExitCode(results))
		}
		wantPhases(t, r, strings.Split(tt.phases, ",")...)
	}
	if _, err := NewTCP("no-port"); err == nil {
		t.Error("address without port accepted")
	}
}
