package testserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FakeNacos is an in-memory stand-in for a Nacos server's naming open API,
// built from Nacos's documentation because no Nacos server can run here
// (it needs a JVM distribution that is not packaged). It serves
// POST /nacos/v1/ns/instance (register), DELETE /nacos/v1/ns/instance
// (deregister), GET /nacos/v1/ns/service/list,
// GET /nacos/v1/ns/instance/list, GET /nacos/v2/ns/instance/list and
// POST /nacos/v1/auth/login, with Nacos's JSON field names.
type FakeNacos struct {
	// Addr is host:port of the fake; URL is http://Addr.
	Addr, URL      string
	user, password string

	srv *httptest.Server
	mu  sync.Mutex
	// services by namespace, then "group@@name"
	services map[string]map[string][]FakeNacosInstance
}

// FakeNacosInstance is one instance as Nacos's instance list shows it.
type FakeNacosInstance struct {
	InstanceID                string            `json:"instanceId"`
	IP                        string            `json:"ip"`
	Port                      int               `json:"port"`
	Weight                    float64           `json:"weight"`
	Healthy                   bool              `json:"healthy"`
	Enabled                   bool              `json:"enabled"`
	Ephemeral                 bool              `json:"ephemeral"`
	ClusterName               string            `json:"clusterName"`
	ServiceName               string            `json:"serviceName"`
	Metadata                  map[string]string `json:"metadata"`
	InstanceHeartBeatInterval int64             `json:"instanceHeartBeatInterval"`
	InstanceHeartBeatTimeOut  int64             `json:"instanceHeartBeatTimeOut"`
	IPDeleteTimeout           int64             `json:"ipDeleteTimeout"`
	InstanceIDGenerator       string            `json:"instanceIdGenerator"`
}

const fakeNacosToken = "fake-nacos-access-token"

// NewFakeNacos starts the fake on a loopback port; Close stops it.
func NewFakeNacos() *FakeNacos {
	f := &FakeNacos{services: map[string]map[string][]FakeNacosInstance{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /nacos/v1/auth/login", f.login)
	mux.HandleFunc("POST /nacos/v1/ns/instance", f.auth(f.register))
	mux.HandleFunc("DELETE /nacos/v1/ns/instance", f.auth(f.deregister))
	mux.HandleFunc("GET /nacos/v1/ns/service/list", f.auth(f.serviceList))
	mux.HandleFunc("GET /nacos/v1/ns/instance/list", f.auth(f.instanceList(false)))
	mux.HandleFunc("GET /nacos/v2/ns/instance/list", f.auth(f.instanceList(true)))
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	f.Addr = strings.TrimPrefix(f.srv.URL, "http://")
	return f
}

// StartFakeNacos starts the fake for the test and closes it at the end.
func StartFakeNacos(t testing.TB) *FakeNacos {
	f := NewFakeNacos()
	t.Cleanup(f.Close)
	return f
}

// RequireLogin makes the API require an accessToken from
// /nacos/v1/auth/login with this user and password.
func (f *FakeNacos) RequireLogin(user, password string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user, f.password = user, password
}

func (f *FakeNacos) credentials() (string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.user, f.password
}

// Close stops the fake.
func (f *FakeNacos) Close() { f.srv.Close() }

// Register adds an instance to service (GROUP@@NAME) in namespace (""
// is "public"), filling Nacos's defaults for what is unset.
func (f *FakeNacos) Register(namespace, service string, in FakeNacosInstance) {
	if namespace == "" {
		namespace = "public"
	}
	if !strings.Contains(service, "@@") {
		service = "DEFAULT_GROUP@@" + service
	}
	if in.ClusterName == "" {
		in.ClusterName = "DEFAULT"
	}
	if in.InstanceID == "" {
		in.InstanceID = fmt.Sprintf("%s#%d#%s#%s", in.IP, in.Port, in.ClusterName, service)
	}
	if in.Weight == 0 {
		in.Weight = 1
	}
	if in.Metadata == nil {
		in.Metadata = map[string]string{}
	}
	in.ServiceName = service
	in.InstanceIDGenerator = "simple"
	in.InstanceHeartBeatInterval, in.InstanceHeartBeatTimeOut, in.IPDeleteTimeout = 5000, 15000, 30000
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.services[namespace] == nil {
		f.services[namespace] = map[string][]FakeNacosInstance{}
	}
	f.services[namespace][service] = append(f.services[namespace][service], in)
}

func (f *FakeNacos) login(w http.ResponseWriter, r *http.Request) {
	user, password := f.credentials()
	if r.FormValue("username") != user || r.FormValue("password") != password {
		http.Error(w, "unknown user!", http.StatusForbidden)
		return
	}
	writeFakeJSON(w, map[string]any{"accessToken": fakeNacosToken, "tokenTtl": 18000, "globalAdmin": true})
}

func (f *FakeNacos) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if user, _ := f.credentials(); user != "" && r.FormValue("accessToken") != fakeNacosToken {
			http.Error(w, "user not found!", http.StatusForbidden)
			return
		}
		h(w, r)
	}
}

func fakeNacosKey(r *http.Request) (namespace, service string) {
	namespace = r.FormValue("namespaceId")
	if namespace == "" {
		namespace = "public"
	}
	group := r.FormValue("groupName")
	if group == "" {
		group = "DEFAULT_GROUP"
	}
	name := r.FormValue("serviceName")
	if strings.Contains(name, "@@") {
		return namespace, name
	}
	return namespace, group + "@@" + name
}

func (f *FakeNacos) register(w http.ResponseWriter, r *http.Request) {
	ns, svc := fakeNacosKey(r)
	port, _ := strconv.Atoi(r.FormValue("port"))
	if r.FormValue("ip") == "" || port == 0 || r.FormValue("serviceName") == "" {
		http.Error(w, "caused: Param 'ip', 'port' and 'serviceName' are required", http.StatusBadRequest)
		return
	}
	in := FakeNacosInstance{IP: r.FormValue("ip"), Port: port, ClusterName: r.FormValue("clusterName"),
		Healthy: r.FormValue("healthy") != "false", Enabled: r.FormValue("enabled") != "false",
		Ephemeral: r.FormValue("ephemeral") != "false"}
	in.Weight, _ = strconv.ParseFloat(r.FormValue("weight"), 64)
	if md := r.FormValue("metadata"); md != "" {
		if err := json.Unmarshal([]byte(md), &in.Metadata); err != nil {
			http.Error(w, "caused: metadata is not JSON", http.StatusBadRequest)
			return
		}
	}
	f.Register(ns, svc, in)
	_, _ = w.Write([]byte("ok"))
}

func (f *FakeNacos) deregister(w http.ResponseWriter, r *http.Request) {
	ns, svc := fakeNacosKey(r)
	port, _ := strconv.Atoi(r.FormValue("port"))
	cluster := r.FormValue("clusterName")
	if cluster == "" {
		cluster = "DEFAULT"
	}
	ephemeral := r.FormValue("ephemeral") != "false"
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.services[ns][svc]
	for i, in := range list {
		if in.IP == r.FormValue("ip") && in.Port == port && in.ClusterName == cluster && in.Ephemeral == ephemeral {
			f.services[ns][svc] = append(list[:i], list[i+1:]...)
			break
		}
	}
	// Nacos answers ok whether or not the instance was there.
	_, _ = w.Write([]byte("ok"))
}

func (f *FakeNacos) serviceList(w http.ResponseWriter, r *http.Request) {
	ns, _ := fakeNacosKey(r)
	group := r.FormValue("groupName")
	if group == "" {
		group = "DEFAULT_GROUP"
	}
	pageNo, _ := strconv.Atoi(r.FormValue("pageNo"))
	pageSize, _ := strconv.Atoi(r.FormValue("pageSize"))
	if pageNo < 1 || pageSize < 1 {
		http.Error(w, "caused: pageNo and pageSize are required", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	var names []string
	for k := range f.services[ns] {
		if g, n, _ := strings.Cut(k, "@@"); g == group {
			names = append(names, n)
		}
	}
	f.mu.Unlock()
	sort.Strings(names)
	count := len(names)
	start := min((pageNo-1)*pageSize, count)
	end := min(start+pageSize, count)
	writeFakeJSON(w, map[string]any{"count": count, "doms": names[start:end]})
}

func (f *FakeNacos) instanceList(v2 bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ns, svc := fakeNacosKey(r)
		f.mu.Lock()
		hosts := append([]FakeNacosInstance{}, f.services[ns][svc]...)
		f.mu.Unlock()
		if r.FormValue("healthyOnly") == "true" {
			kept := hosts[:0]
			for _, h := range hosts {
				if h.Healthy {
					kept = append(kept, h)
				}
			}
			hosts = kept
		}
		group, _, _ := strings.Cut(svc, "@@")
		info := map[string]any{"name": svc, "groupName": group, "clusters": "", "cacheMillis": 10000,
			"hosts": hosts, "lastRefTime": 1764277200000, "checksum": "", "allIPs": false,
			"reachProtectionThreshold": false, "valid": true}
		if v2 {
			writeFakeJSON(w, map[string]any{"code": 0, "message": "success", "data": info})
			return
		}
		writeFakeJSON(w, info)
	}
}

func writeFakeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
