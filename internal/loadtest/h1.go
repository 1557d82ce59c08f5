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
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// H1Requester is a minimal HTTP/1.1 client for load: each request's bytes
// are encoded once, a connection is taken from an idle list, written with
// one write and its response parsed straight from a bufio.Reader (status,
// Content-Length or chunked body, Connection: close), so that a request
// costs no goroutines, channels or allocations beyond net's own. net/http
// spends two goroutines and several allocations per connection and
// request, which is most of a load generator's CPU at high rates. It
// speaks HTTP/1.1 only (over TLS for https://); --http2 uses net/http.
type H1Requester struct {
	targets []h1Target
	next    atomic.Uint64
	idle    chan *h1Conn
	timeout time.Duration
	tlsConf *tls.Config
	keep    bool
	name    string

	mu     sync.Mutex
	all    map[*h1Conn]struct{}
	closed bool
	watch  sync.Once
}

type h1Target struct {
	addr   string
	tls    bool
	raw    []byte
	method string
}

type h1Conn struct {
	c      net.Conn
	br     *bufio.Reader
	reused bool
}

// NewH1Requester prepares the targets; none is dialled yet.
func NewH1Requester(opts HTTPOptions) (*H1Requester, error) {
	if len(opts.Targets) == 0 {
		return nil, errors.New("no targets")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 10000
	}
	r := &H1Requester{
		idle:    make(chan *h1Conn, opts.MaxConns),
		timeout: opts.Timeout,
		tlsConf: &tls.Config{InsecureSkipVerify: opts.Insecure, NextProtos: []string{"http/1.1"}}, //nolint:gosec // explicit --insecure
		all:     map[*h1Conn]struct{}{},
	}
	for i, t := range opts.Targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("target %d: %q is not an http:// or https:// URL", i+1, t.URL)
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
		if len(r.targets) > 0 && host != r.targets[0].addr {
			return nil, fmt.Errorf("target %d: every target must be on the same host for the HTTP/1.1 engine", i+1)
		}
		method := t.Method
		if method == "" {
			method = http.MethodGet
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, u.RequestURI())
		h := t.Header.Clone()
		if h == nil {
			h = http.Header{}
		}
		hostHeader := u.Host
		if v := h.Get("Host"); v != "" {
			hostHeader = v
			h.Del("Host")
		}
		fmt.Fprintf(&b, "Host: %s\r\n", hostHeader)
		if h.Get("User-Agent") == "" {
			h.Set("User-Agent", "msctl-loadtest")
		}
		h.Del("Content-Length")
		h.Del("Connection")
		if err := h.Write(&b); err != nil {
			return nil, err
		}
		if t.Body != nil || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(t.Body))
		}
		b.WriteString("\r\n")
		b.Write(t.Body)
		r.targets = append(r.targets, h1Target{addr: host, tls: u.Scheme == "https", raw: b.Bytes(), method: method})
	}
	r.name = opts.Targets[0].URL
	if len(opts.Targets) > 1 {
		r.name = fmt.Sprintf("%s (+%d more targets)", r.name, len(opts.Targets)-1)
	}
	return r, nil
}

// Name implements Requester.
func (r *H1Requester) Name() string { return r.name }

// KeepHeaders implements HeaderKeeper.
func (r *H1Requester) KeepHeaders(v bool) { r.keep = v }

// Close implements Requester: it closes every connection, idle or busy.
func (r *H1Requester) Close() {
	r.mu.Lock()
	r.closed = true
	for c := range r.all {
		_ = c.c.Close()
	}
	r.all = map[*h1Conn]struct{}{}
	r.mu.Unlock()
}

func (r *H1Requester) dial(t *h1Target) (*h1Conn, error) {
	d := net.Dialer{Timeout: r.timeout, KeepAlive: 30 * time.Second}
	c, err := d.Dial("tcp", t.addr)
	if err != nil {
		return nil, err
	}
	if t.tls {
		conf := r.tlsConf.Clone()
		if conf.ServerName == "" {
			conf.ServerName, _, _ = net.SplitHostPort(t.addr)
		}
		tc := tls.Client(c, conf)
		_ = tc.SetDeadline(time.Now().Add(r.timeout))
		if err := tc.Handshake(); err != nil {
			_ = c.Close()
			return nil, err
		}
		c = tc
	}
	hc := &h1Conn{c: c, br: bufio.NewReaderSize(c, 16<<10)}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		_ = c.Close()
		return nil, net.ErrClosed
	}
	r.all[hc] = struct{}{}
	r.mu.Unlock()
	return hc, nil
}

func (r *H1Requester) drop(c *h1Conn) {
	_ = c.c.Close()
	r.mu.Lock()
	delete(r.all, c)
	r.mu.Unlock()
}

// Do implements Requester.
func (r *H1Requester) Do(ctx context.Context, o *Outcome) {
	r.watch.Do(func() {
		// Ctrl-C must not wait for responses: closing every connection
		// fails the reads in flight at once.
		context.AfterFunc(ctx, r.Close)
	})
	t := &r.targets[0]
	if len(r.targets) > 1 {
		t = &r.targets[(r.next.Add(1)-1)%uint64(len(r.targets))]
	}
	for attempt := 0; ; attempt++ {
		var c *h1Conn
		select {
		case c = <-r.idle:
		default:
			var err error
			if c, err = r.dial(t); err != nil {
				o.Err, o.Class = err, classifyErr(ctx, err)
				return
			}
		}
		err := r.roundTrip(c, t, o)
		if err == nil {
			return
		}
		r.drop(c)
		// A kept-alive connection the server closed while idle fails
		// before any response byte; send again on a fresh one, once.
		if c.reused && attempt == 0 && o.Code == 0 && isClosedConn(err) && ctx.Err() == nil {
			continue
		}
		o.Err, o.Class = err, classifyErr(ctx, err)
		if ctx.Err() != nil {
			o.Class = Canceled
		}
		return
	}
}

func isClosedConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (r *H1Requester) roundTrip(c *h1Conn, t *h1Target, o *Outcome) error {
	_ = c.c.SetDeadline(time.Now().Add(r.timeout))
	if _, err := c.c.Write(t.raw); err != nil {
		return err
	}
	code, closeAfter, err := r.readResponse(c.br, t.method, o)
	if err != nil {
		return err
	}
	o.Code = code
	o.Class = ClassOfHTTP(code)
	if closeAfter {
		r.drop(c)
		return nil
	}
	c.reused = true
	select {
	case r.idle <- c:
	default:
		r.drop(c)
	}
	return nil
}

// readResponse parses one response (skipping 1xx) and discards its body.
func (r *H1Requester) readResponse(br *bufio.Reader, method string, o *Outcome) (code int, closeAfter bool, err error) {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
			return 0, false, fmt.Errorf("malformed status line %q", bytes.TrimSpace(line))
		}
		code = 0
		for _, d := range line[9:12] {
			if d < '0' || d > '9' {
				return 0, false, fmt.Errorf("malformed status line %q", bytes.TrimSpace(line))
			}
			code = code*10 + int(d-'0')
		}
		closeAfter = line[7] == '0' // HTTP/1.0 closes unless told otherwise
		length := int64(-1)
		chunked := false
		var h http.Header
		if r.keep {
			h = http.Header{}
		}
		for {
			hl, err := br.ReadSlice('\n')
			if err != nil {
				return 0, false, err
			}
			if len(hl) <= 2 {
				break
			}
			colon := bytes.IndexByte(hl, ':')
			if colon <= 0 {
				continue
			}
			name, value := hl[:colon], bytes.TrimSpace(hl[colon+1:])
			switch {
			case asciiEqualFold(name, "content-length"):
				if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
					return 0, false, fmt.Errorf("bad Content-Length %q", value)
				}
			case asciiEqualFold(name, "transfer-encoding"):
				chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
			case asciiEqualFold(name, "connection"):
				v := bytes.ToLower(value)
				closeAfter = bytes.Contains(v, []byte("close")) || (closeAfter && !bytes.Contains(v, []byte("keep-alive")))
			}
			if h != nil {
				h.Add(string(name), string(value))
			}
		}
		if code >= 100 && code < 200 {
			continue
		}
		o.Header = h
		switch {
		case method == http.MethodHead || code == 204 || code == 304:
		case chunked:
			n, err := discardChunked(br)
			o.BytesIn = n
			if err != nil {
				return 0, false, err
			}
		case length >= 0:
			n, err := br.Discard(int(length))
			o.BytesIn = int64(n)
			if err != nil {
				return 0, false, err
			}
		default:
			n, err := io.Copy(io.Discard, br)
			o.BytesIn = n
			if err != nil {
				return 0, false, err
			}
			closeAfter = true
		}
		return code, closeAfter, nil
	}
}

func discardChunked(br *bufio.Reader) (int64, error) {
	var total int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return total, err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || size < 0 {
			return total, fmt.Errorf("bad chunk size %q", bytes.TrimSpace(line))
		}
		if size == 0 {
			// Trailers end with an empty line.
			for {
				tl, err := br.ReadSlice('\n')
				if err != nil {
					return total, err
				}
				if len(tl) <= 2 {
					return total, nil
				}
			}
		}
		n, err := br.Discard(int(size))
		total += int64(n)
		if err != nil {
			return total, err
		}
		if _, err := br.Discard(2); err != nil {
			return total, err
		}
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// NewHTTP picks the requester for the options: the HTTP/1.1 engine
// unless HTTP/2 is asked for or the targets span several hosts.
func NewHTTP(opts HTTPOptions) (Requester, error) {
	if !opts.HTTP2 {
		if r, err := NewH1Requester(opts); err == nil {
			return r, nil
		}
	}
	return NewHTTPRequester(opts)
}
