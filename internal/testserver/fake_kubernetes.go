package testserver

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FakeKubernetes is a stand-in for a Kubernetes API server that serves
// only what msctl's Kubernetes adapter reads: GET
// /apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices, with
// labelSelector (KEY or KEY=VALUE), over TLS with a bearer token, as
// documented in the Kubernetes API reference. No API server can run here.
type FakeKubernetes struct {
	URL   string
	Token string

	srv    *httptest.Server
	mu     sync.Mutex
	slices []discoveryv1.EndpointSlice
}

// NewFakeKubernetes starts the fake; Close stops it.
func NewFakeKubernetes() *FakeKubernetes {
	f := &FakeKubernetes{Token: "fake-kubernetes-token"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", f.list)
	f.srv = httptest.NewTLSServer(mux)
	f.URL = f.srv.URL
	return f
}

// StartFakeKubernetes starts the fake for the test and closes it at the end.
func StartFakeKubernetes(t testing.TB) *FakeKubernetes {
	f := NewFakeKubernetes()
	t.Cleanup(f.Close)
	return f
}

// Close stops the fake.
func (f *FakeKubernetes) Close() { f.srv.Close() }

// Add stores EndpointSlices.
func (f *FakeKubernetes) Add(slices ...discoveryv1.EndpointSlice) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slices = append(f.slices, slices...)
}

// WriteKubeconfig writes a kubeconfig with one context, name, that points
// at the fake with its CA and token and defaults to namespace.
func (f *FakeKubernetes) WriteKubeconfig(path, name, namespace string) error {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	caPath := path + ".ca.pem"
	if err := os.WriteFile(caPath, ca, 0o600); err != nil {
		return err
	}
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: %q, certificate-authority: %q}
users:
- name: fake
  user: {token: %q}
contexts:
- name: %s
  context: {cluster: fake, user: fake, namespace: %s}
current-context: %s
`, f.URL, caPath, f.Token, name, namespace, name)
	return os.WriteFile(path, []byte(kc), 0o600)
}

func (f *FakeKubernetes) list(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+f.Token {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(metav1.Status{Status: "Failure", Message: "Unauthorized", Reason: metav1.StatusReasonUnauthorized, Code: 401})
		return
	}
	key, value, hasValue := strings.Cut(r.URL.Query().Get("labelSelector"), "=")
	out := discoveryv1.EndpointSliceList{TypeMeta: metav1.TypeMeta{Kind: "EndpointSliceList", APIVersion: "discovery.k8s.io/v1"}}
	f.mu.Lock()
	for _, s := range f.slices {
		if s.Namespace != r.PathValue("ns") {
			continue
		}
		if key != "" {
			v, ok := s.Labels[key]
			if !ok || hasValue && v != value {
				continue
			}
		}
		out.Items = append(out.Items, s)
	}
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(out)
}
