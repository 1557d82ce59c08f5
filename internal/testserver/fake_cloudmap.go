package testserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FakeCloudMap is a stand-in for the AWS Cloud Map API built from its
// documentation (AWS JSON 1.1: POST / with X-Amz-Target
// Route53AutoNaming_v20170314.<Operation>), since no Cloud Map can run
// here. It serves ListNamespaces and ListServices (NAMESPACE_ID filter)
// in pages with NextToken, and DiscoverInstances (HealthStatus filter).
// Like AWS it verifies each request's Signature Version 4 against the
// key pair it was given (see fake_cloudmap_sigv4.go): an unknown access
// key is UnrecognizedClientException, a wrong secret or a request changed
// after signing InvalidSignatureException.
type FakeCloudMap struct {
	// URL is the endpoint to give the client as its custom endpoint.
	URL       string
	srv       *httptest.Server
	accessKey string
	secretKey string

	mu         sync.Mutex
	namespaces map[string]string           // id -> name
	services   map[string]map[string]bool  // namespace id -> service names
	instances  map[string][]map[string]any // namespace name/service -> summaries
	calls      map[string]int              // operation -> count
	hosts      map[string]bool             // Host headers seen
	pageSize   int                         // List* page size when MaxResults is not given
	failNext   []int                       // HTTP statuses to answer the next requests with
}

// NewFakeCloudMap starts the fake; it accepts requests signed with
// accessKey and secretKey only. Close stops it.
func NewFakeCloudMap(accessKey, secretKey string) *FakeCloudMap {
	f := &FakeCloudMap{accessKey: accessKey, secretKey: secretKey, namespaces: map[string]string{}, services: map[string]map[string]bool{},
		instances: map[string][]map[string]any{}, hosts: map[string]bool{}, calls: map[string]int{}, pageSize: 100}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	return f
}

// StartFakeCloudMap starts the fake for the test and closes it at the end.
func StartFakeCloudMap(t testing.TB, accessKey, secretKey string) *FakeCloudMap {
	f := NewFakeCloudMap(accessKey, secretKey)
	t.Cleanup(f.Close)
	return f
}

// SetPageSize sets how many namespaces or services a List call returns
// per page when the request gives no MaxResults (AWS: 100).
func (f *FakeCloudMap) SetPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
}

// FailNext makes the next requests fail with these HTTP statuses, in
// order: 429 as ThrottlingException, 5xx as ServiceUnavailableException.
func (f *FakeCloudMap) FailNext(statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = append(f.failNext, statuses...)
}

// Calls says how many requests reached an operation (after the signature
// check).
func (f *FakeCloudMap) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
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
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		fakeCloudMapError(w, 400, "SerializationException", err.Error())
		return
	}
	if status, typ, msg := f.verifySignature(r, body); status != 0 {
		fakeCloudMapError(w, status, typ, msg)
		return
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		fakeCloudMapError(w, 400, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts[r.Host] = true
	f.calls[op]++
	if len(f.failNext) > 0 {
		status := f.failNext[0]
		f.failNext = f.failNext[1:]
		if status == http.StatusTooManyRequests {
			fakeCloudMapError(w, status, "ThrottlingException", "Rate exceeded")
		} else {
			fakeCloudMapError(w, status, "ServiceUnavailableException", "Service unavailable")
		}
		return
	}
	var out any
	switch op {
	case "ListNamespaces":
		ids := make([]string, 0, len(f.namespaces))
		for id := range f.namespaces {
			ids = append(ids, id)
		}
		page, next, ok := f.page(ids, in)
		if !ok {
			fakeCloudMapError(w, 400, "InvalidInput", "invalid NextToken")
			return
		}
		nss := []map[string]any{}
		for _, id := range page {
			nss = append(nss, map[string]any{"Id": id, "Name": f.namespaces[id], "Type": "DNS_PRIVATE",
				"Arn": "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + id})
		}
		out = map[string]any{"Namespaces": nss, "NextToken": next}
	case "ListServices":
		nsID := ""
		if fs, ok := in["Filters"].([]any); ok && len(fs) == 1 {
			flt := fs[0].(map[string]any)
			if flt["Name"] == "NAMESPACE_ID" {
				nsID = flt["Values"].([]any)[0].(string)
			}
		}
		names := make([]string, 0, len(f.services[nsID]))
		for name := range f.services[nsID] {
			names = append(names, name)
		}
		page, next, ok := f.page(names, in)
		if !ok {
			fakeCloudMapError(w, 400, "InvalidInput", "invalid NextToken")
			return
		}
		svcs := []map[string]any{}
		for _, name := range page {
			svcs = append(svcs, map[string]any{"Id": "srv-" + name, "Name": name})
		}
		out = map[string]any{"Services": svcs, "NextToken": next}
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

// page returns one page of the sorted keys after the request's NextToken
// (here simply the offset; AWS's tokens are opaque), and the next token,
// omitted (nil) on the last page.
func (f *FakeCloudMap) page(keys []string, in map[string]any) ([]string, any, bool) {
	sort.Strings(keys)
	size := f.pageSize
	if m, ok := in["MaxResults"].(float64); ok && m > 0 {
		size = int(m)
	}
	start := 0
	if tok, ok := in["NextToken"].(string); ok && tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"))
		if err != nil || n < 0 || n > len(keys) {
			return nil, nil, false
		}
		start = n
	}
	end := min(start+size, len(keys))
	if end == len(keys) {
		return keys[start:end], nil, true
	}
	return keys[start:end], fmt.Sprintf("page-%d", end), true
}
