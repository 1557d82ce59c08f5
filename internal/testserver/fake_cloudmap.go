package testserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// FakeCloudMap is a stand-in for the AWS Cloud Map API built from its
// documentation (AWS JSON 1.1: POST / with X-Amz-Target
// Route53AutoNaming_v20170314.<Operation>), since no Cloud Map can run
// here. It serves ListNamespaces, ListServices (NAMESPACE_ID filter) and
// DiscoverInstances (HealthStatus filter), and refuses requests not signed
// with the access key it was given.
type FakeCloudMap struct {
	// URL is the endpoint to give the SDK as BaseEndpoint.
	URL       string
	srv       *httptest.Server
	accessKey string

	mu         sync.Mutex
	namespaces map[string]string           // id -> name
	services   map[string]map[string]bool  // namespace id -> service names
	instances  map[string][]map[string]any // namespace name/service -> summaries
	calls      map[string]int              // operation -> count
	hosts      map[string]bool             // Host headers seen
}

// NewFakeCloudMap starts the fake; it accepts requests signed with
// accessKey only. Close stops it.
func NewFakeCloudMap(accessKey string) *FakeCloudMap {
	f := &FakeCloudMap{accessKey: accessKey, namespaces: map[string]string{}, services: map[string]map[string]bool{},
		instances: map[string][]map[string]any{}, hosts: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	return f
}

// StartFakeCloudMap starts the fake for the test and closes it at the end.
func StartFakeCloudMap(t testing.TB, accessKey string) *FakeCloudMap {
	f := NewFakeCloudMap(accessKey)
	t.Cleanup(f.Close)
	return f
}

// Close stops the fake.
func (f *FakeCloudMap) Close() { f.srv.Close() }

// Hosts lists the Host headers requests came with.
func (f *FakeCloudMap) Hosts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for h := range f.hosts {
		out = append(out, h)
	}
	return out
}

// AddNamespace creates a namespace.
func (f *FakeCloudMap) AddNamespace(id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.namespaces[id] = name
	f.services[id] = map[string]bool{}
}

// AddInstance registers an instance (creating its service) with a health
// status and attributes, as RegisterInstance and the health checker would.
func (f *FakeCloudMap) AddInstance(nsID, service, id, health string, attrs map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.services[nsID][service] = true
	key := f.namespaces[nsID] + "/" + service
	f.instances[key] = append(f.instances[key], map[string]any{
		"InstanceId": id, "NamespaceName": f.namespaces[nsID], "ServiceName": service,
		"HealthStatus": health, "Attributes": attrs})
}

// AddService creates a service without instances.
func (f *FakeCloudMap) AddService(nsID, service string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.services[nsID][service] = true
}

func fakeCloudMapError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "Message": msg})
}

func (f *FakeCloudMap) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "Route53AutoNaming_v20170314.")
	if r.Method != http.MethodPost || !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		fakeCloudMapError(w, 400, "SerializationException", "not an AWS JSON 1.1 request")
		return
	}
	if !strings.Contains(r.Header.Get("Authorization"), "Credential="+f.accessKey+"/") {
		fakeCloudMapError(w, 400, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fakeCloudMapError(w, 400, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts[r.Host] = true
	var out any
	switch op {
	case "ListNamespaces":
		var nss []map[string]any
		for id, name := range f.namespaces {
			nss = append(nss, map[string]any{"Id": id, "Name": name, "Type": "DNS_PRIVATE",
				"Arn": "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + id})
		}
		out = map[string]any{"Namespaces": nss}
	case "ListServices":
		nsID := ""
		if fs, ok := in["Filters"].([]any); ok && len(fs) == 1 {
			flt := fs[0].(map[string]any)
			if flt["Name"] == "NAMESPACE_ID" {
				nsID = flt["Values"].([]any)[0].(string)
			}
		}
		var svcs []map[string]any
		for name := range f.services[nsID] {
			svcs = append(svcs, map[string]any{"Id": "srv-" + name, "Name": name})
		}
		out = map[string]any{"Services": svcs}
	case "DiscoverInstances":
		ns, _ := in["NamespaceName"].(string)
		svc, _ := in["ServiceName"].(string)
		found := false
		for id, name := range f.namespaces {
			if name == ns {
				found = true
				if !f.services[id][svc] {
					fakeCloudMapError(w, 400, "ServiceNotFound", "No service found for "+svc)
					return
				}
			}
		}
		if !found {
			fakeCloudMapError(w, 400, "NamespaceNotFound", "No namespace found for "+ns)
			return
		}
		want, _ := in["HealthStatus"].(string)
		insts := []map[string]any{}
		for _, s := range f.instances[ns+"/"+svc] {
			h := s["HealthStatus"].(string)
			if want == "" || want == "HEALTHY" && h == "HEALTHY" || want == "UNHEALTHY" && h == "UNHEALTHY" || want == "ALL" ||
				want == "HEALTHY_OR_ELSE_ALL" {
				insts = append(insts, s)
			}
		}
		out = map[string]any{"Instances": insts, "InstancesRevision": 7}
	default:
		fakeCloudMapError(w, 400, "UnknownOperationException", op)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}
