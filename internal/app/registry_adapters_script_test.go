package app

import (
	"context"
	"flag"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rogpeppe/go-internal/testscript"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/msctl/msctl/internal/testserver"
)

// serfAgents holds the agents start-serf started, by RPC address, for
// serf-kill.
var serfAgents sync.Map

type scriptCmd = func(ts *testscript.TestScript, neg bool, args []string)

// registryAdapterCmds are the script commands that start the registries of
// the non-Consul adapters and put data in them. Each start-* command points
// msctl at its server through MSCTL_REGISTRY and MSCTL_ADDRESS.
func registryAdapterCmds() map[string]scriptCmd {
	positive := func(name string, f scriptCmd) scriptCmd {
		return func(ts *testscript.TestScript, neg bool, args []string) {
			if neg {
				ts.Fatalf("unsupported: ! %s", name)
			}
			f(ts, neg, args)
		}
	}
	return map[string]scriptCmd{
		// start-etcd starts etcd; ETCD_ADDR names its client port.
		"start-etcd": positive("start-etcd", func(ts *testscript.TestScript, _ bool, _ []string) {
			e, err := testserver.StartEtcdServer()
			ts.Check(err)
			ts.Defer(e.Stop)
			ts.Setenv("ETCD_ADDR", e.ClientAddr)
			ts.Setenv("MSCTL_REGISTRY", "etcd")
			ts.Setenv("MSCTL_ADDRESS", e.ClientAddr)
		}),
		// etcd-put [-lease SECONDS] KEY VALUE writes to $ETCD_ADDR, the key
		// attached to a new lease when -lease is given.
		"etcd-put": positive("etcd-put", func(ts *testscript.TestScript, _ bool, args []string) {
			fs := flag.NewFlagSet("etcd-put", flag.ContinueOnError)
			lease := fs.Int64("lease", 0, "")
			ts.Check(fs.Parse(args))
			if fs.NArg() != 2 {
				ts.Fatalf("usage: etcd-put [-lease SECONDS] KEY VALUE")
			}
			cl, err := clientv3.New(clientv3.Config{Endpoints: []string{ts.Getenv("ETCD_ADDR")}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
			ts.Check(err)
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var opts []clientv3.OpOption
			if *lease > 0 {
				l, err := cl.Grant(ctx, *lease)
				ts.Check(err)
				opts = append(opts, clientv3.WithLease(l.ID))
			}
			_, err = cl.Put(ctx, fs.Arg(0), fs.Arg(1), opts...)
			ts.Check(err)
		}),
		// start-zookeeper starts a standalone ZooKeeper; ZK_ADDR names it.
		"start-zookeeper": positive("start-zookeeper", func(ts *testscript.TestScript, _ bool, _ []string) {
			z, err := testserver.StartZooKeeperServer()
			ts.Check(err)
			ts.Defer(z.Stop)
			ts.Setenv("ZK_ADDR", z.Addr)
			ts.Setenv("MSCTL_REGISTRY", "zookeeper")
			ts.Setenv("MSCTL_ADDRESS", z.Addr)
		}),
		// zk-create [-e] PATH DATA creates a znode (and its missing
		// parents); -e makes it ephemeral, owned by a session that lives
		// until the script ends.
		"zk-create": positive("zk-create", func(ts *testscript.TestScript, _ bool, args []string) {
			ephemeral := len(args) > 0 && args[0] == "-e"
			if ephemeral {
				args = args[1:]
			}
			if len(args) != 2 {
				ts.Fatalf("usage: zk-create [-e] PATH DATA")
			}
			conn, _, err := zk.Connect([]string{ts.Getenv("ZK_ADDR")}, 10*time.Second, zk.WithLogInfo(false))
			ts.Check(err)
			if ephemeral {
				ts.Defer(conn.Close)
			} else {
				defer conn.Close()
			}
			acl := zk.WorldACL(zk.PermAll)
			dir := ""
			for _, part := range strings.Split(strings.Trim(path.Dir(args[0]), "/"), "/") {
				dir += "/" + part
				if _, err := conn.Create(dir, nil, 0, acl); err != nil && err != zk.ErrNodeExists {
					ts.Fatalf("creating %s: %v", dir, err)
				}
			}
			flags := int32(0)
			if ephemeral {
				flags = zk.FlagEphemeral
			}
			_, err = conn.Create(args[0], []byte(args[1]), flags, acl)
			ts.Check(err)
		}),
		// start-serf starts three Serf agents: n1 and n2 offer web (ports
		// 8080, 8081; versions 1.0, 1.1), n3 offers db on 5432. msctl talks
		// to n1's RPC port.
		"start-serf": positive("start-serf", func(ts *testscript.TestScript, _ bool, _ []string) {
			agents, err := testserver.StartSerfCluster(
				testserver.SerfOptions{Name: "n1", Tags: map[string]string{"service": "web", "port": "8080", "version": "1.0", "zone": "a"}},
				testserver.SerfOptions{Name: "n2", Tags: map[string]string{"service": "web", "port": "8081", "version": "1.1", "zone": "b"}},
				testserver.SerfOptions{Name: "n3", Tags: map[string]string{"service": "db", "port": "5432"}},
			)
			ts.Check(err)
			for _, a := range agents {
				serfAgents.Store(a.RPCAddr, a)
				ts.Defer(func() { serfAgents.Delete(a.RPCAddr); a.Kill() })
				ts.Setenv("SERF_"+strings.ToUpper(a.Name)+"_RPC", a.RPCAddr)
			}
			ts.Setenv("MSCTL_REGISTRY", "serf")
			ts.Setenv("MSCTL_ADDRESS", agents[0].RPCAddr)
		}),
		// serf-kill NAME kills an agent started by start-serf and waits
		// until n1 declares it failed.
		"serf-kill": positive("serf-kill", func(ts *testscript.TestScript, _ bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: serf-kill NAME")
			}
			rpc := ts.Getenv("SERF_" + strings.ToUpper(args[0]) + "_RPC")
			if rpc == "" {
				ts.Fatalf("no serf agent %s", args[0])
			}
			bin, err := testserver.Find("serf")
			ts.Check(err)
			a, ok := serfAgents.Load(rpc)
			if !ok {
				ts.Fatalf("no serf agent at %s", rpc)
			}
			a.(*testserver.SerfAgent).Kill()
			for range 150 {
				out, _ := exec.Command(bin, "members", "-rpc-addr", ts.Getenv("MSCTL_ADDRESS"), "-name", "^"+args[0]+"$").Output()
				if strings.Contains(string(out), "failed") {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
			ts.Fatalf("serf agent %s was not declared failed", args[0])
		}),
		// start-fake-nacos starts testserver.FakeNacos with: orders (three
		// instances: 10.0.0.1 healthy v2.1.0, 10.0.0.2 unhealthy v2.0.0,
		// 10.0.0.3 healthy but disabled, persistent) and billing (one).
		"start-fake-nacos": positive("start-fake-nacos", func(ts *testscript.TestScript, _ bool, _ []string) {
			f := testserver.NewFakeNacos()
			ts.Defer(f.Close)
			f.Register("", "orders", testserver.FakeNacosInstance{IP: "10.0.0.1", Port: 8080, Healthy: true, Enabled: true, Ephemeral: true,
				Metadata: map[string]string{"version": "2.1.0"}})
			f.Register("", "orders", testserver.FakeNacosInstance{IP: "10.0.0.2", Port: 8080, Healthy: false, Enabled: true, Ephemeral: true,
				Metadata: map[string]string{"version": "2.0.0"}})
			f.Register("", "orders", testserver.FakeNacosInstance{IP: "10.0.0.3", Port: 8080, Healthy: true, Enabled: false})
			f.Register("", "billing", testserver.FakeNacosInstance{IP: "10.0.1.1", Port: 9090, Healthy: true, Enabled: true, Ephemeral: true})
			ts.Setenv("NACOS_ADDR", f.Addr)
			ts.Setenv("MSCTL_REGISTRY", "nacos")
			ts.Setenv("MSCTL_ADDRESS", f.Addr)
		}),
		// start-fake-kubernetes starts testserver.FakeKubernetes and
		// points KUBECONFIG at it (context "shop", namespace shop), with
		// checkout: checkout-1 ready, checkout-2 terminating but serving,
		// checkout-3 not ready; cart: no endpoints.
		"start-fake-kubernetes": positive("start-fake-kubernetes", func(ts *testscript.TestScript, _ bool, _ []string) {
			f := testserver.NewFakeKubernetes()
			ts.Defer(f.Close)
			t, no := true, false
			ep := func(pod, ip string, ready, serving, terminating *bool) discoveryv1.Endpoint {
				node := "node-" + pod[len(pod)-1:]
				return discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: &node,
					TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: pod, Namespace: "shop"},
					Conditions: discoveryv1.EndpointConditions{Ready: ready, Serving: serving, Terminating: terminating}}
			}
			name, port := "http", int32(8080)
			slice := func(svc, n string, eps ...discoveryv1.Endpoint) discoveryv1.EndpointSlice {
				return discoveryv1.EndpointSlice{
					ObjectMeta:  metav1.ObjectMeta{Name: n, Namespace: "shop", Labels: map[string]string{"kubernetes.io/service-name": svc}},
					AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps,
					Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &port}}}
			}
			f.Add(slice("checkout", "checkout-a",
				ep("checkout-1", "10.1.0.1", &t, &t, &no),
				ep("checkout-2", "10.1.0.2", &no, &t, &t),
				ep("checkout-3", "10.1.0.3", &no, &no, &no)),
				slice("cart", "cart-a"))
			kc := filepath.Join(ts.Getenv("WORK"), "kubeconfig")
			ts.Check(f.WriteKubeconfig(kc, "shop", "shop"))
			ts.Setenv("KUBECONFIG", kc)
			ts.Setenv("MSCTL_REGISTRY", "k8s")
			ts.Setenv("MSCTL_ADDRESS", "")
		}),
		// start-fake-cloudmap starts testserver.FakeCloudMap with namespace
		// shop.local: checkout (i-1 HEALTHY v5.0.0, i-2 UNHEALTHY v5.1.0,
		// i-3 UNKNOWN) and cart (no instances); AWS credentials come from
		// the environment, CLOUDMAP_URL is the endpoint.
		"start-fake-cloudmap": positive("start-fake-cloudmap", func(ts *testscript.TestScript, _ bool, _ []string) {
			f := testserver.NewFakeCloudMap("AKIDSCRIPT", "secret")
			ts.Defer(f.Close)
			f.AddNamespace("ns-shop", "shop.local")
			f.AddInstance("ns-shop", "checkout", "i-1", "HEALTHY", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.1", "AWS_INSTANCE_PORT": "8080", "version": "5.0.0"})
			f.AddInstance("ns-shop", "checkout", "i-2", "UNHEALTHY", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.2", "AWS_INSTANCE_PORT": "8080", "version": "5.1.0"})
			f.AddInstance("ns-shop", "checkout", "i-3", "UNKNOWN", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.3", "AWS_INSTANCE_PORT": "8080"})
			f.AddService("ns-shop", "cart")
			work := ts.Getenv("WORK")
			for k, v := range map[string]string{
				"AWS_ACCESS_KEY_ID": "AKIDSCRIPT", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
				"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": filepath.Join(work, "no-aws-config"),
				"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(work, "no-aws-credentials"),
				"CLOUDMAP_URL":                f.URL, "MSCTL_REGISTRY": "cloudmap", "MSCTL_ADDRESS": "shop.local?endpoint=" + f.URL,
			} {
				ts.Setenv(k, v)
			}
		}),
		// start-fake-eureka starts testserver.FakeEureka with ORDERS (o1 UP
		// v3.1.0, o2 UP v3.0.0 whose lease ran out five minutes ago, o3
		// taken OUT_OF_SERVICE) and BILLING (b1 UP).
		"start-fake-eureka": positive("start-fake-eureka", func(ts *testscript.TestScript, _ bool, _ []string) {
			f := testserver.NewFakeEureka()
			ts.Defer(f.Close)
			f.Register(testserver.FakeEurekaInstance{App: "orders", InstanceID: "o1", HostName: "host1", IPAddr: "10.0.0.1", Port: 8080,
				Metadata: map[string]string{"version": "3.1.0"}})
			f.Register(testserver.FakeEurekaInstance{App: "orders", InstanceID: "o2", HostName: "host2", IPAddr: "10.0.0.2", Port: 8080,
				Metadata: map[string]string{"version": "3.0.0"}, LastRenewal: time.Now().Add(-5 * time.Minute)})
			f.Register(testserver.FakeEurekaInstance{App: "orders", InstanceID: "o3", HostName: "host3", IPAddr: "10.0.0.3", Port: 8080,
				Status: "OUT_OF_SERVICE", OverriddenStatus: "OUT_OF_SERVICE"})
			f.Register(testserver.FakeEurekaInstance{App: "billing", InstanceID: "b1", HostName: "host4", IPAddr: "10.0.1.1", Port: 9090})
			ts.Setenv("EUREKA_ADDR", f.Addr)
			ts.Setenv("MSCTL_REGISTRY", "eureka")
			ts.Setenv("MSCTL_ADDRESS", f.Addr)
		}),
	}
}
