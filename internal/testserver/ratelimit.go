package testserver

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Header styles a Limited server can announce its limit with.
const (
	StyleNone   = "none"   // status only
	StyleDraft  = "draft"  // RateLimit-Policy / RateLimit structured fields
	StyleDraft8 = "draft8" // RateLimit: limit=, remaining=, reset= and RateLimit-Policy: 100;w=1
	StyleLegacy = "legacy" // RateLimit-Limit / -Remaining / -Reset
	StyleX      = "x"      // X-RateLimit-Limit / -Remaining / -Reset (epoch seconds)
	StyleDate   = "date"   // Retry-After as an HTTP date
)

// LimitedOptions configure a rate-limited server with known behaviour.
type LimitedOptions struct {
	// Rate (per second) and Burst of the token bucket.
	Rate  float64
	Burst int
	// Style is one of the Style constants (default StyleDraft).
	Style string
	// Status answers throttled requests (default 429).
	Status int
	// PerClient names a header whose value keys separate buckets; empty
	// means one global bucket.
	PerClient string
	// Capacity, when > 0, makes a server without any limiter that can
	// serve Capacity requests at once, each taking Delay; requests beyond
	// twice that wait in line and beyond 4x get 503: a saturating server.
	Capacity int
	Delay    time.Duration
}

// Limited is a running loopback server.
type Limited struct {
	URL  string
	Addr string
	stop func()
}

// Close stops the server.
func (l *Limited) Close() { l.stop() }

type buckets struct {
	mu   sync.Mutex
	rate float64
	b    int
	m    map[string]*rate.Limiter
}

func (bs *buckets) get(key string) *rate.Limiter {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	l, ok := bs.m[key]
	if !ok {
		l = rate.NewLimiter(rate.Limit(bs.rate), bs.b)
		bs.m[key] = l
	}
	return l
}

// StartLimited starts an HTTP server on 127.0.0.1 that enforces a token
// bucket (golang.org/x/time/rate) and announces it in the chosen style.
func StartLimited(opts LimitedOptions) (*Limited, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if opts.Status == 0 {
		opts.Status = http.StatusTooManyRequests
	}
	if opts.Style == "" {
		opts.Style = StyleDraft
	}
	var h http.Handler
	if opts.Capacity > 0 {
		h = saturating(opts)
	} else {
		h = limited(opts)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	addr := ln.Addr().String()
	return &Limited{URL: "http://" + addr + "/", Addr: addr, stop: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}}, nil
}

func limited(opts LimitedOptions) http.Handler {
	bs := &buckets{rate: opts.Rate, b: opts.Burst, m: map[string]*rate.Limiter{}}
	window := math.Max(1, math.Ceil(float64(opts.Burst)/opts.Rate))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := ""
		if opts.PerClient != "" {
			key = r.Header.Get(opts.PerClient)
		}
		l := bs.get(key)
		now := time.Now()
		ok := l.AllowN(now, 1)
		tokens := math.Max(0, l.TokensAt(now))
		remaining := int(tokens)
		// Seconds until the bucket is full again, and until one token.
		full := int(math.Ceil((float64(opts.Burst) - tokens) / opts.Rate))
		next := math.Max(1, math.Ceil((1-tokens)/opts.Rate))
		hd := w.Header()
		switch opts.Style {
		case StyleDraft:
			// A token bucket has no exact quota per window; r per second
			// over the refill window is what most gateways announce.
			hd.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=%d`, int(math.Round(opts.Rate*window)), int(window)))
			hd.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, remaining, full))
		case StyleDraft8:
			hd.Set("RateLimit-Policy", fmt.Sprintf(`%d;w=%d`, opts.Burst, int(window)))
			hd.Set("RateLimit", fmt.Sprintf(`limit=%d, remaining=%d, reset=%d`, opts.Burst, remaining, full))
		case StyleLegacy:
			hd.Set("RateLimit-Limit", strconv.Itoa(opts.Burst))
			hd.Set("RateLimit-Remaining", strconv.Itoa(remaining))
			hd.Set("RateLimit-Reset", strconv.Itoa(full))
		case StyleX:
			hd.Set("X-RateLimit-Limit", strconv.Itoa(opts.Burst))
			hd.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
			hd.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Duration(full)*time.Second).Unix(), 10))
		}
		if !ok {
			if opts.Style == StyleDate {
				hd.Set("Retry-After", now.Add(time.Duration(next)*time.Second).UTC().Format(http.TimeFormat))
			} else {
				hd.Set("Retry-After", strconv.Itoa(int(next)))
			}
			w.WriteHeader(opts.Status)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

func saturating(opts LimitedOptions) http.Handler {
	sem := make(chan struct{}, opts.Capacity)
	var mu sync.Mutex
	waiting := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if waiting >= 4*opts.Capacity {
			mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		waiting++
		mu.Unlock()
		sem <- struct{}{}
		time.Sleep(opts.Delay)
		<-sem
		mu.Lock()
		waiting--
		mu.Unlock()
		_, _ = w.Write([]byte("ok\n"))
	})
}

// StartLimitedGRPC starts a gRPC server with reflection and the health
// service, whose calls pass a token bucket; throttled calls fail with
// RESOURCE_EXHAUSTED, a grpc-retry-pushback-ms trailer and a RetryInfo
// detail. Call grpc://ADDR/grpc.health.v1.Health/Check.
func StartLimitedGRPC(opts LimitedOptions) (*Limited, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	bs := &buckets{rate: opts.Rate, b: opts.Burst, m: map[string]*rate.Limiter{}}
	limit := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if info.FullMethod != healthpb.Health_Check_FullMethodName {
			return handler(ctx, req)
		}
		key := ""
		if md, ok := metadata.FromIncomingContext(ctx); ok && opts.PerClient != "" {
			if v := md.Get(opts.PerClient); len(v) > 0 {
				key = v[0]
			}
		}
		l := bs.get(key)
		if l.Allow() {
			return handler(ctx, req)
		}
		wait := time.Duration(math.Max(1, (1-l.Tokens())/opts.Rate*1000)) * time.Millisecond
		_ = grpc.SetTrailer(ctx, metadata.Pairs("grpc-retry-pushback-ms", strconv.FormatInt(wait.Milliseconds(), 10)))
		st, _ := status.New(codes.ResourceExhausted, "rate limited").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)})
		return nil, st.Err()
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(limit))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	reflection.Register(srv)
	go func() { _ = srv.Serve(ln) }()
	addr := ln.Addr().String()
	return &Limited{URL: "grpc://" + addr + "/grpc.health.v1.Health/Check", Addr: addr, stop: srv.Stop}, nil
}
