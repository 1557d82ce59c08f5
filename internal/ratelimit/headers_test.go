package ratelimit

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestParseHTTP(t *testing.T) {
	tests := []struct {
		name     string
		code     int
		h        http.Header
		draft    Draft
		policies []Policy
		states   []State
		retry    time.Duration
		thr      bool
	}{
		{
			name:     "draft-11 policy and state",
			code:     200,
			h:        hdr("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=50;t=30`),
			draft:    Draft11,
			policies: []Policy{{Name: "default", Quota: 100, Window: time.Minute, Source: "ratelimit-policy"}},
			states:   []State{{Name: "default", Remaining: 50, Window: 30 * time.Second, Source: "ratelimit"}},
		},
		{
			name:     "draft-10 reads t as the reset",
			code:     200,
			h:        hdr("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=50;t=30`),
			draft:    Draft10,
			policies: []Policy{{Name: "default", Quota: 100, Window: time.Minute, Source: "ratelimit-policy"}},
			states:   []State{{Name: "default", Remaining: 50, ResetIn: 30 * time.Second, Source: "ratelimit"}},
		},
		{
			name:  "several policies, quota unit and partition key",
			code:  200,
			h:     hdr("RateLimit-Policy", `"burst";q=10;w=1, "daily";q=1000;w=86400;qu="requests";pk=:YWJj:`),
			draft: Draft11,
			policies: []Policy{
				{Name: "burst", Quota: 10, Window: time.Second, Source: "ratelimit-policy"},
				{Name: "daily", Quota: 1000, Window: 24 * time.Hour, Unit: "requests", Partition: ":YWJj:", Source: "ratelimit-policy"},
			},
		},
		{
			name:   "quoted names with commas",
			code:   429,
			h:      hdr("RateLimit", `"a,b";r=0;t=5`),
			draft:  Draft11,
			states: []State{{Name: "a,b", Remaining: 0, Window: 5 * time.Second, Source: "ratelimit"}},
			thr:    true,
		},
		{
			name:     "draft-08 dictionary and bare policy",
			code:     200,
			h:        hdr("RateLimit", "limit=100, remaining=99, reset=50", "RateLimit-Policy", "100;w=60"),
			policies: []Policy{{Quota: 100, Window: time.Minute, Source: "ratelimit-policy"}},
			states:   []State{{Limit: 100, Remaining: 99, ResetIn: 50 * time.Second, Source: "ratelimit-dict"}},
		},
		{
			name:   "legacy RateLimit-*",
			code:   200,
			h:      hdr("RateLimit-Limit", "10", "RateLimit-Remaining", "3", "RateLimit-Reset", "7"),
			states: []State{{Limit: 10, Remaining: 3, ResetIn: 7 * time.Second, Source: "ratelimit-legacy"}},
		},
		{
			name:   "legacy limit with a policy suffix",
			code:   200,
			h:      hdr("RateLimit-Limit", "10, 10;w=1, 1000;w=3600", "RateLimit-Remaining", "9"),
			states: []State{{Limit: 10, Remaining: 9, Source: "ratelimit-legacy"}},
		},
		{
			name:   "X- headers with an epoch reset",
			code:   200,
			h:      hdr("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "4999", "X-RateLimit-Reset", "1795784460"),
			states: []State{{Limit: 5000, Remaining: 4999, ResetIn: 1795784460*time.Second - time.Duration(now.UnixNano()), Source: "x-ratelimit"}},
		},
		{
			name:     "X- headers with a window",
			code:     200,
			h:        hdr("X-RateLimit-Limit", "60", "X-RateLimit-Remaining", "0", "X-RateLimit-Window", "60"),
			policies: []Policy{{Quota: 60, Window: time.Minute, Source: "x-ratelimit"}},
			states:   []State{{Limit: 60, Remaining: 0, Source: "x-ratelimit"}},
		},
		{
			name:   "X- reset in fractional seconds",
			code:   200,
			h:      hdr("X-RateLimit-Remaining", "1", "X-RateLimit-Reset", "1.5"),
			states: []State{{Remaining: 1, ResetIn: 1500 * time.Millisecond, Source: "x-ratelimit"}},
		},
		{
			name:  "429 with Retry-After seconds",
			code:  429,
			h:     hdr("Retry-After", "3"),
			retry: 3 * time.Second,
			thr:   true,
		},
		{
			name:  "503 with Retry-After as an HTTP date",
			code:  503,
			h:     hdr("Retry-After", "Fri, 27 Nov 2026 12:00:10 GMT"),
			retry: 10 * time.Second,
		},
		{
			name: "Retry-After in the past, and garbage ignored",
			code: 429,
			h:    hdr("Retry-After", "Fri, 27 Nov 2026 11:00:00 GMT", "RateLimit", "nonsense", "RateLimit-Policy", `"x";w=1`),
			thr:  true,
		},
		{
			name:  "gRPC pushback in HTTP headers (metadata)",
			code:  0,
			h:     hdr("grpc-retry-pushback-ms", "250"),
			retry: 250 * time.Millisecond,
		},
		{
			name: "nothing",
			code: 200,
			h:    hdr("Content-Type", "text/plain"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ParseHTTP(tt.code, tt.h, now, tt.draft)
			if !reflect.DeepEqual(s.Policies, tt.policies) {
				t.Errorf("policies = %+v, want %+v", s.Policies, tt.policies)
			}
			if !reflect.DeepEqual(s.States, tt.states) {
				t.Errorf("states = %+v, want %+v", s.States, tt.states)
			}
			if s.RetryAfter != tt.retry || s.Throttled != tt.thr {
				t.Errorf("retry %v throttled %v, want %v %v", s.RetryAfter, s.Throttled, tt.retry, tt.thr)
			}
			if s.Unavailable != (tt.code == 503) {
				t.Errorf("unavailable = %v", s.Unavailable)
			}
		})
	}
}

func TestParseGRPC(t *testing.T) {
	st, err := status.New(codes.ResourceExhausted, "slow down").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	s := ParseGRPC(st, hdr("grpc-retry-pushback-ms", "100"), now, Draft11)
	if !s.Throttled || s.RetryAfter != 1500*time.Millisecond {
		t.Errorf("RetryInfo: %+v", s)
	}
	s = ParseGRPC(status.New(codes.ResourceExhausted, "x"), hdr("grpc-retry-pushback-ms", "100"), now, Draft11)
	if !s.Throttled || s.RetryAfter != 100*time.Millisecond {
		t.Errorf("pushback: %+v", s)
	}
	s = ParseGRPC(status.New(codes.Unavailable, "x"), nil, now, Draft11)
	if s.Throttled || !s.Unavailable {
		t.Errorf("unavailable: %+v", s)
	}
	if s := ParseGRPC(nil, nil, now, Draft11); s.Throttled || s.Any() {
		t.Errorf("ok: %+v", s)
	}
}

func TestPolicyRate(t *testing.T) {
	if r := (Policy{Quota: 100, Window: time.Minute}).Rate(); r < 1.66 || r > 1.67 {
		t.Errorf("rate = %v", r)
	}
	if r := (Policy{Quota: 100}).Rate(); r != 0 {
		t.Errorf("rate without window = %v", r)
	}
}
