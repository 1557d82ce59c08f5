package ratelimit

import (
	"context"
	"math"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/loadtest"
	"github.com/msctl/msctl/internal/testserver"
)

// httpTarget is a Target for a URL.
type httpTarget struct{ url string }

func (t httpTarget) Name() string { return t.url }
func (t httpTarget) New(id http.Header) (loadtest.Requester, error) {
	return loadtest.NewHTTPRequester(loadtest.HTTPOptions{Targets: []loadtest.HTTPTarget{{URL: t.url, Header: id}}, Timeout: 2 * time.Second})
}

func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol*want }

func TestFindRecoversRateAndBurst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rate  float64
		burst int
		style string
		// start is the first bracketing rate; 0 starts from the headers'
		// hint (or 10/s), which takes a few more steps.
		start float64
	}{
		{"draft headers", 40, 10, testserver.StyleDraft, 0},
		{"legacy headers", 100, 20, testserver.StyleLegacy, 40},
		{"no headers", 200, 40, testserver.StyleNone, 70},
		{"x headers", 25, 30, testserver.StyleX, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, err := testserver.StartLimited(testserver.LimitedOptions{Rate: tt.rate, Burst: tt.burst, Style: tt.style})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			p := &Prober{Target: httpTarget{srv.URL}, Draft: Draft11}
			if testing.Verbose() {
				p.Log = os.Stderr
			}
			res, err := p.Find(context.Background(), FindOptions{MaxDuration: 40 * time.Second, StartRate: tt.start})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != Found {
				t.Fatalf("verdict %s: %s (%+v)", res.Verdict, res.Reason, res.Steps)
			}
			if !within(res.SustainedRate, tt.rate, 0.05) {
				t.Errorf("sustained_rate = %v, want %v within 5%% (bracket %+v)", res.SustainedRate, tt.rate, res.Bracket)
				for _, s := range res.Steps {
					t.Logf("%+v", s)
				}
			}
			if !within(res.Burst, float64(tt.burst), 0.10) {
				t.Errorf("burst = %v, want %d within 10%%", res.Burst, tt.burst)
			}
			if tt.style != testserver.StyleNone && len(res.HeaderSources) == 0 {
				t.Errorf("no header sources recorded")
			}
			t.Logf("%s: rate %v burst %v in %vs, %d steps", tt.name, res.SustainedRate, res.Burst, res.ElapsedS, len(res.Steps))
		})
	}
}
