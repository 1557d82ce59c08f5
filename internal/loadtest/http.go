package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// HTTPTarget is one request to send.
type HTTPTarget struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// HTTPOptions configure the HTTP requester.
type HTTPOptions struct {
	Targets []HTTPTarget
	// HTTP2 uses HTTP/2: negotiated over TLS, or cleartext (h2c) for
	// http:// URLs.
	HTTP2 bool
	// Insecure skips TLS verification.
	Insecure bool
	Timeout  time.Duration
	// MaxConns bounds idle connections kept per host (default 10000).
	MaxConns int
}

// HTTPRequester sends HTTP requests round-robin over its targets. The hot
// path allocates as little as net/http allows: requests without a body are
// built once and shared (RoundTrip never modifies a request), redirects
// are not followed, and response bodies are drained through io.Discard's
// pooled buffer so that connections are reused.
type HTTPRequester struct {
	transport *http.Transport
	targets   []preparedTarget
	next      atomic.Uint64
	keep      bool
	name      string
}

type preparedTarget struct {
	req  *http.Request
	body []byte
}

// NewHTTPRequester checks the targets and builds a tuned client.
func NewHTTPRequester(opts HTTPOptions) (*HTTPRequester, error) {
	if len(opts.Targets) == 0 {
		return nil, errors.New("no targets")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 10000
	}
	dialer := &net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		MaxIdleConns:          opts.MaxConns,
		MaxIdleConnsPerHost:   opts.MaxConns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		TLSHandshakeTimeout:   opts.Timeout,
		DisableCompression:    true,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: opts.Insecure}, //nolint:gosec // --insecure is the user's explicit choice
		// Larger buffers mean fewer syscalls per response.
		WriteBufferSize: 16 << 10,
		ReadBufferSize:  16 << 10,
	}
	protos := new(http.Protocols)
	if opts.HTTP2 {
		protos.SetHTTP2(true)
		protos.SetUnencryptedHTTP2(true)
	} else {
		protos.SetHTTP1(true)
	}
	tr.Protocols = protos
	r := &HTTPRequester{transport: tr}
	for i, t := range opts.Targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("target %d: %q is not an http:// or https:// URL", i+1, t.URL)
		}
		if opts.HTTP2 && u.Scheme == "http" {
			// Cleartext HTTP/2 needs prior knowledge: with only h2c
			// enabled the transport speaks it directly.
			protos.SetHTTP2(false)
			protos.SetHTTP1(false)
		}
		method := t.Method
		if method == "" {
			method = http.MethodGet
		}
		req, err := http.NewRequestWithContext(context.Background(), method, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("target %d: %w", i+1, err)
		}
		req.Header = t.Header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		if req.Header.Get("User-Agent") == "" {
			req.Header.Set("User-Agent", "msctl-loadtest")
		}
		if host := req.Header.Get("Host"); host != "" {
			req.Host = host
		}
		r.targets = append(r.targets, preparedTarget{req: req, body: t.Body})
	}
	r.name = opts.Targets[0].URL
	if len(opts.Targets) > 1 {
		r.name = fmt.Sprintf("%s (+%d more targets)", r.name, len(opts.Targets)-1)
	}
	return r, nil
}

// Name implements Requester.
func (r *HTTPRequester) Name() string { return r.name }

// KeepHeaders implements HeaderKeeper.
func (r *HTTPRequester) KeepHeaders(v bool) { r.keep = v }

// Close implements Requester.
func (r *HTTPRequester) Close() { r.transport.CloseIdleConnections() }

// Do implements Requester.
func (r *HTTPRequester) Do(ctx context.Context, o *Outcome) {
	t := &r.targets[0]
	if len(r.targets) > 1 {
		t = &r.targets[(r.next.Add(1)-1)%uint64(len(r.targets))]
	}
	req := t.req.WithContext(ctx)
	if t.body != nil {
		req.Body = io.NopCloser(bytes.NewReader(t.body))
		req.ContentLength = int64(len(t.body))
		b := t.body
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	resp, err := r.transport.RoundTrip(req)
	if err != nil {
		o.Err = err
		o.Class = classifyErr(ctx, err)
		return
	}
	n, err := io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	o.BytesIn = n
	o.Code = resp.StatusCode
	o.Class = ClassOfHTTP(resp.StatusCode)
	if r.keep {
		o.Header = resp.Header
	}
	if err != nil {
		o.Err = err
		o.Class = classifyErr(ctx, err)
	}
}

// ClassOfHTTP classifies an HTTP status.
func ClassOfHTTP(code int) Class {
	switch {
	case code >= 200 && code < 300:
		return Accepted
	case code == http.StatusTooManyRequests:
		return Throttled
	case code == http.StatusServiceUnavailable:
		return Unavailable
	default:
		return Failed
	}
}

func classifyErr(ctx context.Context, err error) Class {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return Canceled
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return Timeout
	}
	return TransportError
}

// ParseTargets reads a targets file: blocks separated by blank lines, each
// a "METHOD URL" line, then "Name: value" header lines, then optionally
// "@path" naming a body file (relative to the targets file). Lines
// starting with # are comments. This is vegeta's http format.
func ParseTargets(path string, r io.Reader) ([]HTTPTarget, error) {
	var out []HTTPTarget
	var cur *HTTPTarget
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(s, "#"):
		case s == "":
			cur = nil
		case cur == nil:
			method, u, ok := strings.Cut(s, " ")
			if !ok || method != strings.ToUpper(method) {
				return nil, fmt.Errorf("%s:%d: want \"METHOD URL\", got %q", path, line, s)
			}
			out = append(out, HTTPTarget{Method: method, URL: strings.TrimSpace(u), Header: http.Header{}})
			cur = &out[len(out)-1]
		case strings.HasPrefix(s, "@"):
			name := s[1:]
			if !filepath.IsAbs(name) {
				name = filepath.Join(filepath.Dir(path), name)
			}
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: body: %w", path, line, err)
			}
			cur.Body = b
		default:
			k, v, ok := strings.Cut(s, ":")
			if !ok {
				return nil, fmt.Errorf("%s:%d: want a header \"Name: value\", got %q", path, line, s)
			}
			cur.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no targets", path)
	}
	return out, nil
}
