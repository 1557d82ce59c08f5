package serf

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

func TestSerfAgainstRealCluster(t *testing.T) {
	agents := testserver.StartSerf(t,
		testserver.SerfOptions{Name: "n1", Tags: map[string]string{"service": "web", "port": "8080", "version": "1.0", "dc": "a"}},
		testserver.SerfOptions{Name: "n2", Tags: map[string]string{"service": "web,cache", "port": "8081", "version": "1.1", "dc": "a"}},
		testserver.SerfOptions{Name: "n3", Tags: map[string]string{"role": "db"}},
		testserver.SerfOptions{Name: "n4"},
	)
	r, err := registry.Open(config.Context{Registry: "serf", Address: "serf://" + agents[0].RPCAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svcs, err := r.Services(ctx, registry.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range svcs {
		got = append(got, fmt.Sprintf("%s:%d:%v:%v", s.Name, s.ByHealth[registry.Passing], s.Versions, s.Tags))
	}
	if fmt.Sprint(got) != "[cache:1:[1.1]:[dc=a] web:2:[1.0 1.1]:[dc=a]]" {
		t.Errorf("services = %v", got)
	}

	members, err := r.(*Registry).Members(ctx)
	if err != nil || len(members) != 4 || members[2].Name != "n3" || members[2].Tags["role"] != "db" || members[0].Status != "alive" {
		t.Errorf("members = %+v, %v", members, err)
	}

	// The role tag convention, through the address.
	byRole, _ := Open(config.Context{Address: agents[0].RPCAddr + "?tag=role"})
	ins, err := byRole.Instances(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || ins[0].Node != "n3" || ins[0].Address != "127.0.0.1" || ins[0].Meta["port_source"] != "gossip" || ins[0].NodeState != "alive" {
		t.Errorf("db instances = %+v", ins)
	}

	// n2 leaves gracefully: web keeps n1 passing and shows n2 left.
	agents[1].Stop()
	waitFor(t, func() string {
		ins, err := r.Instances(ctx, "web")
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%s=%s/%s %s=%s/%s", ins[0].ID, ins[0].NodeState, ins[0].Health, ins[1].ID, ins[1].NodeState, ins[1].Health)
	}, "n1=alive/passing n2=left/critical")

	// n3 crashes: the others declare it failed (n4 is there to confirm n1's
	// suspicion; alone, n1 would wait its longest timeout, about 18 s).
	agents[2].Kill()
	waitFor(t, func() string {
		ins, err := byRole.Instances(ctx, "db")
		if err != nil {
			return err.Error()
		}
		return ins[0].NodeState
	}, "failed")

	if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("unknown service: %v", err)
	}
}

// waitFor polls until f returns want, for a bounded time: gossip takes a
// few probe rounds to settle.
func waitFor(t *testing.T, f func() string, want string) {
	t.Helper()
	var got string
	start := time.Now()
	for range 200 {
		if got = f(); got == want {
			t.Logf("%q after %s", want, time.Since(start))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("got %q, want %q", got, want)
}

func TestSerfUnreachable(t *testing.T) {
	ports, _ := testserver.FreePorts(1)
	r, _ := Open(config.Context{Address: fmt.Sprintf("127.0.0.1:%d", ports[0])})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
}
