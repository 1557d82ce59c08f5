package ratelimit

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/loadtest"
)

// TargetOptions describe the requests a probe sends.
type TargetOptions struct {
	URL     string
	Method  string
	Header  http.Header
	Body    []byte
	HTTP2   bool
	Timeout time.Duration
	// Insecure skips TLS verification.
	Insecure bool
	// GRPC: request data as JSON, and proto files instead of reflection.
	Data        string
	Protos      []string
	ImportPaths []string
}

// URLTarget probes an http(s):// or grpc(s):// URL.
type URLTarget struct {
	Opts TargetOptions
	// Ctx bounds gRPC set-up (reflection).
	Ctx context.Context
}

// Name implements Target.
func (t *URLTarget) Name() string { return t.Opts.URL }

// New implements Target.
func (t *URLTarget) New(identity http.Header) (loadtest.Requester, error) {
	h := t.Opts.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, vs := range identity {
		h[k] = vs
	}
	timeout := t.Opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if strings.HasPrefix(t.Opts.URL, "grpc://") || strings.HasPrefix(t.Opts.URL, "grpcs://") {
		ctx := t.Ctx
		if ctx == nil {
			ctx = context.Background()
		}
		setup, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return loadtest.NewGRPCRequester(setup, loadtest.GRPCOptions{
			Target: t.Opts.URL, Data: t.Opts.Data, Protos: t.Opts.Protos, ImportPaths: t.Opts.ImportPaths,
			Metadata: h, Insecure: t.Opts.Insecure, Timeout: timeout, Conns: 1,
		})
	}
	return loadtest.NewHTTP(loadtest.HTTPOptions{
		Targets: []loadtest.HTTPTarget{{Method: t.Opts.Method, URL: t.Opts.URL, Header: h, Body: t.Opts.Body}},
		HTTP2:   t.Opts.HTTP2, Insecure: t.Opts.Insecure, Timeout: timeout,
	})
}
