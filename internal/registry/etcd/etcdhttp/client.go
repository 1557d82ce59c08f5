// Package etcdhttp is a small client for etcd's v3 HTTP/JSON API: the
// gRPC gateway that every etcd since 3.4 serves under /v3/ on its client
// port (https://etcd.io/docs/v3.5/dev-guide/api_grpc_gateway/).
//
// msctl talks to etcd through it rather than through
// go.etcd.io/etcd/client/v3 because of start-up cost: the official client
// links etcd's protobuf registrations, grpc-gateway's OpenAPI options,
// Google API annotations and zap, whose package initialisers run on every
// msctl invocation, --version included. This package needs net/http and
// encoding/json only.
//
// It covers what msctl's registry adapter uses: paged and serializable
// range reads, put, delete, leases (grant, time-to-live, list), watch,
// cluster status and members, and username/password authentication.
// Several endpoints may be given: a call goes to the endpoint that last
// answered and moves on to the next one when an endpoint cannot be
// reached. In the JSON, keys and values are base64 and 64-bit integers are
// strings, as protobuf's JSON mapping writes them; the types here hide
// both.
package etcdhttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config says how to reach a cluster.
type Config struct {
	// Endpoints are client URLs, http://host:port or https://host:port.
	Endpoints []string
	// TLS is used for https endpoints; nil verifies the server against
	// the system's roots.
	TLS *tls.Config
	// Username and Password, when the cluster has authentication on.
	// The password is sent to /v3/auth/authenticate only, and neither it
	// nor the token it buys appears in an error.
	Username, Password string
	// DialTimeout bounds connecting to one endpoint, so that a silent
	// endpoint leaves time for the next; 5s when zero.
	DialTimeout time.Duration
	// MaxResponseBytes bounds one response body (one message of a watch
	// stream); 64 MiB when zero.
	MaxResponseBytes int64
}

// Client calls one etcd cluster. It is safe for concurrent use.
type Client struct {
	endpoints          []string
	username, password string
	hc                 *http.Client
	maxBody            int64

	mu     sync.Mutex
	pinned int    // index of the endpoint that last answered
	token  string // auth token, "" before authenticating
	noAuth bool   // the cluster said authentication is not enabled
}

// New makes a client; it connects on the first call.
func New(cfg Config) (*Client, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoint")
	}
	for _, ep := range cfg.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("etcd endpoint %q: want http://host:port or https://host:port", ep)
		}
	}
	dial := cfg.DialTimeout
	if dial <= 0 {
		dial = 5 * time.Second
	}
	maxBody := cfg.MaxResponseBytes
	if maxBody <= 0 {
		maxBody = 64 << 20
	}
	var tc *tls.Config
	if cfg.TLS != nil {
		tc = cfg.TLS.Clone()
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: dial,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{
		endpoints: append([]string(nil), cfg.Endpoints...),
		username:  cfg.Username,
		password:  cfg.Password,
		// No client timeout: calls are bounded by their context, and a
		// watch stays open as long as its context does.
		hc:      &http.Client{Transport: tr},
		maxBody: maxBody,
	}, nil
}

// Close releases idle connections. Open watches stay open until their
// context ends or they are closed.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// callOpts are the properties of one kind of call.
type callOpts struct {
	// idempotent calls (reads) move to the next endpoint on any transport
	// error or an unavailable member; others only when the connection
	// could not be made, so that a write is not applied twice.
	idempotent bool
	// endpoint, when set, is the only endpoint tried (Status).
	endpoint string
	// header is added to the request (require-leader for watches).
	header http.Header
}

// call posts req as JSON to path and decodes the answer into resp,
// authenticating first when the client has credentials and again once
// when the token is refused (it expired, or the member restarted).
func (c *Client) call(ctx context.Context, path string, req, resp any, o callOpts) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	return c.withAuth(ctx, func(token string) error {
		r, err := c.post(ctx, path, body, token, o)
		if err != nil {
			return err
		}
		defer r.Body.Close()
		b, err := c.readBody(r.Body)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if err := json.Unmarshal(b, resp); err != nil {
			return &HTTPError{StatusCode: r.StatusCode, Path: path, Body: snippet(b)}
		}
		return nil
	})
}

// Call posts req as JSON to any other path of the API (such as
// /v3/auth/user/add or /v3/kv/compaction) and decodes the answer into
// resp; a json.RawMessage req is sent as it is. After an answer, the call
// is not sent to another endpoint.
func (c *Client) Call(ctx context.Context, path string, req, resp any) error {
	return c.call(ctx, path, req, resp, callOpts{})
}

// withAuth runs f with the current token, first authenticating when the
// client has a username and no token yet; f is run again once with a new
// token when the cluster refuses the one given.
func (c *Client) withAuth(ctx context.Context, f func(token string) error) error {
	for attempt := 0; ; attempt++ {
		token, err := c.authToken(ctx)
		if err != nil {
			return err
		}
		err = f(token)
		if attempt == 0 && c.username != "" && refusesToken(err) {
			c.mu.Lock()
			if c.token == token {
				c.token, c.noAuth = "", false
			}
			c.mu.Unlock()
			continue
		}
		return err
	}
}

// refusesToken says whether err asks for a new token: an expired or
// unknown one, one older than the last change of users or roles, or none
// sent to a cluster that has since turned authentication on.
func refusesToken(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return strings.Contains(e.Message, "invalid auth token") ||
		strings.Contains(e.Message, "revision of auth store is old") ||
		strings.Contains(e.Message, "user name is empty")
}

func (c *Client) authToken(ctx context.Context) (string, error) {
	if c.username == "" {
		return "", nil
	}
	c.mu.Lock()
	token, noAuth := c.token, c.noAuth
	c.mu.Unlock()
	if token != "" || noAuth {
		return token, nil
	}
	token, err := c.Authenticate(ctx, c.username, c.password)
	var e *Error
	if errors.As(err, &e) && strings.Contains(e.Message, "authentication is not enabled") {
		// As clientv3 does: credentials for a cluster without
		// authentication are not an error.
		c.mu.Lock()
		c.noAuth = true
		c.mu.Unlock()
		return "", nil
	}
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
	return token, nil
}

// Authenticate trades a username and password for a token
// (/v3/auth/authenticate). Clients made with credentials call it
// themselves.
func (c *Client) Authenticate(ctx context.Context, name, password string) (string, error) {
	body, err := json.Marshal(map[string]string{"name": name, "password": password})
	if err != nil {
		return "", err
	}
	r, err := c.post(ctx, "/v3/auth/authenticate", body, "", callOpts{idempotent: true})
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	b, err := c.readBody(r.Body)
	if err != nil {
		return "", fmt.Errorf("reading /v3/auth/authenticate: %w", err)
	}
	var resp struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &resp); err != nil || resp.Token == "" {
		return "", errors.New("/v3/auth/authenticate: the answer holds no token")
	}
	return resp.Token, nil
}

// post sends body to path on the pinned endpoint, moving on to the next
// endpoints as o allows, and returns the first 200 answer, whose body the
// caller closes. A JSON error answer becomes an *Error; when no endpoint
// answers, the error is an *UnavailableError.
func (c *Client) post(ctx context.Context, path string, body []byte, token string, o callOpts) (*http.Response, error) {
	order := c.order(o.endpoint)
	var errs []error
	var eps []string
	for i, ep := range order {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			// The gateway passes Authorization on as the gRPC metadata
			// etcd reads the token from.
			req.Header.Set("Authorization", token)
		}
		for k, v := range o.header {
			req.Header[k] = v
		}
		r, err := c.hc.Do(req)
		if err != nil {
			err = transportCause(err)
			errs, eps = append(errs, err), append(eps, ep)
			if ctx.Err() != nil || !(o.idempotent || isDialError(err)) {
				break
			}
			continue
		}
		if r.StatusCode == http.StatusOK {
			c.pin(ep)
			return r, nil
		}
		err = c.errorFrom(r, path)
		r.Body.Close()
		var e *Error
		if o.idempotent && errors.As(err, &e) && e.Code == CodeUnavailable && i < len(order)-1 {
			// A member that lost its leader or is stopping: another
			// member may answer.
			errs, eps = append(errs, err), append(eps, ep)
			continue
		}
		c.pin(ep)
		return nil, err
	}
	return nil, &UnavailableError{Endpoints: eps, Errs: errs}
}

// order lists the endpoints to try: the pinned one first, then the rest
// in the order given.
func (c *Client) order(only string) []string {
	if only != "" {
		return []string{only}
	}
	c.mu.Lock()
	p := c.pinned
	c.mu.Unlock()
	out := make([]string, 0, len(c.endpoints))
	out = append(out, c.endpoints[p:]...)
	return append(out, c.endpoints[:p]...)
}

func (c *Client) pin(ep string) {
	for i, e := range c.endpoints {
		if e == ep {
			c.mu.Lock()
			c.pinned = i
			c.mu.Unlock()
			return
		}
	}
}

// transportCause drops net/http's "Post URL:" wrapping, which repeats
// what the caller knows, and keeps the cause (dial tcp ...: connection
// refused, a certificate error, the context's deadline).
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isDialError says whether err happened before the request was sent: the
// connection or its TLS handshake failed.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var rec tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	return errors.As(err, &rec) || errors.As(err, &cv)
}

// readBody reads a whole body of at most c.maxBody bytes.
func (c *Client) readBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, c.maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > c.maxBody {
		return nil, fmt.Errorf("answer larger than %d bytes", c.maxBody)
	}
	return b, nil
}

// errorFrom reads a non-200 answer: the gateway's JSON error, or an
// *HTTPError when the body is not one (not an etcd 3.4+ client port).
func (c *Client) errorFrom(r *http.Response, path string) error {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if e := parseError(b); e != nil {
		e.HTTPStatus = r.StatusCode
		return e
	}
	return &HTTPError{StatusCode: r.StatusCode, Path: path, Body: snippet(b)}
}

// snippet is the start of a body, for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
