// Package ratelimit reads every rate-limit signal a response can carry
// (IETF RateLimit structured fields, legacy and X- headers, Retry-After,
// 429/503, gRPC RESOURCE_EXHAUSTED with pushback or RetryInfo) and finds
// or verifies a service's limit with open-model probes from
// internal/loadtest.
package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Draft selects how the `t` parameter of the RateLimit field is read.
type Draft int

const (
	// Draft10 reads `t` as the number of seconds until the quota resets
	// (draft-ietf-httpapi-ratelimit-headers-10).
	Draft10 Draft = 10
	// Draft11 reads `t` as the effective window in seconds over which the
	// remaining quota `r` applies (draft-ietf-httpapi-ratelimit-headers-11).
	Draft11 Draft = 11
)

// Policy is a declared quota: Quota units per Window.
type Policy struct {
	Name   string        `json:"name,omitempty"`
	Quota  int64         `json:"quota"`
	Window time.Duration `json:"window"`
	// Unit is the draft's quota unit (qu): requests, content-bytes...
	Unit string `json:"unit,omitempty"`
	// Partition is the draft's partition key (pk), opaque.
	Partition string `json:"partition,omitempty"`
	// Source names the header it came from.
	Source string `json:"source"`
}

// Rate is the policy as requests per second.
func (p Policy) Rate() float64 {
	if p.Window <= 0 {
		return 0
	}
	return float64(p.Quota) / p.Window.Seconds()
}

// State is the current service limit a response reports.
type State struct {
	Name string `json:"name,omitempty"`
	// Limit is the quota, when the header says it (legacy headers).
	Limit     int64 `json:"limit,omitempty"`
	Remaining int64 `json:"remaining"`
	// ResetIn is the time until the quota resets (Draft10 `t`, legacy
	// -Reset), when known.
	ResetIn time.Duration `json:"reset_in,omitempty"`
	// Window is the time the remaining quota is spread over (Draft11 `t`).
	Window time.Duration `json:"window,omitempty"`
	Source string        `json:"source"`
}

// Signals is everything one response says about rate limiting.
type Signals struct {
	// Throttled is true for HTTP 429 and gRPC RESOURCE_EXHAUSTED.
	Throttled bool `json:"throttled"`
	// Unavailable is true for HTTP 503 and gRPC UNAVAILABLE.
	Unavailable bool     `json:"unavailable"`
	Policies    []Policy `json:"policies,omitempty"`
	States      []State  `json:"states,omitempty"`
	// RetryAfter is how long the server asks the client to wait.
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	// Sources lists the headers that were understood.
	Sources []string `json:"sources,omitempty"`
}

// Any reports whether the response carried any rate-limit header.
func (s Signals) Any() bool { return len(s.Policies) > 0 || len(s.States) > 0 || s.RetryAfter > 0 }

func (s *Signals) saw(src string) {
	for _, x := range s.Sources {
		if x == src {
			return
		}
	}
	s.Sources = append(s.Sources, src)
}

// ParseHTTP reads the signals of an HTTP response; now resolves HTTP
// dates and epoch resets.
func ParseHTTP(code int, h http.Header, now time.Time, draft Draft) Signals {
	var s Signals
	s.Throttled = code == http.StatusTooManyRequests
	s.Unavailable = code == http.StatusServiceUnavailable
	parseStructured(&s, h, draft)
	parseLegacy(&s, h, "RateLimit-", "ratelimit-legacy", now)
	parseLegacy(&s, h, "X-RateLimit-", "x-ratelimit", now)
	if v := h.Get("Retry-After"); v != "" {
		if d, ok := ParseRetryAfter(v, now); ok {
			s.RetryAfter = d
			s.saw("retry-after")
		}
	}
	if v := h.Get("Grpc-Retry-Pushback-Ms"); v != "" {
		if ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && ms >= 0 {
			s.RetryAfter = time.Duration(ms) * time.Millisecond
			s.saw("grpc-retry-pushback-ms")
		}
	}
	return s
}

// ParseGRPC reads the signals of a gRPC call: its status (with a RetryInfo
// detail) and its header and trailer metadata as an http.Header.
func ParseGRPC(st *status.Status, md http.Header, now time.Time, draft Draft) Signals {
	code := codes.OK
	if st != nil {
		code = st.Code()
	}
	s := ParseHTTP(0, md, now, draft)
	s.Throttled = code == codes.ResourceExhausted
	s.Unavailable = code == codes.Unavailable
	if st != nil {
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
				s.RetryAfter = ri.GetRetryDelay().AsDuration()
				s.saw("retry-info")
			}
		}
	}
	return s
}

// ParseRetryAfter reads delta-seconds or an HTTP date (RFC 9110 10.2.3).
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// parseStructured reads the draft fields. Two generations exist:
//
//	-09 and later: RateLimit-Policy: "name";q=100;w=60
//	               RateLimit: "name";r=50;t=30
//	-07/-08:       RateLimit-Policy: 100;w=60
//	               RateLimit: limit=100, remaining=50, reset=30
func parseStructured(s *Signals, h http.Header, draft Draft) {
	for _, v := range h.Values("RateLimit-Policy") {
		for _, m := range splitList(v) {
			item, params := parseItem(m)
			p := Policy{Source: "ratelimit-policy"}
			if strings.HasPrefix(item, `"`) {
				p.Name = strings.Trim(item, `"`)
				p.Quota = paramInt(params, "q", -1)
			} else {
				p.Quota = parseInt(item, -1)
			}
			w := paramInt(params, "w", -1)
			if p.Quota < 0 {
				continue
			}
			if w > 0 {
				p.Window = time.Duration(w) * time.Second
			}
			p.Unit = strings.Trim(params["qu"], `"`)
			p.Partition = params["pk"]
			s.Policies = append(s.Policies, p)
			s.saw("ratelimit-policy")
		}
	}
	for _, v := range h.Values("RateLimit") {
		members := splitList(v)
		if len(members) > 0 && strings.HasPrefix(strings.TrimSpace(members[0]), "limit=") || strings.Contains(v, "remaining=") {
			// -08 dictionary: limit=100, remaining=50, reset=30
			st := State{Source: "ratelimit-dict"}
			for _, m := range members {
				k, val, _ := strings.Cut(strings.TrimSpace(m), "=")
				n := parseInt(val, -1)
				switch k {
				case "limit":
					st.Limit = n
				case "remaining":
					st.Remaining = n
				case "reset":
					if n >= 0 {
						st.ResetIn = time.Duration(n) * time.Second
					}
				}
			}
			s.States = append(s.States, st)
			s.saw("ratelimit")
			continue
		}
		for _, m := range members {
			item, params := parseItem(m)
			r := paramInt(params, "r", -1)
			if r < 0 {
				continue
			}
			st := State{Name: strings.Trim(item, `"`), Remaining: r, Source: "ratelimit"}
			if t := paramInt(params, "t", -1); t >= 0 {
				if draft == Draft10 {
					st.ResetIn = time.Duration(t) * time.Second
				} else {
					st.Window = time.Duration(t) * time.Second
				}
			}
			s.States = append(s.States, st)
			s.saw("ratelimit")
		}
	}
}

// parseLegacy reads PREFIX-Limit / -Remaining / -Reset. -Reset is seconds
// until reset, or, when larger than a year of seconds, a Unix time (as
// GitHub and many others send). -Limit may carry a policy suffix
// ("100, 100;w=60") from early drafts; only the first number counts.
func parseLegacy(s *Signals, h http.Header, prefix, src string, now time.Time) {
	limit, hasLimit := firstInt(h.Get(prefix + "Limit"))
	remaining, hasRem := firstInt(h.Get(prefix + "Remaining"))
	reset, hasReset := firstFloat(h.Get(prefix + "Reset"))
	if !hasLimit && !hasRem && !hasReset {
		return
	}
	st := State{Limit: limit, Remaining: remaining, Source: src}
	if !hasRem {
		st.Remaining = -1
	}
	if hasReset {
		if reset > 365*24*3600 {
			if d := time.Unix(0, int64(reset*1e9)).Sub(now); d > 0 {
				st.ResetIn = d
			}
		} else {
			st.ResetIn = time.Duration(reset * float64(time.Second))
		}
	}
	s.States = append(s.States, st)
	s.saw(src)
	if hasLimit {
		if w, ok := firstInt(h.Get(prefix + "Window")); ok && w > 0 {
			s.Policies = append(s.Policies, Policy{Quota: limit, Window: time.Duration(w) * time.Second, Source: src})
		}
	}
}

// splitList splits a structured-field list on commas outside quotes.
func splitList(v string) []string {
	var out []string
	inQ, start := false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQ = !inQ
		case '\\':
			i++
		case ',':
			if !inQ {
				out = append(out, strings.TrimSpace(v[start:i]))
				start = i + 1
			}
		}
	}
	if last := strings.TrimSpace(v[start:]); last != "" {
		out = append(out, last)
	}
	return out
}

// parseItem splits `item;k=v;k2=v2` (quotes kept on the item).
func parseItem(m string) (string, map[string]string) {
	parts := strings.Split(m, ";")
	params := map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[strings.ToLower(k)] = v
	}
	return strings.TrimSpace(parts[0]), params
}

func paramInt(params map[string]string, k string, def int64) int64 {
	v, ok := params[k]
	if !ok {
		return def
	}
	return parseInt(v, def)
}

func parseInt(v string, def int64) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return def
	}
	return n
}

func firstInt(v string) (int64, bool) {
	if v == "" {
		return 0, false
	}
	f, ok := firstFloat(v)
	return int64(f), ok
}

func firstFloat(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if i := strings.IndexAny(v, ",;"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
