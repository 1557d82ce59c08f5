package probe

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver/probeserver"
)

func TestWSProbe(t *testing.T) {
	s := probeserver.StartWS()
	defer s.Close()
	tests := []struct {
		name      string
		opts      WSOptions
		wantClass ErrorClass
		wantPhase string
		wantExit  int
		check     func(t *testing.T, r *Result)
	}{
		{name: "echo", opts: WSOptions{URL: s.URL + "/echo", Message: "hello", Subprotocols: []string{"probe.v1"}},
			check: func(t *testing.T, r *Result) {
				want(t, "received", r.WS.Received, "hello")
				want(t, "subprotocol", r.WS.Subprotocol, "probe.v1")
				want(t, "status", r.Status, "101 Switching Protocols")
				wantPhases(t, r, "connect", "upgrade", "reply", "ping", "close")
			}},
		{name: "wait for a matching message", opts: WSOptions{URL: s.URL + "/greet", Expect: regexp.MustCompile(`^ready$`)},
			check: func(t *testing.T, r *Result) {
				if r.WS.Messages != 2 {
					t.Errorf("messages = %d, want 2", r.WS.Messages)
				}
			}},
		{name: "no matching message", opts: WSOptions{URL: s.URL + "/greet", Expect: regexp.MustCompile(`^never$`)},
			wantClass: ClassAssertion, wantPhase: "reply", wantExit: 1},
		{name: "no reply", opts: WSOptions{URL: s.URL + "/silent", Message: "anyone?"},
			wantClass: ClassTimeout, wantPhase: "reply", wantExit: 3},
		{name: "connect only, ping and close", opts: WSOptions{URL: s.URL + "/silent"},
			check: func(t *testing.T, r *Result) { wantPhases(t, r, "connect", "upgrade", "ping", "close") }},
		{name: "not a WebSocket endpoint", opts: WSOptions{URL: s.URL + "/plain"},
			wantClass: ClassProtocol, wantPhase: "upgrade", wantExit: 1,
			check: func(t *testing.T, r *Result) { want(t, "status", r.Status, "200 OK") }},
		{name: "connection refused", opts: WSOptions{URL: "ws://127.0.0.1:" + closedPort(t) + "/"},
			wantClass: ClassConnect, wantPhase: "connect", wantExit: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewWS(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			results, err := Run(context.Background(), p, RunOptions{Timeout: 500 * time.Millisecond})
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
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}
