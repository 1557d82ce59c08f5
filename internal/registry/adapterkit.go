package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/config"
)

// This file holds what the non-Consul adapters share: reading the address
// setting, the TLS settings, the default call timeout and summarising
// instances into services.

// DefaultTimeout bounds an adapter call whose context has no deadline, so
// that an unreachable registry fails within seconds rather than hanging.
const DefaultTimeout = 10 * time.Second

// WithDefaultTimeout returns ctx bounded by DefaultTimeout unless it
// already has a deadline.
func WithDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// Address is a parsed address setting: HOST:PORT[,HOST:PORT...][/PATH][?QUERY],
// optionally with a scheme (http://, https://).
type Address struct {
	Scheme string
	Hosts  []string
	Path   string
	Query  url.Values
}

// ParseAddress reads an address setting. An empty address means "this
// registry's usual local port": defaultHostPort. A host without a port gets
// the port of defaultHostPort.
func ParseAddress(s, defaultHostPort string) (Address, error) {
	var a Address
	// The query goes first: its values may hold URLs of their own.
	if rest, q, ok := strings.Cut(s, "?"); ok {
		v, err := url.ParseQuery(q)
		if err != nil {
			return a, fmt.Errorf("address %q: bad query: %w", s, err)
		}
		a.Query, s = v, rest
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		a.Scheme, s = strings.ToLower(scheme), rest
	}
	hosts, p, _ := strings.Cut(s, "/")
	if p != "" {
		a.Path = "/" + p
	}
	_, defPort, _ := net.SplitHostPort(defaultHostPort)
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), defPort)
		}
		if err := CheckHostPort(h); err != nil {
			return a, fmt.Errorf("registry %w", err)
		}
		a.Hosts = append(a.Hosts, h)
	}
	if len(a.Hosts) == 0 && defaultHostPort != "" {
		a.Hosts = []string{defaultHostPort}
	}
	if a.Query == nil {
		a.Query = url.Values{}
	}
	return a, nil
}

// CheckHostPort validates one HOST:PORT of an address setting, so that a
// malformed one (an empty port, a port out of range, no host) is an input
// error that names it, not a dial failure reported as an unreachable
// registry.
func CheckHostPort(hostPort string) error {
	host, port, err := net.SplitHostPort(hostPort)
	switch {
	case err != nil:
		return fmt.Errorf("address %q: %w", hostPort, err)
	case host == "":
		return fmt.Errorf("address %q: no host before the port", hostPort)
	case port == "":
		return fmt.Errorf("address %q: no port after the colon (give HOST:PORT, or HOST alone for the registry's usual port)", hostPort)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %q: port %q is not a number from 1 to 65535", hostPort, port)
	}
	return nil
}

// TLSConfig builds the client TLS settings of a context, or nil when the
// context sets none. Verification stays on unless Insecure is set.
func TLSConfig(c config.Context) (*tls.Config, error) {
	if c.CAFile == "" && c.CertFile == "" && c.KeyFile == "" && !c.Insecure {
		return nil, nil
	}
	tc := &tls.Config{InsecureSkipVerify: c.Insecure} //nolint:gosec // only when the user asks
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		if c.CertFile == "" || c.KeyFile == "" {
			return nil, fmt.Errorf("a client certificate needs both --client-cert and --client-key")
		}
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Endpoint is what an adapter over HTTP or gRPC reads from a context
// before it dials: the address and the client TLS settings.
type Endpoint struct {
	Address
	// TLS is nil when the context sets no TLS settings.
	TLS *tls.Config
}

// ParseEndpoint reads c's address (through ParseAddress, with
// defaultHostPort) and TLS settings (through TLSConfig).
func ParseEndpoint(c config.Context, defaultHostPort string) (Endpoint, error) {
	a, err := ParseAddress(c.Address, defaultHostPort)
	if err != nil {
		return Endpoint{}, err
	}
	tlsc, err := TLSConfig(c)
	if err != nil {
		return Endpoint{}, err
	}
	return Endpoint{Address: a, TLS: tlsc}, nil
}

// URLScheme is "https" when the address says https:// or TLS settings are
// given, else "http".
func (e Endpoint) URLScheme() string {
	if e.Scheme == "https" || e.TLS != nil {
		return "https"
	}
	return "http"
}

// Token returns the context's token, read from TokenFile when Token is
// empty.
func Token(c config.Context) (string, error) {
	if c.Token != "" || c.TokenFile == "" {
		return c.Token, nil
	}
	b, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return "", fmt.Errorf("reading token file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// SummarizeAll groups instances by service into Services (through
// Summarize), sorted by name. Instances not carrying tag q.Tag are left out
// when q.Tag is set; a service with no instance left is dropped.
func SummarizeAll(instances []Instance, q Query) []Service {
	byName := map[string][]Instance{}
	for _, in := range instances {
		if q.Tag != "" && !HasTag(in.Tags, q.Tag) {
			continue
		}
		byName[in.Service] = append(byName[in.Service], in)
	}
	out := make([]Service, 0, len(byName))
	for name, ins := range byName {
		out = append(out, Summarize(name, ins))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SummarizeWithEmpty is SummarizeAll for registries that also know services
// with no instance: without a tag filter, every name in names that has no
// instance is listed too, with zero counts, so "registered but empty" shows.
func SummarizeWithEmpty(instances []Instance, names []string, q Query) []Service {
	out := SummarizeAll(instances, q)
	if q.Tag != "" {
		return out
	}
	seen := make(map[string]bool, len(out))
	for _, s := range out {
		seen[s.Name] = true
	}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, Service{Name: n, ByHealth: map[Health]int{}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// WorstHealth folds check states into an instance state: any critical
// makes it critical, else any warning, else passing when there is a
// passing check, else unknown.
func WorstHealth(checks []Check) Health {
	h := Unknown
	for _, c := range checks {
		switch c.Status {
		case Critical:
			return Critical
		case Warning:
			h = Warning
		case Passing:
			if h == Unknown {
				h = Passing
			}
		}
	}
	return h
}

// SplitHostPort splits "host:port" leniently: a missing or unparsable port
// is 0.
func SplitHostPort(s string) (string, int) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return s, 0
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// IsTLSVerification says whether err is a certificate failure of a TLS
// handshake (an unknown CA, a name mismatch, or the server refusing msctl's
// certificate), which adapters report as ErrTLSVerification rather than as
// an unreachable registry. A server refusing the client certificate shows
// in the text only ("remote error: tls: ...").
func IsTLSVerification(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var verifyErr *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &verifyErr) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "remote error: tls:") || strings.Contains(msg, "x509: ")
}

// TLSError wraps err as ErrTLSVerification for the registry at address.
func TLSError(kind, address string, err error) error {
	return fmt.Errorf("%s at %s: %w: %v", kind, address, ErrTLSVerification, err)
}
