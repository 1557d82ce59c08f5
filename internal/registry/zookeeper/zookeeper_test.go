package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

// springInstance is what Spring Cloud Zookeeper (through Curator) writes.
func springInstance(name, id, addr string, port int, status, version string) string {
	return fmt.Sprintf(`{"name":%q,"id":%q,"address":%q,"port":%d,"sslPort":null,`+
		`"payload":{"@class":"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance","id":"app-1","name":%q,"metadata":{"instance_status":%q,"version":%q}},`+
		`"registrationTimeUTC":1764277200000,"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true}]}}`,
		name, id, addr, port, name, status, version)
}

func create(t *testing.T, c *zk.Conn, p, data string, flags int32) {
	t.Helper()
	if _, err := c.Create(p, []byte(data), flags, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("create %s: %v", p, err)
	}
}

func TestZooKeeperAgainstRealServer(t *testing.T) {
	srv := testserver.StartZooKeeper(t)
	c, _, err := zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range []string{"/services", "/services/orders", "/services/legacy"} {
		create(t, c, p, "", 0)
	}
	create(t, c, "/services/orders/a1", springInstance("orders", "a1", "10.0.0.1", 8080, "UP", "1.4.0"), zk.FlagEphemeral)
	create(t, c, "/services/orders/a2", springInstance("orders", "a2", "10.0.0.2", 8080, "OUT_OF_SERVICE", "1.3.0"), 0)
	create(t, c, "/services/orders/junk", "not json", 0)

	r, err := registry.Open(config.Context{Registry: "zk", Address: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer r.(*Registry).Close()
	ctx := context.Background()

	svcs, err := r.Services(ctx, registry.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 2 || svcs[0].Name != "legacy" || svcs[0].Instances != 0 {
		t.Fatalf("services = %+v", svcs)
	}
	o := svcs[1]
	if o.Name != "orders" || o.Instances != 2 || o.ByHealth[registry.Passing] != 1 || o.ByHealth[registry.Critical] != 1 || fmt.Sprint(o.Versions) != "[1.3.0 1.4.0]" {
		t.Errorf("orders = %+v", o)
	}

	ins, err := r.Instances(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 {
		t.Fatalf("instances = %+v", ins)
	}
	a1, a2 := ins[0], ins[1]
	if a1.Address != "10.0.0.1" || a1.Port != 8080 || a1.Health != registry.Passing || a1.Meta["service_type"] != "DYNAMIC" {
		t.Errorf("a1 = %+v", a1)
	}
	wantOwner := fmt.Sprintf("0x%x", c.SessionID())
	if a1.Meta["ephemeral_owner"] != wantOwner || len(a1.Checks) != 2 {
		t.Errorf("a1 owner %q checks %+v, want owner %s", a1.Meta["ephemeral_owner"], a1.Checks, wantOwner)
	}
	// The test server allows `cons`, so the session's timeout and last
	// response are known.
	if a1.LeaseTTL != 10*time.Second || a1.LastHeartbeat == nil || a1.LeaseRemaining <= 0 {
		t.Errorf("a1 lease: ttl %v left %v heartbeat %v", a1.LeaseTTL, a1.LeaseRemaining, a1.LastHeartbeat)
	}
	if a2.Health != registry.Critical || a2.Meta["ephemeral_owner"] != "" || a2.Checks[0].Output != "instance_status OUT_OF_SERVICE" {
		t.Errorf("a2 = %+v", a2)
	}

	if got, err := r.Instances(ctx, "legacy"); err != nil || len(got) != 0 {
		t.Errorf("legacy: %v %v, want no instances and no error", got, err)
	}
	if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("unknown service: %v", err)
	}
}

func TestZooKeeperUnreachable(t *testing.T) {
	ports, _ := testserver.FreePorts(1)
	r, _ := Open(config.Context{Address: fmt.Sprintf("127.0.0.1:%d", ports[0])})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
	// A refused port is said at once, not after the timeout as a missing
	// session.
	if took := time.Since(start); took > 500*time.Millisecond || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("after %s: %v; want connection refused at once", took, err)
	}
}

func TestParseCons(t *testing.T) {
	text := " /127.0.0.1:58276[1](queued=0,recved=2,sent=2,sid=0x10000104e300000,lop=CREA,est=1764277292000,to=10000,lcxid=0x1,lzxid=0x2,lresp=1764277292123,llat=7,minlat=0,avglat=7,maxlat=7)\n" +
		" /127.0.0.1:58280[0](queued=0,recved=1,sent=0)\n"
	got := parseCons(text)
	s, ok := got[0x10000104e300000]
	if len(got) != 1 || !ok || s.timeout != 10*time.Second || s.client != "127.0.0.1:58276" || s.lresp != 1764277292123 {
		t.Errorf("parseCons = %+v", got)
	}
}

func TestZooKeeperLeader(t *testing.T) {
	srv := testserver.StartZooKeeper(t)
	r, _ := Open(config.Context{Address: srv.Addr})
	leader, err := r.(*Registry).Leader(context.Background())
	if err != nil || leader != srv.Addr {
		t.Errorf("leader = %q, %v; want the standalone server %s", leader, err, srv.Addr)
	}
}

func TestZooKeeperWatch(t *testing.T) {
	srv := testserver.StartZooKeeper(t)
	c, _, err := zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range []string{"/services", "/services/orders"} {
		create(t, c, p, "", 0)
	}
	create(t, c, "/services/orders/a1", springInstance("orders", "a1", "10.0.0.1", 8080, "UP", "1.0.0"), 0)
	r, _ := Open(config.Context{Address: srv.Addr})
	zr := r.(*Registry)
	defer zr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	ins, idx, err := zr.WatchInstances(ctx, "orders", 0)
	if err != nil || len(ins) != 1 || idx == 0 {
		t.Fatalf("first: %+v %d %v", ins, idx, err)
	}
	// A status change of an instance wakes the watch.
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, _ = c.Set("/services/orders/a1", []byte(springInstance("orders", "a1", "10.0.0.1", 8080, "DOWN", "1.0.0")), -1)
	}()
	ins, idx2, err := zr.WatchInstances(ctx, "orders", idx)
	if err != nil || len(ins) != 1 || ins[0].Health != registry.Critical || idx2 <= idx {
		t.Fatalf("after status change: %+v %d %v", ins, idx2, err)
	}
	// So does a new instance.
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, _ = c.Create("/services/orders/a2", []byte(springInstance("orders", "a2", "10.0.0.2", 8080, "UP", "1.0.0")), 0, zk.WorldACL(zk.PermAll))
	}()
	ins, idx3, err := zr.WatchInstances(ctx, "orders", idx2)
	if err != nil || len(ins) != 2 || idx3 <= idx2 {
		t.Fatalf("after a new instance: %+v %d %v", ins, idx3, err)
	}
}
