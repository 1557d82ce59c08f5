package probe

import (
	"context"
	"crypto/tls"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/msctl/msctl/internal/testserver"
	"github.com/msctl/msctl/internal/testserver/probeserver"
)

func startGRPC(t *testing.T, o probeserver.GRPCOptions) *probeserver.GRPCServer {
	t.Helper()
	s, err := probeserver.StartGRPC(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func grpcProbe(t *testing.T, o GRPCOptions, ro RunOptions) []*Result {
	t.Helper()
	p, err := NewGRPC(o)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if ro.Timeout == 0 {
		ro.Timeout = 5 * time.Second
	}
	results, err := Run(context.Background(), p, ro)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

// TestGRPCMatchesGrpcurl compares list, describe and invoke output with
// what the real grpcurl prints for the same server and request.
func TestGRPCMatchesGrpcurl(t *testing.T) {
	grpcurlBin, err := testserver.Find("grpcurl")
	if err != nil {
		t.Fatal(err)
	}
	s := startGRPC(t, probeserver.GRPCOptions{})
	unary := `{"payload":{"body":"aGVsbG8="}}`
	for _, tc := range []struct {
		verb, symbol, data string
		args               []string
	}{
		{"list", "", "", []string{"list"}},
		{"list", "grpc.testing.TestService", "", []string{"list", "grpc.testing.TestService"}},
		{"describe", "grpc.testing.TestService", "", []string{"describe", "grpc.testing.TestService"}},
		{"describe", "grpc.testing.SimpleRequest", "", []string{"describe", "grpc.testing.SimpleRequest"}},
		{"describe", "grpc.testing.TestService.UnaryCall", "", []string{"describe", "grpc.testing.TestService.UnaryCall"}},
		{"invoke", "grpc.testing.TestService/UnaryCall", unary, nil},
		{"invoke", "grpc.testing.TestService/StreamingOutputCall", `{"response_parameters":[{"size":2},{"size":3}]}`, nil},
	} {
		t.Run(tc.verb+" "+tc.symbol, func(t *testing.T) {
			// grpcurl [flags] ADDR [verb] [symbol]
			args := append([]string{"-plaintext", s.Addr}, tc.args...)
			if tc.verb == "invoke" {
				args = []string{"-plaintext", "-d", tc.data, s.Addr, tc.symbol}
			}
			wantOut, err := exec.Command(grpcurlBin, args...).Output()
			if err != nil {
				t.Fatalf("grpcurl %v: %v", args, err)
			}
			r := grpcProbe(t, GRPCOptions{Address: s.Addr, Plaintext: true, Verb: tc.verb, Symbol: tc.symbol, Data: []byte(tc.data)}, RunOptions{})[0]
			if !r.OK {
				t.Fatalf("probe failed: %s", r.Error)
			}
			if r.GRPC.Output != string(wantOut) {
				t.Errorf("output differs from grpcurl's\n--- msctl\n%s\n--- grpcurl\n%s", r.GRPC.Output, wantOut)
			}
		})
	}
}

func TestGRPCProbe(t *testing.T) {
	s := startGRPC(t, probeserver.GRPCOptions{})
	alpha := startGRPC(t, probeserver.GRPCOptions{Reflection: "v1alpha"})
	noRefl := startGRPC(t, probeserver.GRPCOptions{Reflection: "none"})
	protoDir := t.TempDir()
	protoFile, err := probeserver.WriteTestProtos(protoDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca, err := testserver.NewCA("grpc test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(testserver.LeafOptions{CommonName: "localhost", IPs: []net.IP{net.ParseIP("127.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := testserver.WriteFiles(dir, ca, nil); err != nil {
		t.Fatal(err)
	}
	tlsSrv := startGRPC(t, probeserver.GRPCOptions{TLS: &tls.Config{Certificates: []tls.Certificate{leaf.TLS}}})
	svc := "grpc.testing.TestService"
	plain := func(addr, verb, sym, data string) GRPCOptions {
		return GRPCOptions{Address: addr, Plaintext: true, Verb: verb, Symbol: sym, Data: []byte(data)}
	}

	tests := []struct {
		name      string
		opts      GRPCOptions
		timeout   time.Duration
		wantClass ErrorClass
		wantPhase string
		wantExit  int
		check     func(t *testing.T, r *Result)
	}{
		{name: "health of the server", opts: plain(s.Addr, "health", "", ""),
			check: func(t *testing.T, r *Result) {
				want(t, "health", r.GRPC.HealthStatus, "SERVING")
				wantPhases(t, r, "connect", "rpc")
			}},
		{name: "health of a service", opts: plain(s.Addr, "health", svc, "")},
		{name: "health NOT_SERVING", opts: plain(s.Addr, "health", "down", ""),
			wantClass: ClassStatus, wantPhase: "rpc", wantExit: 4},
		{name: "health NOT_SERVING expected", opts: func() GRPCOptions {
			o := plain(s.Addr, "health", "down", "")
			o.ExpectStatus = StatusMatcher{"NOT_SERVING"}
			return o
		}()},
		{name: "health of an unknown service", opts: plain(s.Addr, "health", "nope", ""),
			wantClass: ClassStatus, wantPhase: "rpc", wantExit: 64 + 5,
			check: func(t *testing.T, r *Result) { want(t, "code", r.GRPC.Code, "NOT_FOUND") }},
		{name: "unary with an error status", opts: plain(s.Addr, "invoke", svc+"/UnaryCall", `{"response_status":{"code":7,"message":"go away"}}`),
			wantClass: ClassStatus, wantPhase: "rpc", wantExit: 64 + 7,
			check: func(t *testing.T, r *Result) {
				want(t, "status", r.Status, "PERMISSION_DENIED")
				want(t, "error text", r.GRPC.ErrorText, "ERROR:\n  Code: PermissionDenied\n  Message: go away\n")
			}},
		{name: "client streaming", opts: plain(s.Addr, "invoke", svc+"/StreamingInputCall", `{"payload":{"body":"YWJj"}} {"payload":{"body":"ZGVmZw=="}}`),
			check: func(t *testing.T, r *Result) { wantBody(t, r, `"aggregatedPayloadSize": 7`) }},
		{name: "bidi streaming", opts: plain(s.Addr, "invoke", svc+"/FullDuplexCall", `{"payload":{"body":"YQ=="}} {"payload":{"body":"Yg=="}} {"payload":{"body":"Yw=="}}`),
			check: func(t *testing.T, r *Result) {
				if r.GRPC.Responses != 3 {
					t.Errorf("responses = %d, want 3", r.GRPC.Responses)
				}
			}},
		{name: "server streaming", opts: plain(s.Addr, "invoke", svc+"/StreamingOutputCall", `{"response_parameters":[{"size":1},{"size":1}]}`),
			check: func(t *testing.T, r *Result) {
				if r.GRPC.Responses != 2 {
					t.Errorf("responses = %d, want 2", r.GRPC.Responses)
				}
			}},
		{name: "reflection v1alpha fallback", opts: plain(alpha.Addr, "list", "", ""),
			check: func(t *testing.T, r *Result) { wantBody(t, r, "grpc.testing.TestService\n") }},
		{name: "no reflection", opts: plain(noRefl.Addr, "list", "", ""),
			wantClass: ClassProtocol, wantPhase: "rpc", wantExit: 1,
			check: func(t *testing.T, r *Result) { wantErr(t, r, "does not support the reflection API") }},
		{name: "no reflection, --proto", opts: func() GRPCOptions {
			o := plain(noRefl.Addr, "invoke", svc+"/UnaryCall", `{"payload":{"body":"aGk="}}`)
			o.ProtoFiles, o.ImportPaths = []string{protoFile}, []string{protoDir}
			return o
		}(), check: func(t *testing.T, r *Result) { wantBody(t, r, `"body": "aGk="`) }},
		{name: "unknown method", opts: plain(s.Addr, "invoke", svc+"/Nope", ""),
			wantClass: ClassStatus, wantPhase: "rpc", wantExit: 1},
		{name: "TLS verified", opts: GRPCOptions{Address: tlsSrv.Addr, Verb: "health", TLS: TLSOptions{CACert: dir + "/ca.pem"}},
			check: func(t *testing.T, r *Result) {
				want(t, "alpn", r.TLS.ALPN, "h2")
				want(t, "subject", r.TLS.PeerChain[0].Subject, "CN=localhost")
				wantPhases(t, r, "connect", "tls", "rpc")
			}},
		{name: "TLS unknown CA", opts: GRPCOptions{Address: tlsSrv.Addr, Verb: "health"},
			wantClass: ClassTLS, wantPhase: "tls", wantExit: 3},
		{name: "plaintext to a TLS server", opts: plain(tlsSrv.Addr, "health", "", ""),
			wantClass: ClassProtocol, wantPhase: "setup", wantExit: 1},
		{name: "connection refused", opts: plain("127.0.0.1:"+closedPort(t), "health", "", ""),
			wantClass: ClassConnect, wantPhase: "connect", wantExit: 3},
		{name: "name does not resolve", opts: plain("msctl-probe-test.invalid:443", "health", "", ""),
			wantClass: ClassDNS, wantPhase: "dns", wantExit: 3},
		{name: "deadline", opts: plain(s.Addr, "invoke", svc+"/UnaryCall", `{"response_size":-1}`), timeout: 300 * time.Millisecond,
			wantClass: ClassTimeout, wantPhase: "rpc", wantExit: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := grpcProbe(t, tt.opts, RunOptions{Timeout: tt.timeout})
			r := results[0]
			if r.ErrorClass != tt.wantClass || r.FailedPhase != tt.wantPhase {
				t.Fatalf("class/phase = %q/%q, want %q/%q (error %q)", r.ErrorClass, r.FailedPhase, tt.wantClass, tt.wantPhase, r.Error)
			}
			if got := ExitCode(results); got != tt.wantExit {
				t.Errorf("exit code = %d, want %d", got, tt.wantExit)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestGRPCReuseAndWatch(t *testing.T) {
	s := startGRPC(t, probeserver.GRPCOptions{})
	results := grpcProbe(t, GRPCOptions{Address: s.Addr, Plaintext: true, Verb: "health"}, RunOptions{Count: 2})
	if results[0].Reused || !results[1].Reused {
		t.Errorf("reused = %v %v", results[0].Reused, results[1].Reused)
	}
	wantPhases(t, results[1], "rpc")

	p, err := NewGRPC(GRPCOptions{Address: s.Addr, Plaintext: true, Verb: "health", Symbol: "flappy", Watch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s.Health.SetServingStatus("flappy", healthpb.HealthCheckResponse_SERVING)
	first := p.Probe(context.Background())
	want(t, "first", first.Status, "SERVING")
	s.Health.SetServingStatus("flappy", healthpb.HealthCheckResponse_NOT_SERVING)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	second := p.Probe(ctx)
	want(t, "second", second.Status, "NOT_SERVING")
	if second.ExitCode != 4 || !strings.Contains(second.Error, "want SERVING") {
		t.Errorf("second = %+v", second)
	}
}
