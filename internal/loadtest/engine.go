// Package loadtest is msctl's load engine: a Pacer that schedules requests
// at their intended send times (open model) or a fixed set of looping
// workers (closed model), Requesters for HTTP and gRPC, and Metrics that
// measure latency both from the intended send time (corrected for
// coordinated omission) and from the actual send time, in HDR histograms.
// Commands only drive it; it never reads flags or writes to the terminal.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/status"
)

// Outcome is what a Requester reports about one request.
type Outcome struct {
	// Code is the HTTP status or the gRPC status code; 0 when no response
	// came back.
	Code  int
	Class Class
	Err   error
	// BytesIn counts the response body.
	BytesIn int64
	// Header holds the response headers (gRPC: header and trailer
	// metadata) when the run asked for them (Options.OnResponse).
	Header http.Header
	// Status is the gRPC status of a failed call (its details may hold a
	// RetryInfo).
	Status *status.Status
	// Intended, Sent and Done are filled by the engine.
	Intended, Sent, Done time.Time
}

// Requester sends requests to a target. Do must be safe for concurrent
// use and must honour ctx.
type Requester interface {
	Do(ctx context.Context, o *Outcome)
	// Name describes the target for reports.
	Name() string
	Close()
}

// HeaderKeeper is implemented by requesters that can skip copying
// response headers when nobody reads them.
type HeaderKeeper interface{ KeepHeaders(bool) }

// Options control one run.
type Options struct {
	// Profile is the open-model rate; nil selects the closed model.
	Profile *Profile
	// Concurrency is the number of looping workers of the closed model.
	Concurrency int
	// Duration bounds the run (0: the profile's total, or Requests).
	Duration time.Duration
	// Requests bounds the number of requests sent (0: no bound).
	Requests int64
	// Workers is the initial size of the open model's worker pool, and
	// MaxWorkers its bound; the pool grows when every worker is busy.
	Workers    int
	MaxWorkers int
	// OnResponse, when set, sees every outcome (rate-limit analysis).
	OnResponse func(*Outcome)
	// Progress, when set, is called every ProgressEvery with a snapshot.
	Progress      func(elapsed, total time.Duration, s Snapshot)
	ProgressEvery time.Duration
}

// Run sends load to r as opts describe and returns the measured result.
// Cancelling ctx stops the run at once; the result covers what was sent.
func Run(ctx context.Context, r Requester, opts Options) (*Result, error) {
	if opts.Profile == nil && opts.Concurrency <= 0 {
		return nil, errors.New("need a rate (open model) or a concurrency (closed model)")
	}
	end := opts.Duration
	if opts.Profile != nil && end == 0 {
		end = opts.Profile.Total()
	}
	if end == 0 && opts.Requests == 0 {
		return nil, errors.New("the run is unbounded: give a duration or a number of requests")
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.MaxWorkers < opts.Workers {
		opts.MaxWorkers = max(opts.Workers, 10000)
	}
	if hk, ok := r.(HeaderKeeper); ok {
		hk.KeepHeaders(opts.OnResponse != nil)
	}
	start := time.Now()
	m := NewMetrics(start)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	stopProgress := startProgress(runCtx, m, start, end, opts)
	var st runStats
	if opts.Profile != nil {
		st = runOpen(runCtx, r, opts, m, start, end)
	} else {
		st = runClosed(runCtx, r, opts, m, start, end)
	}
	stopProgress()
	return buildResult(r.Name(), opts, m, start, st, ctx.Err() != nil), nil
}

// runStats are the pacer's own counts.
type runStats struct {
	planned     int64
	dispatched  int64
	stoppedAt   time.Time
	workers     int
	poolMaxed   bool
	interrupted bool
}

func startProgress(ctx context.Context, m *Metrics, start time.Time, total time.Duration, opts Options) func() {
	if opts.Progress == nil {
		return func() {}
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				opts.Progress(time.Since(start), total, m.Snapshot())
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func doOne(ctx context.Context, r Requester, m *Metrics, o *Outcome, intended time.Time, onResp func(*Outcome)) {
	*o = Outcome{Header: o.Header}
	o.Intended = intended
	o.Sent = time.Now()
	r.Do(ctx, o)
	o.Done = time.Now()
	if o.Class != Canceled && ctx.Err() != nil && o.Err != nil {
		o.Class = Canceled
	}
	m.Record(o.Intended, o.Sent, o.Done, o)
	if onResp != nil && o.Class != Canceled {
		onResp(o)
	}
}

// runOpen is the open model: the pacer (this goroutine) hands intended
// send times to a pool of workers and never waits for responses, except
// when every worker up to MaxWorkers is busy: then sends fall behind their
// intended times, which the corrected latency and the late and dropped
// counts show.
func runOpen(ctx context.Context, r Requester, opts Options, m *Metrics, start time.Time, end time.Duration) runStats {
	sched := NewSchedule(*opts.Profile, end)
	// Unbuffered: a send that finds no idle worker spawns one at once
	// instead of queueing behind busy ones (which would delay it).
	ticks := make(chan time.Time)
	var wg sync.WaitGroup
	var st runStats
	// busy counts workers in a request: the pool grows only when all are
	// busy, not when an idle one is merely on its way back to the channel
	// (growing then would open a connection per miss).
	var busy atomic.Int64
	worker := func() {
		defer wg.Done()
		var o Outcome
		for t := range ticks {
			if ctx.Err() != nil {
				continue
			}
			busy.Add(1)
			doOne(ctx, r, m, &o, t, opts.OnResponse)
			busy.Add(-1)
		}
	}
	spawn := func() {
		st.workers++
		wg.Add(1)
		go worker()
	}
	for range opts.Workers {
		spawn()
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// A generator that falls behind stops at the end of the run anyway:
	// what it still owed is counted as not sent.
	var overC <-chan time.Time
	// A send due just before the end may go out a little after it.
	grace := max(50*time.Millisecond, end/100)
	if end > 0 {
		over := time.NewTimer(end + grace)
		defer over.Stop()
		overC = over.C
	}
	overtime := false
	const spawnDelay = time.Millisecond
	spawnTimer := time.NewTimer(time.Hour)
	spawnTimer.Stop()
	defer spawnTimer.Stop()
	var pendingOffer int64
	var offerSec time.Duration = -1
	flushOffer := func() {
		if pendingOffer > 0 {
			m.Offer(pendingOffer, start.Add(offerSec))
			pendingOffer = 0
		}
	}
loop:
	for {
		if opts.Requests > 0 && st.planned >= opts.Requests {
			break
		}
		off, ok := sched.Next()
		if !ok {
			break
		}
		st.planned++
		if sec := off.Truncate(time.Second); sec != offerSec {
			flushOffer()
			offerSec = sec
		}
		pendingOffer++
		intended := start.Add(off)
		// Sleeping for less than ~50µs costs more than it is worth: at
		// high rates sends whose time has come go out back to back.
		if wait := time.Until(intended); wait > 50*time.Microsecond {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break loop
			}
		} else if end > 0 && time.Since(start) > end+grace {
			overtime = true
			break loop
		}
		select {
		case ticks <- intended:
			st.dispatched++
			continue
		default:
		}
		if busy.Load() >= int64(st.workers) {
			if st.workers < opts.MaxWorkers {
				// Every worker is busy. Wait a moment before adding one:
				// a momentary burst (the pacer catching up after a late
				// wake-up) would otherwise open a connection per send, and
				// thousands of connections slow the target itself.
				spawnTimer.Reset(spawnDelay)
				select {
				case ticks <- intended:
					st.dispatched++
					spawnTimer.Stop()
					continue
				case <-spawnTimer.C:
					spawn()
				case <-overC:
					overtime = true
					break loop
				case <-ctx.Done():
					break loop
				}
			} else {
				st.poolMaxed = true
			}
		}
		select {
		case ticks <- intended:
			st.dispatched++
		case <-overC:
			overtime = true
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	flushOffer()
	st.stoppedAt = time.Now()
	st.interrupted = ctx.Err() != nil
	close(ticks)
	wg.Wait()
	// Count what the schedule still owed when the run stopped early
	// (Ctrl-C): those sends were dropped, not merely late.
	if st.interrupted || overtime {
		limit := st.stoppedAt.Sub(start)
		if overtime {
			limit = end
		}
		for {
			if opts.Requests > 0 && st.planned >= opts.Requests {
				break
			}
			off, ok := sched.Next()
			if !ok || off > limit {
				break
			}
			st.planned++
			m.Offer(1, start.Add(off))
		}
	}
	return st
}

// runClosed is the closed model: Concurrency workers each send the next
// request when the previous one is answered.
func runClosed(ctx context.Context, r Requester, opts Options, m *Metrics, start time.Time, end time.Duration) runStats {
	var wg sync.WaitGroup
	var issued atomic.Int64
	var deadline time.Time
	if end > 0 {
		deadline = start.Add(end)
	}
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o Outcome
			for ctx.Err() == nil {
				if opts.Requests > 0 && issued.Add(1) > opts.Requests {
					return
				}
				now := time.Now()
				if !deadline.IsZero() && !now.Before(deadline) {
					return
				}
				doOne(ctx, r, m, &o, now, opts.OnResponse)
			}
		}()
	}
	wg.Wait()
	st := runStats{workers: opts.Concurrency, stoppedAt: time.Now(), interrupted: ctx.Err() != nil}
	snap := m.Snapshot()
	st.planned, st.dispatched = snap.Sent, snap.Sent
	return st
}

// generatorVerdict says, plainly, whether the generator kept up with the
// schedule; an empty string means it did.
func generatorVerdict(offered, achieved float64, planned, dropped, late int64, maxLag time.Duration, st runStats, maxWorkers int) string {
	if planned == 0 {
		return ""
	}
	// A handful of late sends (a busy machine, a GC pause) is noise that
	// the corrected latency already accounts for; only a pattern counts.
	behind := achieved < 0.99*offered && dropped > 10
	tooLate := float64(late) > 0.05*float64(planned) && late >= 50
	if !behind && !tooLate && (dropped <= 10 || float64(dropped) <= 0.01*float64(planned)) {
		return ""
	}
	why := "msctl could not send fast enough on this machine (CPU-bound)"
	if st.poolMaxed {
		why = fmt.Sprintf("all %d workers were waiting on responses (raise --max-workers, or the target is too slow for this rate)", maxWorkers)
	}
	return fmt.Sprintf("the load generator could not keep up: asked for %.0f req/s, sent %.0f req/s (%d late by more than %s, %d not sent, send lag up to %s): %s; the figures describe the generator, not the target",
		offered, achieved, late, lateAfter, dropped, maxLag.Round(time.Millisecond), why)
}
