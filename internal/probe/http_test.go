package probe

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

func startFixture(t *testing.T) (*testserver.HTTPFixture, string) {
	t.Helper()
	fx, err := testserver.StartHTTPFixture()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fx.Close)
	dir := t.TempDir()
	if err := testserver.WriteFiles(dir, fx.CA, map[string]*testserver.Leaf{"client": fx.Client}); err != nil {
		t.Fatal(err)
	}
	return fx, dir
}

func TestHTTPProbe(t *testing.T) {
	fx, dir := startFixture(t)
	ca := filepath.Join(dir, "ca.pem")
	trusted := TLSOptions{CACert: ca}
	localhost := func(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }

	tests := []struct {
		name      string
		opts      HTTPOptions
		timeout   time.Duration
		wantClass ErrorClass
		wantPhase string
		wantExit  int
		check     func(t *testing.T, r *Result)
	}{
		{name: "plain HTTP/1.1", opts: HTTPOptions{URL: fx.Plain + "/"},
			check: func(t *testing.T, r *Result) {
				want(t, "status", r.Status, "200 OK")
				want(t, "proto", r.HTTP.Proto, "HTTP/1.1")
				want(t, "content type", r.HTTP.Headers["Content-Type"], "text/plain; charset=utf-8")
				wantPhases(t, r, "connect", "server", "transfer")
				want(t, "addresses", strings.Join(r.Addresses, ","), "127.0.0.1")
			}},
		{name: "h2c with --http2", opts: HTTPOptions{URL: fx.Plain + "/echo", Version: "2"},
			check: func(t *testing.T, r *Result) {
				want(t, "proto", r.HTTP.Proto, "HTTP/2.0")
				wantBody(t, r, "proto=HTTP/2.0")
			}},
		{name: "TLS valid negotiates h2", opts: HTTPOptions{URL: fx.Valid + "/", TLS: trusted},
			check: func(t *testing.T, r *Result) {
				want(t, "proto", r.HTTP.Proto, "HTTP/2.0")
				want(t, "alpn", r.TLS.ALPN, "h2")
				want(t, "version", r.TLS.Version, "TLS 1.3")
				want(t, "subject", r.TLS.PeerChain[0].Subject, "CN=localhost")
				want(t, "issuer", r.TLS.PeerChain[0].Issuer, "CN=msctl test CA,O=msctl tests")
				if d := r.TLS.PeerChain[0].DaysLeft; d < 88 || d > 90 {
					t.Errorf("days_left = %d, want about 89", d)
				}
				if !r.TLS.Verified {
					t.Error("verified = false")
				}
				wantPhases(t, r, "connect", "tls", "server", "transfer")
			}},
		{name: "TLS with --http1.1", opts: HTTPOptions{URL: fx.Valid + "/echo", Version: "1.1", TLS: trusted},
			check: func(t *testing.T, r *Result) {
				want(t, "proto", r.HTTP.Proto, "HTTP/1.1")
				wantBody(t, r, "proto=HTTP/1.1")
			}},
		{name: "method, header and body", opts: HTTPOptions{URL: fx.Plain + "/echo", Method: "PUT", Headers: []string{"X-Probe: yes"}, Body: []byte("payload")},
			check: func(t *testing.T, r *Result) { wantBody(t, r, "method=PUT proto=HTTP/1.1 x-probe=yes body=payload") }},
		{name: "unknown CA", opts: HTTPOptions{URL: fx.Valid + "/"},
			wantClass: ClassTLS, wantPhase: "tls", wantExit: 3,
			check: func(t *testing.T, r *Result) { wantErr(t, r, "certificate signed by unknown authority") }},
		{name: "expired certificate", opts: HTTPOptions{URL: fx.Expired + "/", TLS: trusted},
			wantClass: ClassTLS, wantPhase: "tls", wantExit: 3,
			check: func(t *testing.T, r *Result) { wantErr(t, r, "expired") }},
		{name: "expired certificate with --insecure", opts: HTTPOptions{URL: fx.Expired + "/", TLS: TLSOptions{Insecure: true}},
			check: func(t *testing.T, r *Result) {
				if r.TLS.Verified {
					t.Error("verified = true with --insecure")
				}
				if d := r.TLS.PeerChain[0].DaysLeft; d > -1 {
					t.Errorf("days_left = %d, want negative", d)
				}
			}},
		{name: "wrong host", opts: HTTPOptions{URL: localhost(fx.WrongHst) + "/", TLS: trusted},
			wantClass: ClassTLS, wantPhase: "tls", wantExit: 3,
			check: func(t *testing.T, r *Result) { wantErr(t, r, "other.example") }},
		{name: "mTLS without a client certificate", opts: HTTPOptions{URL: fx.MTLS + "/", TLS: trusted},
			wantClass: ClassTLS, wantPhase: "tls", wantExit: 3,
			check: func(t *testing.T, r *Result) {
				// Whether HTTP/2 keeps the TLS alert depends on timing.
				if !regexp.MustCompile(`certificate required|client certificate`).MatchString(r.Error) {
					t.Errorf("error %q does not mention the client certificate", r.Error)
				}
			}},
		{name: "mTLS without a client certificate over HTTP/1.1", opts: HTTPOptions{URL: fx.MTLS + "/", TLS: trusted, Version: "1.1"},
			wantClass: ClassTLS, wantPhase: "tls", wantExit: 3,
			check: func(t *testing.T, r *Result) { wantErr(t, r, "certificate required") }},
		{name: "mTLS with a client certificate", opts: HTTPOptions{URL: fx.MTLS + "/", TLS: TLSOptions{CACert: ca,
			Cert: filepath.Join(dir, "client.pem"), Key: filepath.Join(dir, "client-key.pem")}}},
		{name: "status 503", opts: HTTPOptions{URL: fx.Plain + "/status/503"},
			wantClass: ClassStatus, wantPhase: "server", wantExit: 1},
		{name: "status 503 expected", opts: HTTPOptions{URL: fx.Plain + "/status/503", ExpectStatus: StatusMatcher{"5xx"}}},
		{name: "status 200 not expected", opts: HTTPOptions{URL: fx.Plain + "/", ExpectStatus: StatusMatcher{"204"}},
			wantClass: ClassStatus, wantPhase: "server", wantExit: 1},
		{name: "redirect not followed", opts: HTTPOptions{URL: fx.Plain + "/redirect/3"},
			check: func(t *testing.T, r *Result) {
				want(t, "status", r.Status, "302 Found")
				want(t, "location", r.HTTP.Headers["Location"], "/redirect/2")
			}},
		{name: "redirects followed and counted", opts: HTTPOptions{URL: fx.Plain + "/redirect/3", FollowRedirects: true},
			check: func(t *testing.T, r *Result) {
				want(t, "status", r.Status, "200 OK")
				if r.HTTP.Redirects != 3 {
					t.Errorf("redirects = %d, want 3", r.HTTP.Redirects)
				}
				want(t, "final url", r.HTTP.URL, fx.Plain+"/")
			}},
		{name: "timeout waiting for the server", opts: HTTPOptions{URL: fx.Plain + "/sleep?d=5s"}, timeout: 200 * time.Millisecond,
			wantClass: ClassTimeout, wantPhase: "server", wantExit: 3},
		{name: "connection refused", opts: HTTPOptions{URL: "http://127.0.0.1:" + closedPort(t) + "/"},
			wantClass: ClassConnect, wantPhase: "connect", wantExit: 3},
		{name: "name does not resolve", opts: HTTPOptions{URL: "http://msctl-probe-test.invalid/"},
			wantClass: ClassDNS, wantPhase: "dns", wantExit: 3},
		{name: "server hangs up", opts: HTTPOptions{URL: fx.Plain + "/hangup"},
			wantClass: ClassProtocol, wantPhase: "server", wantExit: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewHTTP(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			results, err := Run(context.Background(), p, RunOptions{Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			r := results[0]
			if r.ErrorClass != tt.wantClass || r.FailedPhase != tt.wantPhase {
				t.Fatalf("class/phase = %q/%q, want %q/%q (error %q)", r.ErrorClass, r.FailedPhase, tt.wantClass, tt.wantPhase, r.Error)
			}
			if got := ExitCode(results); got != tt.wantExit {
				t.Errorf("exit code = %d, want %d", got, tt.wantExit)
			}
			if r.OK != (tt.wantClass == ClassNone) {
				t.Errorf("ok = %v with class %q", r.OK, r.ErrorClass)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestHTTPConnectionReuseAndAssertions(t *testing.T) {
	fx, _ := startFixture(t)
	p, err := NewHTTP(HTTPOptions{URL: fx.Plain + "/"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	results, err := Run(context.Background(), p, RunOptions{Count: 3, ExpectBody: regexp.MustCompile(`hello`)})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Reused || !results[1].Reused || !results[2].Reused {
		t.Errorf("reused = %v %v %v, want false true true", results[0].Reused, results[1].Reused, results[2].Reused)
	}
	if _, ok := results[2].Phase("connect"); ok {
		t.Error("a reused connection has a connect phase")
	}
	if ExitCode(results) != 0 {
		t.Errorf("exit code %d, want 0", ExitCode(results))
	}
	s := Summarize(results)
	if s.OK != 3 || s.Phases[len(s.Phases)-1].Phase != "total" || s.Phases[len(s.Phases)-1].Count != 3 {
		t.Errorf("summary = %+v", s)
	}

	for _, tc := range []struct {
		name string
		o    RunOptions
		msg  string
	}{
		{"body", RunOptions{ExpectBody: regexp.MustCompile(`^goodbye`)}, "body does not match"},
		{"latency", RunOptions{MaxLatency: time.Nanosecond}, "more than --max-latency"},
	} {
		results, err := Run(context.Background(), p, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		r := results[0]
		if r.ErrorClass != ClassAssertion || r.FailedPhase != "check" || !strings.Contains(r.Error, tc.msg) || ExitCode(results) != 1 {
			t.Errorf("%s: got %q/%q %q exit %d", tc.name, r.ErrorClass, r.FailedPhase, r.Error, ExitCode(results))
		}
	}
}

func TestStatusMatcher(t *testing.T) {
	below400 := func(c int) bool { return c < 400 }
	for _, tc := range []struct {
		spec string
		code int
		word string
		want bool
	}{
		{"", 200, "", true}, {"", 404, "", false},
		{"200", 200, "", true}, {"200", 201, "", false},
		{"2xx,404", 404, "", true}, {"2xx", 302, "", false},
		{"500-599", 503, "", true}, {"500-599", 499, "", false},
		{"SERVING", 1, "SERVING", true}, {"serving", 2, "NOT_SERVING", false},
	} {
		m, err := ParseStatusMatcher(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match(tc.code, tc.word, below400); got != tc.want {
			t.Errorf("%q.Match(%d, %q) = %v, want %v", tc.spec, tc.code, tc.word, got, tc.want)
		}
	}
	if _, err := ParseStatusMatcher("2x-9"); err == nil {
		t.Error("bad range accepted")
	}
}

func want(t *testing.T, what, got, wantv string) {
	t.Helper()
	if got != wantv {
		t.Errorf("%s = %q, want %q", what, got, wantv)
	}
}

func wantBody(t *testing.T, r *Result, sub string) {
	t.Helper()
	if !strings.Contains(string(r.Body), sub) {
		t.Errorf("body %q does not contain %q", r.Body, sub)
	}
}

func wantErr(t *testing.T, r *Result, sub string) {
	t.Helper()
	if !strings.Contains(r.Error, sub) {
		t.Errorf("error %q does not contain %q", r.Error, sub)
	}
}

func wantPhases(t *testing.T, r *Result, names ...string) {
	t.Helper()
	var got []string
	for _, p := range r.Phases {
		got = append(got, p.Name)
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("phases = %v, want %v", got, names)
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(ports[0])
}

func TestRedactURL(t *testing.T) {
	for in, wantv := range map[string]string{
		"amqp://guest:guest@127.0.0.1:5672/": "amqp://guest:xxxxx@127.0.0.1:5672/",
		"nats://token@127.0.0.1:4222":        "nats://token@127.0.0.1:4222",
		"https://api.internal/x?y=1":         "https://api.internal/x?y=1",
	} {
		want(t, in, RedactURL(in), wantv)
	}
}
