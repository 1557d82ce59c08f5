package probeserver

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"

	"github.com/fullstorydev/grpcurl"
	"github.com/jhump/protoreflect/desc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/reflection"
	v1alphagrpc "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
)

// GRPCOptions choose what a test gRPC server offers.
type GRPCOptions struct {
	// Reflection is "v1" (v1 and v1alpha, as grpc-go registers them),
	// "v1alpha" (only the old API, to exercise the client's fallback) or
	// "none".
	Reflection string
	// TLS, when set, serves TLS with this configuration.
	TLS *tls.Config
}

// GRPCServer is a real gRPC server on loopback serving grpc.testing's
// TestService (unary, server-, client- and bidi-streaming methods) and
// grpc.health.v1 with "" and grpc.testing.TestService SERVING and "down"
// NOT_SERVING.
type GRPCServer struct {
	Addr   string
	Health *health.Server
	srv    *grpc.Server
}

// StartGRPC starts the server; Stop stops it.
func StartGRPC(o GRPCOptions) (*GRPCServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var opts []grpc.ServerOption
	if o.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(o.TLS)))
	}
	s := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(s, testService{})
	h := health.NewServer()
	h.SetServingStatus("grpc.testing.TestService", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(s, h)
	switch o.Reflection {
	case "", "v1":
		reflection.Register(s)
	case "v1alpha":
		v1alphagrpc.RegisterServerReflectionServer(s, reflection.NewServer(reflection.ServerOptions{Services: s}))
	case "none":
	default:
		return nil, errors.New("unknown reflection " + o.Reflection)
	}
	go func() { _ = s.Serve(l) }()
	return &GRPCServer{Addr: l.Addr().String(), Health: h, srv: s}, nil
}

// Stop stops the server at once.
func (g *GRPCServer) Stop() { g.srv.Stop() }

// WriteTestProtos writes grpc/testing/test.proto and the files it imports
// under dir, printed from the compiled descriptors, for probes that use
// --proto instead of reflection. It returns the file name to pass.
func WriteTestProtos(dir string) (string, error) {
	fd, err := desc.LoadFileDescriptor("grpc/testing/test.proto")
	if err != nil {
		return "", err
	}
	src, err := grpcurl.DescriptorSourceFromFileDescriptors(fd)
	if err != nil {
		return "", err
	}
	return "grpc/testing/test.proto", grpcurl.WriteProtoFiles(dir, src, "grpc.testing.TestService")
}

// testService implements grpc.testing.TestService:
//   - UnaryCall echoes the payload, or fails with response_status;
//   - StreamingOutputCall sends one response per response_parameters
//     entry, with a payload of that size;
//   - StreamingInputCall sums the payload sizes it receives;
//   - FullDuplexCall echoes each request's payload.
type testService struct {
	testgrpc.UnimplementedTestServiceServer
}

func (testService) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

func (testService) UnaryCall(ctx context.Context, in *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	if st := in.GetResponseStatus(); st != nil && st.GetCode() != 0 {
		return nil, status.Error(codes.Code(st.GetCode()), st.GetMessage())
	}
	if in.GetResponseSize() < 0 {
		// A negative size asks the server to hang, for timeout tests.
		select {
		case <-ctx.Done():
		case <-time.After(30 * time.Second):
		}
		return nil, ctx.Err()
	}
	return &testgrpc.SimpleResponse{Payload: in.GetPayload(), Username: "probe"}, nil
}

func (testService) StreamingOutputCall(in *testgrpc.StreamingOutputCallRequest, stream testgrpc.TestService_StreamingOutputCallServer) error {
	for _, p := range in.GetResponseParameters() {
		body := make([]byte, p.GetSize())
		for i := range body {
			body[i] = 'x'
		}
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: &testgrpc.Payload{Body: body}}); err != nil {
			return err
		}
	}
	return nil
}

func (testService) StreamingInputCall(stream testgrpc.TestService_StreamingInputCallServer) error {
	var sum int32
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testgrpc.StreamingInputCallResponse{AggregatedPayloadSize: sum})
		}
		if err != nil {
			return err
		}
		sum += int32(len(in.GetPayload().GetBody()))
	}
}

func (testService) FullDuplexCall(stream testgrpc.TestService_FullDuplexCallServer) error {
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: in.GetPayload()}); err != nil {
			return err
		}
	}
}
