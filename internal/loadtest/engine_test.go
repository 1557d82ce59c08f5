package loadtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func newRequester(t *testing.T, url string) Requester {
	t.Helper()
	r, err := NewHTTP(HTTPOptions{Targets: []HTTPTarget{{URL: url}}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func run(t *testing.T, r Requester, opts Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFixedDelayP50(t *testing.T) {
	const delay = 20 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
	}))
	defer srv.Close()
	p := Constant(100)
	res := run(t, newRequester(t, srv.URL), Options{Profile: &p, Duration: time.Second})
	if res.Requests.Sent != 100 || res.Status.Accepted != 100 {
		t.Fatalf("sent %d, accepted %d; want 100", res.Requests.Sent, res.Status.Accepted)
	}
	p50 := res.LatencyMs.Corrected.P50
	if p50 < 20 || p50 > 30 {
		t.Errorf("corrected p50 = %vms, want about 20ms", p50)
	}
	if u := res.LatencyMs.Uncorrected.P50; u < 20 || u > p50+0.5 {
		t.Errorf("uncorrected p50 = %vms, want between 20ms and the corrected %vms", u, p50)
	}
	if !res.Generator.KeptUp || res.Codes["200"] != 100 {
		t.Errorf("kept up %v (%s), codes %v", res.Generator.KeptUp, res.Generator.Verdict, res.Codes)
	}
	if len(res.Series) == 0 || res.Series[0].Offered != 100 {
		t.Errorf("series = %+v", res.Series)
	}
}

// A server that stops answering for 300ms at the start of every second.
// With a few connections, a closed-loop view (uncorrected) only sees the
// handful of requests caught in the stall; the corrected view charges the
// wait to every request that was due during it.
func TestStallShowsInCorrectedLatencyOnly(t *testing.T) {
	start := time.Now()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if in := time.Since(start) % time.Second; in < 300*time.Millisecond {
			time.Sleep(300*time.Millisecond - in)
		}
	}))
	defer srv.Close()
	p := Constant(200)
	res := run(t, newRequester(t, srv.URL), Options{Profile: &p, Duration: 2 * time.Second, Workers: 2, MaxWorkers: 2})
	c, u := res.LatencyMs.Corrected, res.LatencyMs.Uncorrected
	if c.P90 < 100 {
		t.Errorf("corrected p90 = %vms, want the stall (>100ms) to show", c.P90)
	}
	if u.P90 > 50 {
		t.Errorf("uncorrected p90 = %vms, want it to hide the stall (<50ms)", u.P90)
	}
	if res.Requests.Late == 0 {
		t.Error("no late sends counted during the stall")
	}
	if note := CoordinatedOmissionNote(res); !strings.Contains(note, "stalled") {
		t.Errorf("no explanation of the difference: %q", note)
	} else {
		t.Log(note)
	}
}

func TestGeneratorOverloadReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
	}))
	defer srv.Close()
	p := Constant(50000)
	res := run(t, newRequester(t, srv.URL), Options{Profile: &p, Duration: 500 * time.Millisecond, Workers: 2, MaxWorkers: 2})
	if res.Generator.KeptUp || !strings.Contains(res.Generator.Verdict, "could not keep up") {
		t.Fatalf("overload not reported: %+v", res.Generator)
	}
	if res.Requests.Dropped == 0 || res.AchievedRate >= res.OfferedRate {
		t.Errorf("dropped %d, achieved %v of %v", res.Requests.Dropped, res.AchievedRate, res.OfferedRate)
	}
	t.Log(res.Generator.Verdict)
}

func TestClosedModelAndRequestsBound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test") != "yes" || r.Method != http.MethodPost {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(429)
	}))
	defer srv.Close()
	rq, err := NewHTTP(HTTPOptions{Targets: []HTTPTarget{{Method: "POST", URL: srv.URL, Header: http.Header{"X-Test": {"yes"}}, Body: []byte("{}")}}})
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, rq, Options{Concurrency: 4, Requests: 200})
	if res.Requests.Sent != 200 || res.Status.Throttled != 200 || res.Model != "closed" {
		t.Errorf("sent %d throttled %d model %s", res.Requests.Sent, res.Status.Throttled, res.Model)
	}
}

func TestCancelStopsAtOnceWithReport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	p := Constant(100)
	began := time.Now()
	res, err := Run(ctx, newRequester(t, srv.URL), Options{Profile: &p, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(began) > 5*time.Second {
		t.Errorf("cancel took %v", time.Since(began))
	}
	if !res.Interrupted || res.Requests.Sent < 10 || res.Requests.Sent > 60 {
		t.Errorf("interrupted %v sent %d", res.Interrupted, res.Requests.Sent)
	}
}

func TestTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	srv.Close()
	res := run(t, newRequester(t, url), Options{Concurrency: 1, Requests: 5})
	if res.Status.TransportErrors != 5 || len(res.Errors) == 0 {
		t.Errorf("status %+v errors %v", res.Status, res.Errors)
	}
}

func TestMergeIsExact(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p := Constant(200)
	a := run(t, newRequester(t, srv.URL), Options{Profile: &p, Requests: 50})
	b := run(t, newRequester(t, srv.URL), Options{Profile: &p, Requests: 70})
	var files []*Result
	for i, r := range []*Result{a, b} {
		buf, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		path := t.TempDir() + "/r.json"
		if err := writeFile(path, buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadResult(path)
		if err != nil {
			t.Fatalf("result %d: %v", i, err)
		}
		files = append(files, back)
	}
	m, err := Merge(files)
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests.Sent != 120 || m.Status.Accepted != 120 || m.Runs != 2 || m.corrected.TotalCount() != 120 {
		t.Errorf("merged sent %d accepted %d runs %d hist %d", m.Requests.Sent, m.Status.Accepted, m.Runs, m.corrected.TotalCount())
	}
	if m.LatencyMs.Corrected.Max != max(a.LatencyMs.Corrected.Max, b.LatencyMs.Corrected.Max) {
		t.Errorf("merged max %v, inputs %v %v", m.LatencyMs.Corrected.Max, a.LatencyMs.Corrected.Max, b.LatencyMs.Corrected.Max)
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
