package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fullstorydev/grpcurl"
	"github.com/jhump/protoreflect/desc"
	"github.com/jhump/protoreflect/grpcreflect"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/descriptorpb"
)

// HealthUnhealthyExit is the exit code for a health check that answered
// with anything but SERVING, as grpc_health_probe exits.
const HealthUnhealthyExit = 4

// source returns the descriptor source: the --proto/--protoset files, or
// server reflection (v1, falling back to v1alpha) over the connection.
// The returned function releases the reflection stream.
func (p *GRPCProber) source(ctx context.Context) (grpcurl.DescriptorSource, func()) {
	if p.files != nil {
		return p.files, func() {}
	}
	md := grpcurl.MetadataFromHeaders(append(append([]string(nil), p.opts.Headers...), p.opts.ReflectHeaders...))
	rc := grpcreflect.NewClientAuto(metadata.NewOutgoingContext(ctx, md), p.cc)
	rc.AllowMissingFileDescriptors()
	return grpcurl.DescriptorSourceFromServer(ctx, rc), rc.Reset
}

// describe runs list or describe and renders the text grpcurl prints.
func (p *GRPCProber) describe(ctx context.Context, r *Result) error {
	src, done := p.source(ctx)
	defer done()
	var out strings.Builder
	sym := p.opts.Symbol
	if p.opts.Verb == "list" {
		var names []string
		var err error
		if sym == "" {
			names, err = grpcurl.ListServices(src)
			r.GRPC.Services = names
		} else {
			names, err = grpcurl.ListMethods(src, sym)
		}
		if err != nil {
			return err
		}
		if len(names) == 0 {
			names = []string{map[bool]string{true: "(No services)", false: "(No methods)"}[sym == ""]}
		}
		for _, n := range names {
			fmt.Fprintln(&out, n)
		}
	} else {
		symbols := []string{sym}
		if sym == "" {
			svcs, err := src.ListServices()
			if err != nil {
				return err
			}
			if len(svcs) == 0 {
				fmt.Fprintln(&out, "Server returned an empty list of exposed services")
			}
			symbols = svcs
		}
		for _, s := range symbols {
			s = strings.TrimPrefix(s, ".")
			d, err := src.FindSymbol(s)
			if err != nil {
				return fmt.Errorf("resolving symbol %q: %w", s, err)
			}
			d, kind := elementKind(d)
			txt, err := grpcurl.GetDescriptorText(d, src)
			if err != nil {
				return fmt.Errorf("describing %q: %w", s, err)
			}
			fmt.Fprintf(&out, "%s is %s:\n%s\n", d.GetFullyQualifiedName(), kind, txt)
		}
	}
	r.GRPC.Output = out.String()
	r.Body = []byte(r.GRPC.Output)
	r.GRPC.Code, r.Status, r.StatusCode = "OK", "OK", 0
	return nil
}

// elementKind names what a descriptor is in grpcurl's words; map entries
// and groups are described through their field, as grpcurl does.
func elementKind(d desc.Descriptor) (desc.Descriptor, string) {
	switch d := d.(type) {
	case *desc.MessageDescriptor:
		if parent, ok := d.GetParent().(*desc.MessageDescriptor); ok {
			for _, f := range parent.GetFields() {
				if d.IsMapEntry() && f.IsMap() && f.GetMessageType() == d {
					return f, "the entry type for a map field"
				}
				if f.GetType() == descriptorpb.FieldDescriptorProto_TYPE_GROUP && f.GetMessageType() == d {
					return f, "the type of a group field"
				}
			}
		}
		return d, "a message"
	case *desc.FieldDescriptor:
		switch {
		case d.GetType() == descriptorpb.FieldDescriptorProto_TYPE_GROUP:
			return d, "a group field"
		case d.IsExtension():
			return d, "an extension"
		}
		return d, "a field"
	case *desc.OneOfDescriptor:
		return d, "a one-of"
	case *desc.EnumDescriptor:
		return d, "an enum"
	case *desc.EnumValueDescriptor:
		return d, "an enum value"
	case *desc.ServiceDescriptor:
		return d, "a service"
	case *desc.MethodDescriptor:
		return d, "a method"
	}
	return d, "an element"
}

// invoke calls SERVICE/METHOD with the JSON request data, any of the four
// streaming kinds, and keeps the responses as grpcurl prints them.
func (p *GRPCProber) invoke(ctx context.Context, r *Result) error {
	src, done := p.source(ctx)
	defer done()
	parser, formatter, err := grpcurl.RequestParserAndFormatter(grpcurl.FormatJSON, src, bytes.NewReader(p.opts.Data),
		grpcurl.FormatOptions{EmitJSONDefaultFields: p.opts.EmitDefaults, IncludeTextSeparator: true})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	h := &grpcurl.DefaultEventHandler{Out: &out, Formatter: formatter}
	headers := append(append([]string(nil), p.opts.Headers...), p.opts.RPCHeaders...)
	err = grpcurl.InvokeRPC(ctx, src, p.cc, p.opts.Symbol, headers, h, parser.Next)
	r.GRPC.Output, r.GRPC.Responses = out.String(), h.NumResponses
	r.Body = out.Bytes()
	if err != nil {
		st, ok := status.FromError(err)
		if !ok {
			return err
		}
		h.Status = st
	}
	var errText bytes.Buffer
	grpcurl.PrintStatus(&errText, h.Status, formatter)
	p.rpcStatus(ctx, r, h.Status)
	if h.Status.Code() != codes.OK {
		r.GRPC.ErrorText = errText.String()
	}
	return nil
}

// rpcStatus records an RPC's final status and fails the result unless it
// is expected (default OK): 64 + code, as grpcurl exits.
func (p *GRPCProber) rpcStatus(ctx context.Context, r *Result, st *status.Status) {
	c := st.Code()
	r.StatusCode = int(c)
	r.Status = rpccode.Code(c).String()
	r.GRPC.Code, r.GRPC.Message = r.Status, st.Message()
	if p.opts.ExpectStatus.Match(int(c), r.Status, func(c int) bool { return c == 0 }) {
		return
	}
	if c == codes.DeadlineExceeded && deadlinePassed(ctx) {
		r.Fail(PhaseRPC, ClassTimeout, fmt.Errorf("no answer within --timeout: %s", st.Message()))
		return
	}
	msg := fmt.Sprintf("rpc error: code = %s desc = %s", c, st.Message())
	if len(p.opts.ExpectStatus) > 0 {
		msg += ", want " + p.opts.ExpectStatus.Describe("OK")
	}
	r.Fail(PhaseRPC, ClassStatus, errors.New(msg))
	r.ExitCode = 64 + int(c)
}

// rpcFailed records an error that ended the call before a status: a
// cancelled deadline, a symbol the server does not know, reflection the
// server does not offer, request data that does not parse.
func (p *GRPCProber) rpcFailed(r *Result, err error) {
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		if st.Code() == codes.DeadlineExceeded || st.Code() == codes.Canceled {
			r.Fail(PhaseRPC, ClassTimeout, err)
			return
		}
		r.Fail(PhaseRPC, ClassStatus, err)
		r.StatusCode, r.Status = int(st.Code()), rpccode.Code(st.Code()).String()
		r.GRPC.Code, r.GRPC.Message = r.Status, st.Message()
		if p.opts.Verb == "invoke" || p.opts.Verb == "health" {
			r.ExitCode = 64 + int(st.Code())
		}
		return
	}
	class := Classify(err, PhaseRPC)
	if msg := err.Error(); strings.Contains(msg, "not found") || strings.Contains(msg, "does not include") {
		// The server is fine; it has no such symbol.
		class = ClassStatus
	}
	r.Fail(PhaseRPC, class, err)
}

// health asks grpc.health.v1 for the service's status (Check), or waits
// for the next status the server streams (Watch).
func (p *GRPCProber) health(ctx context.Context, r *Result) error {
	md := grpcurl.MetadataFromHeaders(append(append([]string(nil), p.opts.Headers...), p.opts.RPCHeaders...))
	var st healthpb.HealthCheckResponse_ServingStatus
	if p.opts.Watch {
		var err error
		if st, err = p.nextWatch(ctx, md); err != nil {
			return err
		}
	} else {
		resp, err := healthpb.NewHealthClient(p.cc).Check(metadata.NewOutgoingContext(ctx, md), &healthpb.HealthCheckRequest{Service: p.opts.Symbol})
		if err != nil {
			return err
		}
		st = resp.GetStatus()
	}
	r.GRPC.Code = "OK"
	r.GRPC.HealthStatus = st.String()
	r.Status, r.StatusCode = st.String(), int(st)
	r.Body = []byte(st.String())
	if !p.opts.ExpectStatus.Match(int(st), st.String(), func(c int) bool { return c == int(healthpb.HealthCheckResponse_SERVING) }) {
		r.Fail(PhaseRPC, ClassStatus, fmt.Errorf("health %s, want %s", st, p.opts.ExpectStatus.Describe("SERVING")))
		r.ExitCode = HealthUnhealthyExit
	}
	return nil
}

// healthWatch is an open Watch stream whose statuses arrive on a channel,
// so that each probe can wait for the next one under its own deadline.
type healthWatch struct {
	cancel context.CancelFunc
	ch     chan watchEvent
}

type watchEvent struct {
	st  healthpb.HealthCheckResponse_ServingStatus
	err error
}

func (p *GRPCProber) nextWatch(ctx context.Context, md metadata.MD) (healthpb.HealthCheckResponse_ServingStatus, error) {
	if p.watch == nil {
		// The stream outlives each probe's deadline; Close ends it.
		sctx, cancel := context.WithCancel(metadata.NewOutgoingContext(context.Background(), md))
		stream, err := healthpb.NewHealthClient(p.cc).Watch(sctx, &healthpb.HealthCheckRequest{Service: p.opts.Symbol})
		if err != nil {
			cancel()
			return 0, err
		}
		w := &healthWatch{cancel: cancel, ch: make(chan watchEvent, 16)}
		go func() {
			for {
				resp, err := stream.Recv()
				select {
				case w.ch <- watchEvent{st: resp.GetStatus(), err: err}:
				case <-sctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()
		p.watch = w
	}
	select {
	case ev := <-p.watch.ch:
		return ev.st, ev.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// deadlinePassed reports whether the probe's own deadline has run out. The
// transport can fail the stream with DeadlineExceeded a moment before the
// context's timer marks it done, so a deadline at most a few milliseconds
// away counts as passed.
func deadlinePassed(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < 10*time.Millisecond
}
