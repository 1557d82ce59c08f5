package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
)

// PhaseCall is a Thrift call: request written until the reply is read.
const PhaseCall = "call"

// The Thrift protocols and transports a probe can speak.
var (
	ThriftProtocols  = []string{"binary", "compact"}
	ThriftTransports = []string{"framed", "buffered"}
)

// ThriftOptions configure a Thrift probe.
type ThriftOptions struct {
	Address   string
	Method    string
	Protocol  string // binary (default) or compact
	Transport string // framed (default) or buffered
	// ExpectStatus decides which replies pass: REPLY, EXCEPTION or an
	// exception type (UNKNOWN_METHOD...); default any Thrift reply, since
	// even an exception proves the server speaks Thrift.
	ExpectStatus StatusMatcher
}

// ThriftDetails are the Thrift-specific fields of a Result.
type ThriftDetails struct {
	Protocol  string `json:"protocol"`
	Transport string `json:"transport"`
	Method    string `json:"method"`
	// MessageType is REPLY or EXCEPTION; for an exception, its type
	// (UNKNOWN_METHOD, INTERNAL_ERROR...) and message.
	MessageType      string `json:"message_type,omitempty"`
	ExceptionType    string `json:"exception_type,omitempty"`
	ExceptionMessage string `json:"exception_message,omitempty"`
}

// ThriftProber calls one method with empty arguments over a new
// connection per probe.
type ThriftProber struct {
	opts ThriftOptions
	host string
	port string
	cfg  *thrift.TConfiguration
	seq  int32
}

// NewThrift validates the options.
func NewThrift(o ThriftOptions) (*ThriftProber, error) {
	host, port, err := net.SplitHostPort(o.Address)
	if err != nil || host == "" {
		return nil, fmt.Errorf("invalid address %q: want HOST:PORT", o.Address)
	}
	if o.Method == "" {
		return nil, errors.New("no --method: name the method to call (any name works: an unknown method's exception proves Thrift too)")
	}
	if o.Protocol == "" {
		o.Protocol = "binary"
	}
	if o.Transport == "" {
		o.Transport = "framed"
	}
	if !contains(ThriftProtocols, o.Protocol) || !contains(ThriftTransports, o.Transport) {
		return nil, fmt.Errorf("invalid protocol %q or transport %q: use binary|compact and framed|buffered", o.Protocol, o.Transport)
	}
	return &ThriftProber{opts: o, host: host, port: port, cfg: &thrift.TConfiguration{}}, nil
}

// Close does nothing: every probe has its own connection.
func (p *ThriftProber) Close() error { return nil }

var thriftExceptionTypes = map[int32]string{
	thrift.UNKNOWN_APPLICATION_EXCEPTION: "UNKNOWN", thrift.UNKNOWN_METHOD: "UNKNOWN_METHOD",
	thrift.INVALID_MESSAGE_TYPE_EXCEPTION: "INVALID_MESSAGE_TYPE", thrift.WRONG_METHOD_NAME: "WRONG_METHOD_NAME",
	thrift.BAD_SEQUENCE_ID: "BAD_SEQUENCE_ID", thrift.MISSING_RESULT: "MISSING_RESULT",
	thrift.INTERNAL_ERROR: "INTERNAL_ERROR", thrift.PROTOCOL_ERROR: "PROTOCOL_ERROR",
}

// Probe connects, calls the method and reads whatever comes back.
func (p *ThriftProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "thrift", Target: p.opts.Address, StatusCode: -1}
	d := &ThriftDetails{Protocol: p.opts.Protocol, Transport: p.opts.Transport, Method: p.opts.Method}
	r.Thrift = d
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	addrs, err := resolve(ctx, net.DefaultResolver, p.host, r)
	if err != nil {
		return r
	}
	var conn net.Conn
	err = timed(r, PhaseConnect, func() error {
		var err error
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(addrs[0], p.port))
		return err
	})
	if err != nil {
		r.Fail(PhaseConnect, Classify(err, PhaseConnect), err)
		return r
	}
	defer conn.Close()
	r.RemoteAddr = conn.RemoteAddr().String()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var trans thrift.TTransport = thrift.NewTSocketFromConnConf(conn, p.cfg)
	if p.opts.Transport == "framed" {
		trans = thrift.NewTFramedTransportConf(trans, p.cfg)
	} else {
		trans = thrift.NewTBufferedTransport(trans, 4096)
	}
	var proto thrift.TProtocol
	if p.opts.Protocol == "compact" {
		proto = thrift.NewTCompactProtocolConf(trans, p.cfg)
	} else {
		proto = thrift.NewTBinaryProtocolConf(trans, p.cfg)
	}
	p.seq++
	err = timed(r, PhaseCall, func() error { return p.call(ctx, proto, d) })
	if err != nil {
		class := Classify(err, PhaseCall)
		if class == ClassProtocol {
			err = fmt.Errorf("%w (not Thrift %s/%s? try --protocol or --transport)", err, p.opts.Protocol, p.opts.Transport)
		}
		r.Fail(PhaseCall, class, err)
		return r
	}
	r.OK = true
	r.Status = d.MessageType
	r.StatusCode = int(thrift.REPLY)
	if d.ExceptionType != "" {
		r.Status, r.StatusCode = d.ExceptionType, int(thrift.EXCEPTION)
	}
	word := r.Status
	if !p.opts.ExpectStatus.Match(r.StatusCode, word, func(int) bool { return true }) &&
		!p.opts.ExpectStatus.Match(r.StatusCode, d.MessageType, func(int) bool { return true }) {
		r.Fail(PhaseCall, ClassStatus, fmt.Errorf("got %s, want %s", word, p.opts.ExpectStatus.Describe("")))
	}
	return r
}

// call writes a CALL with an empty argument struct and reads the reply,
// skipping its result struct or decoding its TApplicationException.
func (p *ThriftProber) call(ctx context.Context, proto thrift.TProtocol, d *ThriftDetails) error {
	if err := proto.WriteMessageBegin(ctx, p.opts.Method, thrift.CALL, p.seq); err != nil {
		return err
	}
	if err := proto.WriteStructBegin(ctx, p.opts.Method+"_args"); err != nil {
		return err
	}
	if err := proto.WriteFieldStop(ctx); err != nil {
		return err
	}
	if err := proto.WriteStructEnd(ctx); err != nil {
		return err
	}
	if err := proto.WriteMessageEnd(ctx); err != nil {
		return err
	}
	if err := proto.Flush(ctx); err != nil {
		return err
	}
	_, typ, seq, err := proto.ReadMessageBegin(ctx)
	if err != nil {
		return err
	}
	if seq != p.seq {
		return fmt.Errorf("reply has sequence id %d, want %d", seq, p.seq)
	}
	switch typ {
	case thrift.REPLY:
		d.MessageType = "REPLY"
		if err := thrift.SkipDefaultDepth(ctx, proto, thrift.STRUCT); err != nil {
			return err
		}
	case thrift.EXCEPTION:
		d.MessageType = "EXCEPTION"
		ex := thrift.NewTApplicationException(0, "")
		if err := ex.Read(ctx, proto); err != nil {
			return err
		}
		d.ExceptionType = thriftExceptionTypes[ex.TypeId()]
		if d.ExceptionType == "" {
			d.ExceptionType = fmt.Sprintf("EXCEPTION_%d", ex.TypeId())
		}
		d.ExceptionMessage = ex.Error()
	default:
		return fmt.Errorf("unexpected message type %d in reply", typ)
	}
	return proto.ReadMessageEnd(ctx)
}
