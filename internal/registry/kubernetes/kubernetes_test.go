package kubernetes

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

func ptr[T any](v T) *T { return &v }

func slice(ns, svc, name string, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{ServiceNameLabel: svc, "app.kubernetes.io/version": "ignored"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)},
			{Name: ptr("grpc"), Port: ptr(int32(9090)), Protocol: ptr(corev1.ProtocolTCP)},
		},
		Endpoints: eps,
	}
}

func endpoint(pod, ip, node string, ready, serving, terminating *bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ready, Serving: serving, Terminating: terminating},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: pod, Namespace: "shop"},
		NodeName:   ptr(node),
		Zone:       ptr("zone-a"),
	}
}

// scenario: checkout has a ready pod, one draining (terminating, still
// serving), one failing readiness and one with unknown readiness; cart has
// a Service with no endpoints; other namespaces are not read.
func scenario() []*discoveryv1.EndpointSlice {
	t, f := ptr(true), ptr(false)
	return []*discoveryv1.EndpointSlice{
		slice("shop", "checkout", "checkout-abc",
			endpoint("checkout-1", "10.1.0.1", "node-a", t, t, f),
			endpoint("checkout-2", "10.1.0.2", "node-b", f, t, t),
		),
		slice("shop", "checkout", "checkout-def",
			endpoint("checkout-3", "10.1.0.3", "node-a", f, f, f),
			endpoint("checkout-4", "10.1.0.4", "node-c", nil, nil, nil),
		),
		slice("shop", "cart", "cart-xyz"),
		slice("other", "checkout", "checkout-zzz", endpoint("x", "10.9.0.1", "node-z", t, t, f)),
	}
}

// fakeLister drives the adapter with client-go's fake clientset.
type fakeLister struct{ cs *fake.Clientset }

func (f fakeLister) ListEndpointSlices(ctx context.Context, ns string, opts metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
	return f.cs.DiscoveryV1().EndpointSlices(ns).List(ctx, opts)
}

func TestKubernetesWithFakeClientset(t *testing.T) {
	cs := fake.NewClientset()
	for _, s := range scenario() {
		if _, err := cs.DiscoveryV1().EndpointSlices(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r := New(fakeLister{cs}, "shop")
	ctx := context.Background()

	svcs, err := r.Services(ctx, registry.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range svcs {
		got = append(got, fmt.Sprintf("%s %d p%d w%d c%d", s.Name, s.Instances, s.ByHealth[registry.Passing], s.ByHealth[registry.Warning], s.ByHealth[registry.Critical]))
	}
	if want := "[cart 0 p0 w0 c0 checkout 4 p2 w1 c1]"; fmt.Sprint(got) != want {
		t.Errorf("services\n got %v\nwant %s", got, want)
	}

	ins, err := r.Instances(ctx, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 4 {
		t.Fatalf("instances = %+v", ins)
	}
	for i, want := range []string{
		"checkout-1 node-a 10.1.0.1:8080 passing ready=true serving=true terminating=false",
		"checkout-2 node-b 10.1.0.2:8080 warning ready=false serving=true terminating=true: terminating, still serving while it drains",
		"checkout-3 node-a 10.1.0.3:8080 critical ready=false serving=false terminating=false: not ready (readiness probe failing or starting)",
		"checkout-4 node-c 10.1.0.4:8080 passing ready=true serving=true terminating=false",
	} {
		in := ins[i]
		if g := fmt.Sprintf("%s %s %s:%d %s %s", in.ID, in.Node, in.Address, in.Port, in.Health, in.Checks[0].Output); g != want {
			t.Errorf("instance %d\n got %s\nwant %s", i, g, want)
		}
	}
	if ins[0].Meta["port.grpc"] != "9090" || ins[0].Tags[0] != "zone=zone-a" || ins[0].Meta["target"] != "pod/checkout-1" {
		t.Errorf("meta/tags = %v %v", ins[0].Meta, ins[0].Tags)
	}

	if ins, err := r.Instances(ctx, "cart"); err != nil || len(ins) != 0 {
		t.Errorf("cart = %v, %v; want no instances, no error", ins, err)
	}
	if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("unknown service: %v", err)
	}
}

// TestKubernetesOverHTTP runs the adapter's own kubeconfig and HTTP path
// against a fake API server that serves the documented list endpoint.
func TestKubernetesOverHTTP(t *testing.T) {
	var sawAuth, sawSelector string
	// TLS, as client-go sends credentials only over TLS.
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sawAuth = req.Header.Get("Authorization")
		if req.Header.Get("Authorization") != "Bearer good-token" {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(metav1.Status{Status: "Failure", Message: "Unauthorized", Code: 401})
			return
		}
		if req.URL.Path != "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices" {
			http.NotFound(w, req)
			return
		}
		sawSelector = req.URL.Query().Get("labelSelector")
		l := discoveryv1.EndpointSliceList{}
		for _, s := range scenario()[:2] {
			l.Items = append(l.Items, *s)
		}
		_ = json.NewEncoder(w).Encode(l)
	}))
	defer api.Close()
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw}))
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: %q, certificate-authority-data: %s}
users:
- name: good
  user: {token: good-token}
- name: bad
  user: {token: bad-token}
contexts:
- name: shop
  context: {cluster: fake, user: good, namespace: shop}
- name: intruder
  context: {cluster: fake, user: bad, namespace: shop}
current-context: intruder
`, api.URL, ca)
	if err := os.WriteFile(kc, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kc)
	ctx := context.Background()

	r, err := registry.Open(config.Context{Registry: "k8s", Address: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	ins, err := r.Instances(ctx, "checkout")
	if err != nil {
		t.Fatalf("%v (auth %q)", err, sawAuth)
	}
	if len(ins) != 4 || sawSelector != ServiceNameLabel+"=checkout" {
		t.Errorf("%d instances, selector %q", len(ins), sawSelector)
	}

	// The current context's user is refused: a permission error.
	r, _ = registry.Open(config.Context{Registry: "k8s"})
	_, err = r.Services(ctx, registry.Query{})
	if !errors.Is(err, registry.ErrPermissionDenied) || sawAuth != "Bearer bad-token" {
		t.Errorf("bad token: err %v (auth %q)", err, sawAuth)
	}

	// An API server that is gone: unreachable.
	api.Close()
	r, _ = registry.Open(config.Context{Registry: "k8s", Address: "shop"})
	_, err = r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Errorf("closed API server: %v", err)
	}
}
