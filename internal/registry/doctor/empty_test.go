package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	_ "github.com/msctl/msctl/internal/registry/all" // etcd and zookeeper through registry.Open
	"github.com/msctl/msctl/internal/registry/regtest"
	"github.com/msctl/msctl/internal/testserver"
)

// severableDialer hands go-zookeeper connections it can later cut, and
// then refuses to dial again: the client process "crashes" without closing
// its session, so the server expires it after the session timeout, as it
// does when an instance dies.
type severableDialer struct {
	mu    sync.Mutex
	conns []net.Conn
	cut   bool
}

func (d *severableDialer) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cut {
		return nil, errors.New("severed")
	}
	c, err := net.DialTimeout(network, address, timeout)
	if err == nil {
		d.conns = append(d.conns, c)
	}
	return c, err
}

func (d *severableDialer) sever() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cut = true
	for _, c := range d.conns {
		c.Close()
	}
}

func curatorJSON(name, id string, port int) string {
	return fmt.Sprintf(`{"name":%q,"id":%q,"address":"127.0.0.1","port":%d,"serviceType":"DYNAMIC","registrationTimeUTC":1764277200000}`, name, id, port)
}

func serviceReport(rep *Report, name string) *ServiceReport {
	for i := range rep.Services {
		if rep.Services[i].Service == name {
			return &rep.Services[i]
		}
	}
	return nil
}

// TestDoctorZooKeeperSessionExpiry: after the only instance's owner
// session expires, the service znode stays with no child; the diagnosis of
// every service must check it and call it critical, as `doctor SERVICE`
// does.
func TestDoctorZooKeeperSessionExpiry(t *testing.T) {
	srv := testserver.StartZooKeeper(t)
	admin, _, err := zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	acl := zk.WorldACL(zk.PermAll)
	live := regtest.Listen(t)
	for _, p := range []string{"/services", "/services/orders", "/services/billing", "/services/pay"} {
		if _, err := admin.Create(p, nil, 0, acl); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.Create("/services/billing/b1", []byte(curatorJSON("billing", "b1", live)), 0, acl); err != nil {
		t.Fatal(err)
	}
	// An instance taken out of traffic (Curator's enabled=false).
	if _, err := admin.Create("/services/pay/p1", []byte(strings.Replace(curatorJSON("pay", "p1", live), "}", `,"enabled":false}`, 1)), 0, acl); err != nil {
		t.Fatal(err)
	}
	// The instance's own session, 2 s timeout (the server's minimum is
	// two ticks of 500 ms).
	d := &severableDialer{}
	owner, _, err := zk.Connect([]string{srv.Addr}, 2*time.Second, zk.WithLogInfo(false), zk.WithDialer(d.dial))
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	regtest.Eventually(t, 10*time.Second, func() error {
		_, err := owner.Create("/services/orders/o1", []byte(curatorJSON("orders", "o1", live)), zk.FlagEphemeral, acl)
		return err
	})

	reg, err := registry.Open(config.Context{Registry: "zookeeper", Address: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.(interface{ Close() error }).Close()
	ctx := context.Background()
	opts := Options{Probe: true, ProbeTimeout: 500 * time.Millisecond}
	rep, err := Diagnose(ctx, reg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Worst() == Critical {
		t.Fatalf("before the crash: %v", findingSet(rep))
	}
	if f := finding(rep, "instance-warning", "p1"); f == nil || f.Severity != Warning || !strings.Contains(f.Reason, "registration: instance disabled (enabled=false)") {
		t.Errorf("disabled instance: %+v in %v", f, findingSet(rep))
	}

	d.sever()
	regtest.Eventually(t, 20*time.Second, func() error {
		rep, err = Diagnose(ctx, reg, opts)
		if err != nil {
			return err
		}
		if s := serviceReport(rep, "orders"); s == nil || len(s.Instances) != 0 {
			return fmt.Errorf("orders still has instances or is not checked: %+v", s)
		}
		return nil
	})
	has(t, rep, "critical no-healthy-instances orders ")
	if len(rep.Services) != 3 || rep.Worst() != Critical {
		t.Errorf("%d service(s) checked, worst %q; want billing, orders and pay, critical", len(rep.Services), rep.Worst())
	}
	for _, f := range rep.Findings {
		if f.Service == "billing" {
			t.Errorf("healthy billing reported: %+v", f)
		}
	}
	// The one-service diagnosis says the same.
	one, err := Diagnose(ctx, reg, Options{Services: []string{"orders"}})
	if err != nil {
		t.Fatal(err)
	}
	has(t, one, "critical no-healthy-instances orders ")
}

// TestDoctorEtcdLeaseExpiry: keys written with a lease by etcd's own
// client vanish when the lease expires without keep-alives. What is left
// to read is an empty prefix, which must not read as "no problems".
func TestDoctorEtcdLeaseExpiry(t *testing.T) {
	srv := testserver.StartEtcd(t)
	cl, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.ClientAddr}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	live := regtest.Listen(t)
	lease, err := cl.Grant(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("/services/orders/127.0.0.1:%d", live)
	if _, err := cl.Put(ctx, key, fmt.Sprintf(`{"Op":0,"Addr":"127.0.0.1:%d"}`, live), clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(config.Context{Registry: "etcd", Address: srv.ClientAddr + "/services"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diagnose(ctx, reg, Options{Probe: true, ProbeTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if serviceReport(rep, "orders") == nil {
		t.Fatalf("before expiry orders is not checked: %v", findingSet(rep))
	}
	hasNot(t, rep, "no-services")

	regtest.Eventually(t, 15*time.Second, func() error {
		rep, err = Diagnose(ctx, reg, Options{Probe: true})
		if err != nil {
			return err
		}
		if len(rep.Services) != 0 {
			return fmt.Errorf("still %d service(s)", len(rep.Services))
		}
		return nil
	})
	has(t, rep, "critical no-services  ")
	if rep.Worst() != Critical || !strings.Contains(rep.Findings[0].Reason, "etcd registry lists no service") {
		t.Errorf("worst %q, findings %+v", rep.Worst(), rep.Findings)
	}
	if _, err := Diagnose(ctx, reg, Options{Services: []string{"orders"}}); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("doctor orders after expiry: %v, want service not found", err)
	}
}
