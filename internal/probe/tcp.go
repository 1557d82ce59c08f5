package probe

import (
	"context"
	"fmt"
	"net"
	"time"
)

// TCPProber opens (and closes) a TCP connection to HOST:PORT: the dns and
// connect phases alone, which tell a firewall from a stopped service.
type TCPProber struct {
	addr, host, port string
	resolver         *net.Resolver
	dialer           *net.Dialer
}

// NewTCP validates HOST:PORT.
func NewTCP(addr string) (*TCPProber, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("invalid address %q: want HOST:PORT", addr)
	}
	return &TCPProber{addr: addr, host: host, port: port, resolver: net.DefaultResolver, dialer: &net.Dialer{}}, nil
}

// Close does nothing: every probe opens its own connection.
func (p *TCPProber) Close() error { return nil }

// Probe resolves the host and connects to its addresses in turn.
func (p *TCPProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "tcp", Target: p.addr, StatusCode: -1}
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	addrs, err := resolve(ctx, p.resolver, p.host, r)
	if err != nil {
		return r
	}
	t := time.Now()
	for _, a := range addrs {
		var c net.Conn
		c, err = p.dialer.DialContext(ctx, "tcp", net.JoinHostPort(a, p.port))
		if err == nil {
			r.RemoteAddr = c.RemoteAddr().String()
			c.Close()
			break
		}
	}
	r.addPhase(PhaseConnect, time.Since(t))
	if err != nil {
		r.Fail(PhaseConnect, Classify(err, PhaseConnect), err)
		return r
	}
	r.OK, r.Status = true, "connected"
	return r
}

// resolve looks host up (timing the dns phase) unless it is an IP
// address, records the addresses in r, and fails r when it cannot.
func resolve(ctx context.Context, res *net.Resolver, host string, r *Result) ([]string, error) {
	if ip := net.ParseIP(host); ip != nil {
		r.Addresses = []string{host}
		return r.Addresses, nil
	}
	t := time.Now()
	ips, err := res.LookupIPAddr(ctx, host)
	r.addPhase(PhaseDNS, time.Since(t))
	if err != nil {
		r.Fail(PhaseDNS, Classify(err, PhaseDNS), err)
		return nil, err
	}
	for _, ip := range ips {
		r.Addresses = append(r.Addresses, ip.IP.String())
	}
	return r.Addresses, nil
}
