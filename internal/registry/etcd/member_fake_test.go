package etcd

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// fakeMember is a stand-in for one etcd member over gRPC, for the states a
// real single-member etcd cannot be put in on demand: a member that has
// lost its leader (every KV call answers "etcdserver: no leader"), and a
// member that accepts a watch and then goes away. Only what the tests
// call is served.
type fakeMember struct {
	pb.UnimplementedKVServer
	pb.UnimplementedWatchServer

	addr string
	srv  *grpc.Server

	ranges, puts, watches atomic.Int32
	// watchRevision is the header revision of the created watch.
	watchRevision int64
	// created is closed when the first watch has been created.
	created     chan struct{}
	createdOnce sync.Once
	mu          sync.Mutex
	watchMD     metadata.MD // metadata of the first watch
}

func startFakeMember(t *testing.T) *fakeMember {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeMember{addr: ln.Addr().String(), srv: grpc.NewServer(), created: make(chan struct{})}
	pb.RegisterKVServer(f.srv, f)
	pb.RegisterWatchServer(f.srv, f)
	go func() { _ = f.srv.Serve(ln) }()
	t.Cleanup(f.srv.Stop)
	return f
}

var errNoLeader = status.Error(codes.Unavailable, "etcdserver: no leader")

func (f *fakeMember) Range(context.Context, *pb.RangeRequest) (*pb.RangeResponse, error) {
	f.ranges.Add(1)
	return nil, errNoLeader
}

func (f *fakeMember) Put(context.Context, *pb.PutRequest) (*pb.PutResponse, error) {
	f.puts.Add(1)
	return nil, errNoLeader
}

// Watch creates the watch the client asks for, then sends nothing until
// the member is stopped.
func (f *fakeMember) Watch(stream pb.Watch_WatchServer) error {
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	if req.GetCreateRequest() == nil {
		return status.Error(codes.InvalidArgument, "fake member: want a create request")
	}
	f.watches.Add(1)
	if err := stream.Send(&pb.WatchResponse{Header: &pb.ResponseHeader{Revision: f.watchRevision}, Created: true}); err != nil {
		return err
	}
	f.createdOnce.Do(func() {
		md, _ := metadata.FromIncomingContext(stream.Context())
		f.mu.Lock()
		f.watchMD = md
		f.mu.Unlock()
		close(f.created)
	})
	<-stream.Context().Done()
	return stream.Context().Err()
}
