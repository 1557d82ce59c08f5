package probe

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver/probeserver"
)

func TestThriftProbe(t *testing.T) {
	servers := map[string]string{}
	for _, proto := range ThriftProtocols {
		for _, tr := range ThriftTransports {
			s, err := probeserver.StartThrift(proto, tr)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Stop()
			servers[proto+"/"+tr] = s.Addr
		}
	}
	// A TCP server that answers garbage, to be no Thrift server at all.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	tests := []struct {
		name      string
		opts      ThriftOptions
		wantClass ErrorClass
		wantExit  int
		status    string
	}{
		{name: "binary framed reply", opts: ThriftOptions{Address: servers["binary/framed"], Method: "ping"}, status: "REPLY"},
		{name: "compact buffered reply", opts: ThriftOptions{Address: servers["compact/buffered"], Method: "ping", Protocol: "compact", Transport: "buffered"}, status: "REPLY"},
		{name: "binary buffered", opts: ThriftOptions{Address: servers["binary/buffered"], Method: "ping", Transport: "buffered"}, status: "REPLY"},
		{name: "compact framed", opts: ThriftOptions{Address: servers["compact/framed"], Method: "ping", Protocol: "compact"}, status: "REPLY"},
		{name: "unknown method still proves Thrift", opts: ThriftOptions{Address: servers["binary/framed"], Method: "nope"}, status: "UNKNOWN_METHOD"},
		{name: "unknown method when a reply is expected", opts: ThriftOptions{Address: servers["binary/framed"], Method: "nope", ExpectStatus: StatusMatcher{"REPLY"}},
			wantClass: ClassStatus, wantExit: 1, status: "UNKNOWN_METHOD"},
		{name: "wrong protocol", opts: ThriftOptions{Address: servers["binary/framed"], Method: "ping", Protocol: "compact"},
			wantClass: ClassProtocol, wantExit: 1},
		{name: "not Thrift", opts: ThriftOptions{Address: l.Addr().String(), Method: "ping"},
			wantClass: ClassProtocol, wantExit: 1},
		{name: "nothing listens", opts: ThriftOptions{Address: "127.0.0.1:" + closedPort(t), Method: "ping"},
			wantClass: ClassConnect, wantExit: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewThrift(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			results, err := Run(context.Background(), p, RunOptions{Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			r := results[0]
			if r.ErrorClass != tt.wantClass {
				t.Fatalf("class = %q, want %q (error %q)", r.ErrorClass, tt.wantClass, r.Error)
			}
			if r.ErrorClass != ClassNone && r.ErrorClass != ClassConnect && r.FailedPhase != PhaseCall {
				t.Errorf("failed phase %q, want call", r.FailedPhase)
			}
			if got := ExitCode(results); got != tt.wantExit {
				t.Errorf("exit code = %d, want %d", got, tt.wantExit)
			}
			if tt.status != "" {
				want(t, "status", r.Status, tt.status)
			}
		})
	}
}
