package ratelimit

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		server   testserver.LimitedOptions
		limit    float64
		burst    int
		enforced bool
		failing  string
	}{
		{"correct limiter", testserver.LimitedOptions{Rate: 50, Burst: 10, Style: testserver.StyleDraft}, 50, 10, true, ""},
		{"limit twice the declared", testserver.LimitedOptions{Rate: 100, Burst: 10, Style: testserver.StyleLegacy}, 50, 10, false, "above_limit"},
		{"limit half the declared", testserver.LimitedOptions{Rate: 25, Burst: 10}, 50, 0, false, "below_limit"},
		{"wrong burst", testserver.LimitedOptions{Rate: 50, Burst: 30, Style: testserver.StyleNone}, 50, 10, false, "burst"},
		{"no limit at all", testserver.LimitedOptions{Rate: 1e6, Burst: 1e6, Style: testserver.StyleNone}, 50, 0, false, "above_limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, err := testserver.StartLimited(tt.server)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			p := &Prober{Target: &URLTarget{Opts: TargetOptions{URL: srv.URL}}, Draft: Draft11}
			res, err := p.Verify(context.Background(), VerifyOptions{Limit: tt.limit, Burst: tt.burst, StepDuration: time.Second, MaxDuration: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Enforced != tt.enforced {
				t.Fatalf("enforced = %v, want %v: %+v", res.Enforced, tt.enforced, res.Checks)
			}
			if tt.failing != "" {
				found := false
				for _, c := range res.Checks {
					if c.Name == tt.failing && !c.OK {
						found = true
					}
				}
				if !found {
					t.Errorf("check %s did not fail: %+v", tt.failing, res.Checks)
				}
			}
		})
	}
}

func TestFindSaturationIsInconclusive(t *testing.T) {
	t.Parallel()
	srv, err := testserver.StartLimited(testserver.LimitedOptions{Capacity: 2, Delay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := &Prober{Target: &URLTarget{Opts: TargetOptions{URL: srv.URL, Timeout: time.Second}}}
	res, err := p.Find(context.Background(), FindOptions{MaxDuration: 20 * time.Second, StartRate: 40})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Inconclusive || res.SustainedRate != 0 || !strings.Contains(res.Reason, "503") {
		t.Fatalf("verdict %s rate %v: %s", res.Verdict, res.SustainedRate, res.Reason)
	}
	t.Log(res.Reason)
	for _, s := range res.Steps {
		t.Logf("%+v", s)
	}
}

func TestFindGRPCAndScope(t *testing.T) {
	t.Parallel()
	srv, err := testserver.StartLimitedGRPC(testserver.LimitedOptions{Rate: 60, Burst: 12, PerClient: "x-client"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := &Prober{Target: &URLTarget{Opts: TargetOptions{URL: srv.URL}}}
	res, err := p.Find(context.Background(), FindOptions{MaxDuration: 30 * time.Second, StartRate: 30,
		Identities: []http.Header{{"X-Client": {"a"}}, {"X-Client": {"b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Found || !within(res.SustainedRate, 60, 0.05) || !within(res.Burst, 12, 0.10) {
		t.Fatalf("verdict %s rate %v burst %v: %s", res.Verdict, res.SustainedRate, res.Burst, res.Reason)
	}
	t.Logf("gRPC: rate %v burst %v scope %s in %vs", res.SustainedRate, res.Burst, res.Scope, res.ElapsedS)
	if res.Scope != "per-client" {
		t.Errorf("scope = %q, want per-client", res.Scope)
	}
	found := false
	for _, s := range res.HeaderSources {
		found = found || s == "retry-info" || s == "grpc-retry-pushback-ms"
	}
	if !found {
		t.Errorf("header sources %v: want the gRPC pushback or RetryInfo", res.HeaderSources)
	}
}

func TestFindGlobalScope(t *testing.T) {
	t.Parallel()
	srv, err := testserver.StartLimited(testserver.LimitedOptions{Rate: 80, Burst: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := &Prober{Target: &URLTarget{Opts: TargetOptions{URL: srv.URL}}}
	res, err := p.Find(context.Background(), FindOptions{MaxDuration: 30 * time.Second, StartRate: 50,
		Identities: []http.Header{{"X-Client": {"a"}}, {"X-Client": {"b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Found || res.Scope != "global" {
		t.Fatalf("verdict %s scope %q", res.Verdict, res.Scope)
	}
}
