package probe

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

// BenchmarkProbeHTTP measures what msctl adds to one HTTP request over a
// kept connection: the same GET through a plain net/http client and
// through HTTPProber (with its trace, timing and result), interleaved so
// that both see the same server and machine state. The overhead-µs/op
// metric is the difference of the two means; the goal is under 50 µs.
func BenchmarkProbeHTTP(b *testing.B) {
	s := httptest.NewServer(testserver.HTTPHandler())
	defer s.Close()
	url := s.URL + "/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	defer client.CloseIdleConnections()
	p, err := NewHTTP(HTTPOptions{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	raw := func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	probe := func() {
		// As Run does for every probe: a per-probe deadline, the result
		// and its checks.
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r := p.Probe(pctx)
		cancel()
		Check(r, nil, 0)
		if !r.OK {
			b.Fatal(r.Error)
		}
	}
	raw()
	probe()
	var rawTime, probeTime time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		raw()
		t1 := time.Now()
		probe()
		t2 := time.Now()
		rawTime += t1.Sub(t0)
		probeTime += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(rawTime.Microseconds())/n, "net/http-µs/op")
	b.ReportMetric(float64(probeTime.Microseconds())/n, "probe-µs/op")
	b.ReportMetric(float64((probeTime-rawTime).Microseconds())/n, "overhead-µs/op")
}
