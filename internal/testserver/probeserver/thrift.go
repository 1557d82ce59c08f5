package probeserver

import (
	"context"
	"fmt"
	"net"

	"github.com/apache/thrift/lib/go/thrift"
)

// Thrift is a real Thrift server (github.com/apache/thrift's TSimpleServer)
// on loopback speaking one protocol over one transport. Its processor
// answers "ping" with an empty REPLY and any other method with an
// UNKNOWN_METHOD TApplicationException, as generated processors do.
type Thrift struct {
	Addr string
	srv  *thrift.TSimpleServer
}

// StartThrift starts a server speaking protocol (binary or compact) over
// transport (framed or buffered).
func StartThrift(protocol, transport string) (*Thrift, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr()
	l.Close()
	sock := thrift.NewTServerSocketFromAddrTimeout(addr, 0)
	cfg := &thrift.TConfiguration{}
	var tf thrift.TTransportFactory = thrift.NewTBufferedTransportFactory(4096)
	if transport == "framed" {
		tf = thrift.NewTFramedTransportFactoryConf(thrift.NewTTransportFactory(), cfg)
	}
	var pf thrift.TProtocolFactory = thrift.NewTBinaryProtocolFactoryConf(cfg)
	if protocol == "compact" {
		pf = thrift.NewTCompactProtocolFactoryConf(cfg)
	}
	srv := thrift.NewTSimpleServer4(pingProcessor{}, sock, tf, pf)
	if err := srv.Listen(); err != nil {
		return nil, err
	}
	go func() { _ = srv.AcceptLoop() }()
	return &Thrift{Addr: addr.String(), srv: srv}, nil
}

// Stop stops the server.
func (t *Thrift) Stop() { _ = t.srv.Stop() }

type pingProcessor struct{}

func (pingProcessor) ProcessorMap() map[string]thrift.TProcessorFunction  { return nil }
func (pingProcessor) AddToProcessorMap(string, thrift.TProcessorFunction) {}
func (pingProcessor) Process(ctx context.Context, in, out thrift.TProtocol) (bool, thrift.TException) {
	name, _, seq, err := in.ReadMessageBegin(ctx)
	if err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := thrift.SkipDefaultDepth(ctx, in, thrift.STRUCT); err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := in.ReadMessageEnd(ctx); err != nil {
		return false, thrift.WrapTException(err)
	}
	if name == "ping" {
		_ = out.WriteMessageBegin(ctx, name, thrift.REPLY, seq)
		_ = out.WriteStructBegin(ctx, "ping_result")
		_ = out.WriteFieldStop(ctx)
		_ = out.WriteStructEnd(ctx)
	} else {
		_ = out.WriteMessageBegin(ctx, name, thrift.EXCEPTION, seq)
		ex := thrift.NewTApplicationException(thrift.UNKNOWN_METHOD, fmt.Sprintf("Unknown function %s", name))
		_ = ex.Write(ctx, out)
	}
	_ = out.WriteMessageEnd(ctx)
	if err := out.Flush(ctx); err != nil {
		return false, thrift.WrapTException(err)
	}
	return true, nil
}
