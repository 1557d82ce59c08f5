package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/fullstorydev/grpcurl"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// The gRPC phases after dns and connect: "setup" is the HTTP/2 connection
// preface of a plaintext connection (TLS connections do it inside "tls"),
// "rpc" the call itself (with reflection, when it is used).
const (
	PhaseSetup = "setup"
	PhaseRPC   = "rpc"
)

// The gRPC verbs, as grpcurl names them, plus health.
var GRPCVerbs = []string{"list", "describe", "invoke", "health"}

// GRPCOptions configure a gRPC probe. Flag names follow grpcurl.
type GRPCOptions struct {
	Address string
	Verb    string // list, describe, invoke or health
	// Symbol is the service (list, health), the symbol (describe) or
	// SERVICE/METHOD (invoke).
	Symbol         string
	Plaintext      bool
	TLS            TLSOptions
	Authority      string
	ConnectTimeout time.Duration
	// Headers go with every call; RPCHeaders only with invoke and
	// health; ReflectHeaders only with reflection requests.
	Headers, RPCHeaders, ReflectHeaders []string
	// ProtoFiles (with ImportPaths) or Protosets replace server reflection.
	ProtoFiles, ImportPaths, Protosets []string
	// Data is the JSON request: one message, or several for streams.
	Data         []byte
	EmitDefaults bool
	// Watch uses grpc.health.v1 Watch instead of Check: each probe
	// returns the next status the server streams.
	Watch        bool
	ExpectStatus StatusMatcher
	Now          func() time.Time
}

// GRPCDetails are the gRPC-specific fields of a Result.
type GRPCDetails struct {
	Verb   string `json:"verb"`
	Symbol string `json:"symbol,omitempty"`
	// Code is the RPC's status code name (OK, NOT_FOUND, UNAVAILABLE...)
	// and Message its message.
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	// Services (list), the health status (health) and the number of
	// responses (invoke).
	Services     []string `json:"services,omitempty"`
	HealthStatus string   `json:"health_status,omitempty"`
	Responses    int      `json:"responses"`
	// Output is what grpcurl prints on stdout for the same request.
	Output string `json:"output,omitempty"`
	// ErrorText is what grpcurl prints on stderr for a failed RPC.
	ErrorText string `json:"-"`
}

// GRPCProber runs one gRPC verb per probe over a kept connection.
type GRPCProber struct {
	opts      GRPCOptions
	creds     credentials.TransportCredentials
	files     grpcurl.DescriptorSource
	cc        *grpc.ClientConn
	tlsDetail *TLSDetails
	watch     *healthWatch
}

// NewGRPC validates the options and loads --proto or --protoset files.
// Nothing is dialled.
func NewGRPC(o GRPCOptions) (*GRPCProber, error) {
	if _, _, err := net.SplitHostPort(o.Address); err != nil {
		return nil, fmt.Errorf("invalid address %q: want HOST:PORT", o.Address)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	p := &GRPCProber{opts: o}
	switch o.Verb {
	case "list", "describe", "health":
	case "invoke":
		if o.Symbol == "" {
			return nil, errors.New("invoke needs SERVICE/METHOD")
		}
	default:
		return nil, fmt.Errorf("unknown verb %q: use one of %s", o.Verb, strings.Join(GRPCVerbs, ", "))
	}
	if o.Watch && o.Verb != "health" {
		return nil, errors.New("--watch goes with health")
	}
	var err error
	switch {
	case len(o.Protosets) > 0 && len(o.ProtoFiles) > 0:
		return nil, errors.New("use either --protoset or --proto, not both")
	case len(o.Protosets) > 0:
		p.files, err = grpcurl.DescriptorSourceFromProtoSets(o.Protosets...)
	case len(o.ProtoFiles) > 0:
		p.files, err = grpcurl.DescriptorSourceFromProtoFiles(o.ImportPaths, o.ProtoFiles...)
	}
	if err != nil {
		return nil, fmt.Errorf("loading descriptors: %w", err)
	}
	if o.Plaintext {
		if o.TLS.Insecure || o.TLS.CACert != "" || o.TLS.Cert != "" {
			return nil, errors.New("--plaintext does not go with --insecure, --cacert, --cert or --key")
		}
		p.creds = insecure.NewCredentials()
	} else {
		cfg, err := o.TLS.Config()
		if err != nil {
			return nil, err
		}
		cfg.NextProtos = []string{"h2"}
		if o.Authority != "" && cfg.ServerName == "" {
			cfg.ServerName = o.Authority
		}
		p.creds = credentials.NewTLS(cfg)
	}
	return p, nil
}

// Close closes the connection and any health watch.
func (p *GRPCProber) Close() error {
	if p.watch != nil {
		p.watch.cancel()
	}
	if p.cc != nil {
		return p.cc.Close()
	}
	return nil
}

// grpcTimer times the dial: the custom dialer sees dns and connect, the
// credentials wrapper sees the TLS handshake.
type grpcTimer struct {
	mu                sync.Mutex
	phase             string
	dns, connect, tls time.Duration
	addrs             []string
	remote            string
	handshake         *TLSDetails
	verify            bool
	now               func() time.Time
	plaintext         bool
	// dialErr is the first DNS or TCP error; failDial ends the blocking
	// dial with it, since grpc would otherwise retry until the deadline.
	dialErr  error
	failDial context.CancelFunc
}

func (t *grpcTimer) dial(ctx context.Context, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips := []string{host}
	if net.ParseIP(host) == nil {
		t.set(func() { t.phase = PhaseDNS })
		start := time.Now()
		found, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		t.set(func() { t.dns = time.Since(start) })
		if err != nil {
			t.fail(err)
			return nil, err
		}
		ips = ips[:0]
		for _, ip := range found {
			ips = append(ips, ip.IP.String())
		}
	}
	t.set(func() { t.phase, t.addrs = PhaseConnect, ips })
	start := time.Now()
	var c net.Conn
	for _, ip := range ips {
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(ip, port))
		if err == nil {
			break
		}
	}
	t.set(func() {
		t.connect = time.Since(start)
		if err == nil {
			t.remote = c.RemoteAddr().String()
			t.phase = PhaseSetup
			if !t.plaintext {
				t.phase = PhaseTLS
			}
		}
	})
	if err != nil {
		t.fail(err)
	}
	return c, err
}

func (t *grpcTimer) fail(err error) {
	t.set(func() {
		if t.dialErr == nil {
			t.dialErr = err
			t.failDial()
		}
	})
}

func (t *grpcTimer) set(f func()) {
	t.mu.Lock()
	f()
	t.mu.Unlock()
}

// timedCreds times the TLS handshake and keeps the session's details.
type timedCreds struct {
	credentials.TransportCredentials
	t *grpcTimer
}

func (c *timedCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	start := time.Now()
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	c.t.set(func() {
		if !c.t.plaintext {
			c.t.tls = time.Since(start)
		}
		if ti, ok := info.(credentials.TLSInfo); ok && err == nil {
			c.t.handshake = NewTLSDetails(ti.State, c.t.verify, c.t.now())
		}
	})
	return conn, info, err
}

// connect dials once (grpcurl.BlockingDial, which reports TLS and
// connection errors instead of retrying them) and keeps the connection.
func (p *GRPCProber) connect(ctx context.Context, r *Result) bool {
	if p.cc != nil {
		r.Reused = true
		r.RemoteAddr = p.opts.Address
		r.TLS = p.tlsDetail
		return true
	}
	t := &grpcTimer{phase: PhaseConnect, plaintext: p.opts.Plaintext, verify: !p.opts.TLS.Insecure, now: p.opts.Now}
	dctx, cancel := context.WithTimeout(ctx, p.opts.ConnectTimeout)
	defer cancel()
	t.failDial = cancel
	opts := []grpc.DialOption{grpc.WithContextDialer(t.dial), grpc.WithUserAgent("msctl-probe")}
	if p.opts.Authority != "" {
		opts = append(opts, grpc.WithAuthority(p.opts.Authority))
	}
	cc, err := grpcurl.BlockingDial(dctx, "", p.opts.Address, &timedCreds{TransportCredentials: p.creds, t: t}, opts...)
	t.mu.Lock()
	defer t.mu.Unlock()
	r.Addresses, r.RemoteAddr = t.addrs, t.remote
	if t.dns > 0 {
		r.addPhase(PhaseDNS, t.dns)
	}
	if t.connect > 0 {
		r.addPhase(PhaseConnect, t.connect)
	}
	if t.tls > 0 {
		r.addPhase(PhaseTLS, t.tls)
	}
	r.TLS = t.handshake
	if t.dialErr != nil {
		err = t.dialErr
	}
	if err != nil {
		phase := t.phase
		class := Classify(err, phase)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no connection within --connect-timeout %s", p.opts.ConnectTimeout)
		}
		if class == ClassTLS {
			phase = PhaseTLS
		}
		if phase == PhaseSetup && class != ClassTimeout {
			// TCP worked but HTTP/2 did not start: a TLS port spoken to in
			// plaintext, or not a gRPC server at all.
			class = ClassProtocol
		}
		r.Fail(phase, class, err)
		return false
	}
	p.cc, p.tlsDetail = cc, t.handshake
	return true
}

// Probe dials (once) and runs the verb.
func (p *GRPCProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "grpc", Target: p.opts.Address, StatusCode: -1}
	r.GRPC = &GRPCDetails{Verb: p.opts.Verb, Symbol: p.opts.Symbol}
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	if !p.connect(ctx, r) {
		return r
	}
	rpcStart := time.Now()
	var err error
	switch p.opts.Verb {
	case "list", "describe":
		err = p.describe(ctx, r)
	case "invoke":
		err = p.invoke(ctx, r)
	case "health":
		err = p.health(ctx, r)
	}
	r.addPhase(PhaseRPC, time.Since(rpcStart))
	if err != nil {
		p.rpcFailed(r, err)
		return r
	}
	if r.ErrorClass == ClassNone {
		r.OK = true
	}
	return r
}
