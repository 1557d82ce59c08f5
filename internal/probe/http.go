package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The HTTP phases, as httpstat names them.
const (
	PhaseServer   = "server"   // request written until the first response byte
	PhaseTransfer = "transfer" // first byte until the body is read
)

// HTTPOptions configure an HTTP probe.
type HTTPOptions struct {
	URL     string
	Method  string   // default GET, or POST when Body is set
	Headers []string // "Name: value", as curl -H
	Body    []byte
	// Version is "" (HTTP/2 when TLS ALPN offers it, as curl does), "1.1"
	// (never HTTP/2) or "2" (HTTP/2 only; cleartext URLs use prior
	// knowledge, h2c).
	Version string
	// FollowRedirects follows up to MaxRedirects redirects (curl -L).
	FollowRedirects bool
	MaxRedirects    int
	TLS             TLSOptions
	// ShowHeaders are the response headers copied into the result;
	// default DefaultShowHeaders.
	ShowHeaders []string
	// ExpectStatus decides which status codes pass; default: below 400.
	ExpectStatus StatusMatcher
	// Now is the clock for certificate expiry; default time.Now.
	Now func() time.Time
}

// DefaultShowHeaders are the response headers an HTTP result shows.
var DefaultShowHeaders = []string{"Content-Type", "Content-Length", "Location", "Server"}

// HTTPDetails are the HTTP-specific fields of a Result.
type HTTPDetails struct {
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Proto      string            `json:"proto,omitempty"`
	StatusCode int               `json:"status_code,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	BodyBytes  int64             `json:"body_bytes"`
	Redirects  int               `json:"redirects"`
}

// maxKeptBody bounds what a probe keeps of a body for --expect-body; the
// rest is read (it is part of the transfer phase) and counted, not kept.
const maxKeptBody = 1 << 20

// HTTPProber probes one URL, keeping its connection across probes.
type HTTPProber struct {
	opts   HTTPOptions
	url    *url.URL
	header http.Header
	client *http.Client
	tr     *http.Transport
}

// NewHTTP validates the options and builds the client. Nothing is dialled.
func NewHTTP(o HTTPOptions) (*HTTPProber, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q: want http://HOST[:PORT]/PATH or https://...", o.URL)
	}
	if o.Method == "" {
		o.Method = http.MethodGet
		if o.Body != nil {
			o.Method = http.MethodPost
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ShowHeaders == nil {
		o.ShowHeaders = DefaultShowHeaders
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = 10
	}
	header := http.Header{}
	for _, h := range o.Headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("invalid header %q: want \"Name: value\"", h)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	tlsCfg, err := o.TLS.Config()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsCfg,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     90 * time.Second,
		// A probe wants the body as the server sent it, and its size.
		DisableCompression: true,
	}
	protos := new(http.Protocols)
	switch o.Version {
	case "", "1.1":
		protos.SetHTTP1(true)
		if o.Version == "" {
			protos.SetHTTP2(true)
		}
	case "2":
		protos.SetHTTP2(true)
		protos.SetUnencryptedHTTP2(true)
	default:
		return nil, fmt.Errorf("invalid HTTP version %q: want 1.1 or 2", o.Version)
	}
	tr.Protocols = protos
	p := &HTTPProber{opts: o, url: u, header: header, tr: tr}
	p.client = &http.Client{Transport: tr, CheckRedirect: p.checkRedirect}
	return p, nil
}

func (p *HTTPProber) checkRedirect(req *http.Request, via []*http.Request) error {
	if !p.opts.FollowRedirects {
		return http.ErrUseLastResponse
	}
	if len(via) > p.opts.MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", p.opts.MaxRedirects)
	}
	return nil
}

// Close drops the kept connections.
func (p *HTTPProber) Close() error {
	p.tr.CloseIdleConnections()
	return nil
}

// httpTimer collects httptrace events. Callbacks can run on other
// goroutines (dialing races IPv4 and IPv6), hence the mutex.
type httpTimer struct {
	mu                              sync.Mutex
	phase                           string
	dns, connect, tlsHS, server     time.Duration
	dnsStart, connStart, tlsStart   time.Time
	gotConn, firstByte              time.Time
	addrs                           []string
	alpn                            string
	remote                          string
	reused, connected, sawFirstByte bool
}

func (t *httpTimer) set(f func()) {
	t.mu.Lock()
	f()
	t.mu.Unlock()
}

func (t *httpTimer) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) {
			t.set(func() { t.phase, t.dnsStart = PhaseDNS, time.Now() })
		},
		DNSDone: func(i httptrace.DNSDoneInfo) {
			t.set(func() {
				t.dns += time.Since(t.dnsStart)
				t.addrs = t.addrs[:0]
				for _, a := range i.Addrs {
					t.addrs = append(t.addrs, a.IP.String())
				}
			})
		},
		ConnectStart: func(network, addr string) {
			t.set(func() {
				if t.connStart.IsZero() {
					t.phase, t.connStart = PhaseConnect, time.Now()
				}
			})
		},
		ConnectDone: func(network, addr string, err error) {
			t.set(func() {
				if !t.connected {
					// A failed dial is timed too: how long a refused or
					// filtered port takes to fail is part of the diagnosis.
					t.connected = err == nil
					t.connect += time.Since(t.connStart)
					t.remote = addr
				}
			})
		},
		TLSHandshakeStart: func() {
			t.set(func() { t.phase, t.tlsStart = PhaseTLS, time.Now() })
		},
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			t.set(func() {
				t.tlsHS += time.Since(t.tlsStart)
				if err == nil {
					t.alpn = cs.NegotiatedProtocol
				}
			})
		},
		GotConn: func(i httptrace.GotConnInfo) {
			t.set(func() {
				t.phase, t.gotConn, t.reused = PhaseServer, time.Now(), i.Reused
				// A redirect may dial again.
				t.connected, t.connStart = false, time.Time{}
				if i.Conn != nil {
					t.remote = i.Conn.RemoteAddr().String()
				}
			})
		},
		GotFirstResponseByte: func() {
			t.set(func() {
				t.phase, t.firstByte, t.sawFirstByte = PhaseTransfer, time.Now(), true
				t.server += t.firstByte.Sub(t.gotConn)
			})
		},
	}
}

// Probe sends the request once and reads the whole response.
func (p *HTTPProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "http", Target: RedactURL(p.opts.URL), StatusCode: -1}
	r.HTTP = &HTTPDetails{Method: p.opts.Method, URL: r.Target}
	t := &httpTimer{phase: PhaseConnect}
	if net.ParseIP(p.url.Hostname()) == nil {
		t.phase = PhaseDNS
	}
	start := time.Now()
	ctx = httptrace.WithClientTrace(ctx, t.trace())
	var body io.Reader
	if p.opts.Body != nil {
		body = bytes.NewReader(p.opts.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.opts.Method, p.opts.URL, body)
	if err != nil {
		r.Fail("request", ClassProtocol, err)
		return r
	}
	req.Header = p.header.Clone()
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := p.client.Do(req)
	var n int64
	if err == nil {
		var kept bytes.Buffer
		n, err = io.Copy(&kept, io.LimitReader(resp.Body, maxKeptBody))
		if err == nil {
			var rest int64
			rest, err = io.Copy(io.Discard, resp.Body)
			n += rest
		}
		resp.Body.Close()
		r.Body = kept.Bytes()
	}
	end := time.Now()

	t.mu.Lock()
	defer t.mu.Unlock()
	r.Addresses = append([]string(nil), t.addrs...)
	if len(r.Addresses) == 0 && net.ParseIP(p.url.Hostname()) != nil {
		r.Addresses = []string{p.url.Hostname()}
	}
	r.RemoteAddr, r.Reused = t.remote, t.reused
	if t.dns > 0 {
		r.addPhase(PhaseDNS, t.dns)
	}
	if t.connect > 0 {
		r.addPhase(PhaseConnect, t.connect)
	}
	if t.tlsHS > 0 {
		r.addPhase(PhaseTLS, t.tlsHS)
	}
	if t.sawFirstByte {
		r.addPhase(PhaseServer, t.server)
		r.addPhase(PhaseTransfer, end.Sub(t.firstByte))
	}
	r.TotalMS = ms(end.Sub(start))
	if resp != nil {
		r.HTTP.Proto = resp.Proto
		r.HTTP.StatusCode = resp.StatusCode
		r.HTTP.URL = resp.Request.URL.Redacted()
		r.HTTP.BodyBytes = n
		r.HTTP.Redirects = redirects(resp)
		r.StatusCode = resp.StatusCode
		r.Status = resp.Status
		for _, name := range p.opts.ShowHeaders {
			if v := resp.Header.Values(name); len(v) > 0 {
				if r.HTTP.Headers == nil {
					r.HTTP.Headers = map[string]string{}
				}
				r.HTTP.Headers[http.CanonicalHeaderKey(name)] = strings.Join(v, ", ")
			}
		}
		if resp.TLS != nil {
			r.TLS = NewTLSDetails(*resp.TLS, !p.opts.TLS.Insecure, p.opts.Now())
		}
	}
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		class := Classify(err, t.phase)
		phase := t.phase
		if t.tlsHS > 0 && t.alpn == "h2" && !t.sawFirstByte && droppedAfterHandshake(err) {
			// The HTTP/2 transport drops the TLS alert that explains this
			// (typically a rejected or missing client certificate, which
			// TLS 1.3 reports only after the client's handshake is done):
			// what is left is a closed connection or a broken pipe.
			class = ClassTLS
			err = fmt.Errorf("%w: the server closed the connection right after the TLS handshake (a client certificate required? see --cert/--key; --http1.1 shows the TLS alert)", err)
		}
		if class == ClassTLS {
			// With TLS 1.3 a rejected client certificate surfaces only when
			// the response is read; it is still the handshake that failed.
			phase = PhaseTLS
		}
		r.Fail(phase, class, err)
		return r
	}
	r.OK = true
	if !p.opts.ExpectStatus.Match(resp.StatusCode, resp.Status, func(c int) bool { return c < 400 }) {
		r.Fail(PhaseServer, ClassStatus, fmt.Errorf("status %s, want %s", resp.Status, p.opts.ExpectStatus.Describe("below 400")))
	}
	return r
}

// droppedAfterHandshake reports errors that mean the peer closed the
// connection under an HTTP/2 client that had not yet got an answer.
func droppedAfterHandshake(err error) bool {
	return strings.Contains(err.Error(), "http2: client conn could not be established") ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// redirects counts the hops that led to resp.
func redirects(resp *http.Response) int {
	n := 0
	for req := resp.Request; req != nil && req.Response != nil; req = req.Response.Request {
		n++
	}
	return n
}
