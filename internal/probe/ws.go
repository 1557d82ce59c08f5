package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// The WebSocket phases after dns, connect and tls.
const (
	PhaseUpgrade = "upgrade" // HTTP request until 101 Switching Protocols
	PhaseReply   = "reply"   // message sent until the reply (or --expect match)
	PhasePing    = "ping"    // ping until pong
	PhaseClose   = "close"   // close frame sent until the peer's close frame
)

// WSOptions configure a WebSocket probe.
type WSOptions struct {
	URL          string
	Headers      []string
	Subprotocols []string
	// Message is sent after the upgrade; empty sends nothing and waits
	// for nothing unless Expect is set.
	Message string
	// Expect, when set, is matched against each received message until
	// one matches; otherwise the first message is the reply.
	Expect *regexp.Regexp
	// NoPing skips the ping, for servers that do not answer pings.
	NoPing bool
	TLS    TLSOptions
	Now    func() time.Time
}

// WSDetails are the WebSocket-specific fields of a Result.
type WSDetails struct {
	Subprotocol string `json:"subprotocol,omitempty"`
	Sent        string `json:"sent,omitempty"`
	Received    string `json:"received,omitempty"`
	// Messages counts the messages read until the reply.
	Messages  int `json:"messages"`
	CloseCode int `json:"close_code,omitempty"`
}

// maxShownMessage bounds the reply kept in the result.
const maxShownMessage = 1024

// WSProber opens a WebSocket per probe: upgrade, message round trip,
// ping, close handshake.
type WSProber struct {
	opts   WSOptions
	url    string
	header http.Header
	tr     *http.Transport
}

// NewWS validates the options. http(s):// URLs are taken as ws(s)://.
func NewWS(o WSOptions) (*WSProber, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q: want ws://HOST[:PORT]/PATH or wss://...", o.URL)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("invalid URL %q: want ws://HOST[:PORT]/PATH or wss://...", o.URL)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	header := http.Header{}
	for _, h := range o.Headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("invalid header %q: want \"Name: value\"", h)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	cfg, err := o.TLS.Config()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{}).DialContext, TLSClientConfig: cfg}
	return &WSProber{opts: o, url: u.String(), header: header, tr: tr}, nil
}

// Close releases idle connections.
func (p *WSProber) Close() error {
	p.tr.CloseIdleConnections()
	return nil
}

// Probe runs one WebSocket session.
func (p *WSProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "ws", Target: RedactURL(p.opts.URL), StatusCode: -1}
	d := &WSDetails{Sent: p.opts.Message}
	r.WS = d
	u, _ := url.Parse(p.url)
	t := &httpTimer{phase: PhaseConnect}
	if net.ParseIP(u.Hostname()) == nil {
		t.phase = PhaseDNS
	}
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	c, resp, err := websocket.Dial(httptrace.WithClientTrace(ctx, t.trace()), p.url, &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: p.tr}, HTTPHeader: p.header, Subprotocols: p.opts.Subprotocols,
	})
	upgraded := time.Now()
	t.mu.Lock()
	r.Addresses = append([]string(nil), t.addrs...)
	if len(r.Addresses) == 0 && net.ParseIP(u.Hostname()) != nil {
		r.Addresses = []string{u.Hostname()}
	}
	r.RemoteAddr = t.remote
	if t.dns > 0 {
		r.addPhase(PhaseDNS, t.dns)
	}
	if t.connect > 0 {
		r.addPhase(PhaseConnect, t.connect)
	}
	if t.tlsHS > 0 {
		r.addPhase(PhaseTLS, t.tlsHS)
	}
	if !t.gotConn.IsZero() {
		r.addPhase(PhaseUpgrade, upgraded.Sub(t.gotConn))
	}
	phase := t.phase
	t.mu.Unlock()
	if resp != nil {
		r.Status, r.StatusCode = resp.Status, resp.StatusCode
		if resp.TLS != nil {
			r.TLS = NewTLSDetails(*resp.TLS, !p.opts.TLS.Insecure, p.opts.Now())
		}
	}
	if err != nil {
		class := Classify(err, phase)
		if phase == PhaseServer || phase == PhaseTransfer {
			phase = PhaseUpgrade
		}
		if class == ClassTLS {
			phase = PhaseTLS
		}
		r.Fail(phase, class, err)
		return r
	}
	defer c.CloseNow()
	d.Subprotocol = c.Subprotocol()

	if p.opts.Message != "" || p.opts.Expect != nil {
		t0 := time.Now()
		err := p.exchange(ctx, c, d)
		r.addPhase(PhaseReply, time.Since(t0))
		r.Body = []byte(d.Received)
		if err != nil {
			class := Classify(err, PhaseReply)
			if errors.Is(err, errNoMatch) {
				class = ClassAssertion
			}
			r.Fail(PhaseReply, class, err)
			return r
		}
	}
	// Pings and the close handshake need a reader for the control frames.
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	if !p.opts.NoPing {
		t0 := time.Now()
		err := c.Ping(ctx)
		r.addPhase(PhasePing, time.Since(t0))
		if err != nil {
			r.Fail(PhasePing, Classify(err, PhasePing), fmt.Errorf("ping: %w", err))
			return r
		}
	}
	t0 := time.Now()
	err = c.Close(websocket.StatusNormalClosure, "msctl probe done")
	r.addPhase(PhaseClose, time.Since(t0))
	d.CloseCode = int(websocket.StatusNormalClosure)
	if err != nil && websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		r.Fail(PhaseClose, Classify(err, PhaseClose), fmt.Errorf("close handshake: %w", err))
		return r
	}
	r.OK = true
	return r
}

var errNoMatch = errors.New("no message matched")

// exchange sends the message and reads until the reply (the first
// message, or the first that matches Expect).
func (p *WSProber) exchange(ctx context.Context, c *websocket.Conn, d *WSDetails) error {
	if p.opts.Message != "" {
		if err := c.Write(ctx, websocket.MessageText, []byte(p.opts.Message)); err != nil {
			return fmt.Errorf("sending: %w", err)
		}
	}
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			if d.Messages > 0 && p.opts.Expect != nil {
				return fmt.Errorf("%w /%s/ in %d messages (last %q): %v", errNoMatch, p.opts.Expect, d.Messages, d.Received, err)
			}
			return fmt.Errorf("waiting for a reply: %w", err)
		}
		d.Messages++
		d.Received = string(msg)
		if len(d.Received) > maxShownMessage {
			d.Received = d.Received[:maxShownMessage]
		}
		if p.opts.Expect == nil || p.opts.Expect.Match(msg) {
			return nil
		}
	}
}
