package loadtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fullstorydev/grpcurl"
	"github.com/jhump/protoreflect/desc"        //nolint:staticcheck // grpcurl's descriptor sources speak v1 descriptors
	"github.com/jhump/protoreflect/dynamic"     //nolint:staticcheck // as above
	"github.com/jhump/protoreflect/grpcreflect" //nolint:staticcheck // as above
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// GRPCCodeBase offsets gRPC status codes in Outcome.Code so that they do
// not collide with HTTP statuses; CodeName turns them back into names.
const GRPCCodeBase = 1000

// CodeName names a code of Outcome.Code: "200" or "ResourceExhausted".
func CodeName(code int) string {
	if code >= GRPCCodeBase {
		return codes.Code(code - GRPCCodeBase).String()
	}
	return fmt.Sprint(code)
}

// GRPCOptions configure the gRPC requester.
type GRPCOptions struct {
	// Target is grpc://HOST:PORT/package.Service/Method (grpcs:// for TLS).
	Target string
	// Data is the request message as JSON.
	Data string
	// Protos and ImportPaths select proto files instead of reflection.
	Protos      []string
	ImportPaths []string
	// Metadata is sent with every call.
	Metadata http.Header
	Insecure bool
	Timeout  time.Duration
	// Conns is how many HTTP/2 connections calls are spread over.
	Conns int
}

// GRPCRequester calls one unary method. The request is resolved through
// grpcurl's descriptor sources (reflection or proto files) and marshalled
// once; each call then sends the same bytes through a pass-through codec,
// so the hot path does no protobuf work.
type GRPCRequester struct {
	conns   []*grpc.ClientConn
	method  string
	req     []byte
	md      metadata.MD
	keep    bool
	name    string
	next    atomic.Uint64
	timeout time.Duration
}

// rawCodec passes pre-marshalled bytes through.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = data
	return nil
}
func (rawCodec) Name() string { return "proto" }

// ParseGRPCTarget splits grpc://HOST:PORT/package.Service/Method.
func ParseGRPCTarget(target string) (addr, service, method string, tlsOn bool, err error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "grpc" && u.Scheme != "grpcs") || u.Host == "" {
		return "", "", "", false, fmt.Errorf("%q: want grpc://HOST:PORT/package.Service/Method", target)
	}
	path := strings.Trim(u.Path, "/")
	i := strings.LastIndex(path, "/")
	if i <= 0 || i == len(path)-1 {
		return "", "", "", false, fmt.Errorf("%q: the path must be /package.Service/Method", target)
	}
	return u.Host, path[:i], path[i+1:], u.Scheme == "grpcs", nil
}

// NewGRPCRequester dials the target and prepares the request.
func NewGRPCRequester(ctx context.Context, opts GRPCOptions) (*GRPCRequester, error) {
	addr, service, method, tlsOn, err := ParseGRPCTarget(opts.Target)
	if err != nil {
		return nil, err
	}
	if opts.Conns <= 0 {
		opts.Conns = 4
	}
	creds := insecure.NewCredentials()
	if tlsOn {
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: opts.Insecure}) //nolint:gosec // explicit --insecure
	}
	r := &GRPCRequester{method: "/" + service + "/" + method, name: opts.Target, timeout: opts.Timeout}
	for range opts.Conns {
		c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			r.Close()
			return nil, err
		}
		r.conns = append(r.conns, c)
	}
	var src grpcurl.DescriptorSource
	if len(opts.Protos) > 0 {
		src, err = grpcurl.DescriptorSourceFromProtoFiles(opts.ImportPaths, opts.Protos...)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("reading proto files: %w", err)
		}
	} else {
		rc := grpcreflect.NewClientAuto(ctx, r.conns[0])
		defer rc.Reset()
		src = grpcurl.DescriptorSourceFromServer(ctx, rc)
	}
	d, err := src.FindSymbol(service)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("finding %s: %w", service, err)
	}
	sd, ok := d.(*desc.ServiceDescriptor)
	if !ok {
		r.Close()
		return nil, fmt.Errorf("%s is not a service", service)
	}
	md := sd.FindMethodByName(method)
	if md == nil {
		r.Close()
		return nil, fmt.Errorf("service %s has no method %s", service, method)
	}
	if md.IsClientStreaming() || md.IsServerStreaming() {
		r.Close()
		return nil, fmt.Errorf("%s is a streaming method; only unary methods can be load-tested", r.method)
	}
	msg := dynamic.NewMessage(md.GetInputType())
	data := opts.Data
	if strings.TrimSpace(data) == "" {
		data = "{}"
	}
	if err := grpcurl.NewJSONRequestParser(strings.NewReader(data), grpcurl.AnyResolverFromDescriptorSource(src)).Next(msg); err != nil {
		r.Close()
		return nil, fmt.Errorf("request data does not fit %s: %w", md.GetInputType().GetFullyQualifiedName(), err)
	}
	if r.req, err = msg.Marshal(); err != nil {
		r.Close()
		return nil, err
	}
	r.md = metadata.MD{}
	for k, vs := range opts.Metadata {
		r.md[strings.ToLower(k)] = vs
	}
	return r, nil
}

// Name implements Requester.
func (r *GRPCRequester) Name() string { return r.name }

// KeepHeaders implements HeaderKeeper.
func (r *GRPCRequester) KeepHeaders(v bool) { r.keep = v }

// Close implements Requester.
func (r *GRPCRequester) Close() {
	for _, c := range r.conns {
		_ = c.Close()
	}
}

// Do implements Requester.
func (r *GRPCRequester) Do(ctx context.Context, o *Outcome) {
	conn := r.conns[0]
	if len(r.conns) > 1 {
		conn = r.conns[r.next.Add(1)%uint64(len(r.conns))]
	}
	if len(r.md) > 0 {
		ctx = metadata.NewOutgoingContext(ctx, r.md)
	}
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	var reply []byte
	var hdr, trl metadata.MD
	callOpts := []grpc.CallOption{grpc.ForceCodec(rawCodec{})}
	if r.keep {
		callOpts = append(callOpts, grpc.Header(&hdr), grpc.Trailer(&trl))
	}
	err := conn.Invoke(ctx, r.method, &r.req, &reply, callOpts...)
	o.BytesIn = int64(len(reply))
	st, _ := status.FromError(err)
	o.Code = GRPCCodeBase + int(st.Code())
	o.Class = ClassOfGRPC(st.Code())
	if err != nil {
		o.Err = err
		o.Status = st
		if st.Code() == codes.Canceled && ctx.Err() != nil {
			o.Class = Canceled
		}
		if errors.Is(err, context.DeadlineExceeded) {
			o.Class = Timeout
		}
	}
	if r.keep {
		h := http.Header{}
		for _, md := range []metadata.MD{hdr, trl} {
			for k, vs := range md {
				for _, v := range vs {
					h.Add(k, v)
				}
			}
		}
		o.Header = h
	}
}

// ClassOfGRPC classifies a gRPC status code.
func ClassOfGRPC(c codes.Code) Class {
	switch c {
	case codes.OK:
		return Accepted
	case codes.ResourceExhausted:
		return Throttled
	case codes.Unavailable:
		return Unavailable
	case codes.DeadlineExceeded:
		return Timeout
	default:
		return Failed
	}
}
