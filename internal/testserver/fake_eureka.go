package testserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeEureka is an in-memory stand-in for a Eureka server's REST API
// (Netflix's documented /eureka/apps operations), because no Eureka server
// can run here. It answers JSON only when asked with Accept:
// application/json, as Eureka (whose default is XML) does, and writes a
// single instance as an object rather than a one-element array, as
// Eureka's legacy JSON codec does.
//
// Served: GET /eureka/apps, GET /eureka/apps/{APP}, POST /eureka/apps/{APP}
// (register), PUT /eureka/apps/{APP}/{ID} (renew),
// PUT /eureka/apps/{APP}/{ID}/status?value=S (override),
// DELETE /eureka/apps/{APP}/{ID} (cancel).
type FakeEureka struct {
	// Addr is host:port of the fake; URL is http://Addr.
	Addr, URL string

	srv  *httptest.Server
	mu   sync.Mutex
	apps map[string][]map[string]any
	now  func() time.Time
}

// NewFakeEureka starts the fake on a loopback port; Close stops it.
func NewFakeEureka() *FakeEureka {
	f := &FakeEureka{apps: map[string][]map[string]any{}, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /eureka/apps", f.json(f.all))
	mux.HandleFunc("GET /eureka/apps/{app}", f.json(f.one))
	mux.HandleFunc("POST /eureka/apps/{app}", f.register)
	mux.HandleFunc("PUT /eureka/apps/{app}/{id}", f.renew)
	mux.HandleFunc("PUT /eureka/apps/{app}/{id}/status", f.override)
	mux.HandleFunc("DELETE /eureka/apps/{app}/{id}", f.cancel)
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	f.Addr = strings.TrimPrefix(f.srv.URL, "http://")
	return f
}

// StartFakeEureka starts the fake for the test and closes it at the end.
func StartFakeEureka(t testing.TB) *FakeEureka {
	f := NewFakeEureka()
	t.Cleanup(f.Close)
	return f
}

// Close stops the fake.
func (f *FakeEureka) Close() { f.srv.Close() }

// FakeEurekaInstance is what Register needs; the rest of Eureka's
// InstanceInfo is filled in.
type FakeEurekaInstance struct {
	App, InstanceID, HostName, IPAddr string
	Port                              int
	Status, OverriddenStatus          string
	Metadata                          map[string]string
	// LastRenewal defaults to now; DurationInSecs to 90.
	LastRenewal    time.Time
	DurationInSecs int
	// HealthCheckURL defaults to http://HOST:PORT/actuator/health.
	HealthCheckURL string
}

// Register adds an instance as a Eureka client's registration would.
func (f *FakeEureka) Register(in FakeEurekaInstance) {
	app := strings.ToUpper(in.App)
	if in.Status == "" {
		in.Status = "UP"
	}
	if in.OverriddenStatus == "" {
		in.OverriddenStatus = "UNKNOWN"
	}
	if in.LastRenewal.IsZero() {
		in.LastRenewal = f.now()
	}
	if in.DurationInSecs == 0 {
		in.DurationInSecs = 90
	}
	if in.Metadata == nil {
		in.Metadata = map[string]string{}
	}
	if in.HealthCheckURL == "" {
		in.HealthCheckURL = "http://" + in.HostName + ":" + itoa(in.Port) + "/actuator/health"
	}
	ms := in.LastRenewal.UnixMilli()
	info := map[string]any{
		"instanceId": in.InstanceID, "hostName": in.HostName, "app": app, "ipAddr": in.IPAddr,
		"status": in.Status, "overriddenStatus": in.OverriddenStatus,
		"port":           map[string]any{"$": in.Port, "@enabled": "true"},
		"securePort":     map[string]any{"$": 443, "@enabled": "false"},
		"countryId":      1,
		"dataCenterInfo": map[string]any{"@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", "name": "MyOwn"},
		"leaseInfo": map[string]any{"renewalIntervalInSecs": 30, "durationInSecs": in.DurationInSecs,
			"registrationTimestamp": ms, "lastRenewalTimestamp": ms, "evictionTimestamp": 0, "serviceUpTimestamp": ms},
		"metadata":       in.Metadata,
		"healthCheckUrl": in.HealthCheckURL,
		"vipAddress":     strings.ToLower(app), "secureVipAddress": strings.ToLower(app),
		"isCoordinatingDiscoveryServer": "false",
		"lastUpdatedTimestamp":          itoa(int(ms)), "lastDirtyTimestamp": itoa(int(ms)), "actionType": "ADDED",
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[app] = append(f.apps[app], info)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func (f *FakeEureka) json(h func(w http.ResponseWriter, r *http.Request) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "application/json") {
			// Eureka would send XML; the fake only speaks JSON.
			http.Error(w, "the fake Eureka answers Accept: application/json only", http.StatusNotAcceptable)
			return
		}
		f.mu.Lock()
		v := h(w, r)
		f.mu.Unlock()
		if v != nil {
			writeFakeJSON(w, v)
		}
	}
}

// application renders one app with the single-instance quirk.
func (f *FakeEureka) application(name string) map[string]any {
	var inst any = f.apps[name]
	if len(f.apps[name]) == 1 {
		inst = f.apps[name][0]
	}
	return map[string]any{"name": name, "instance": inst}
}

func (f *FakeEureka) all(w http.ResponseWriter, r *http.Request) any {
	names := make([]string, 0, len(f.apps))
	for n := range f.apps {
		names = append(names, n)
	}
	sort.Strings(names)
	apps := []any{}
	for _, n := range names {
		apps = append(apps, f.application(n))
	}
	return map[string]any{"applications": map[string]any{"versions__delta": "1", "apps__hashcode": "", "application": apps}}
}

func (f *FakeEureka) one(w http.ResponseWriter, r *http.Request) any {
	name := strings.ToUpper(r.PathValue("app"))
	if _, ok := f.apps[name]; !ok {
		w.WriteHeader(http.StatusNotFound)
		return nil
	}
	return map[string]any{"application": f.application(name)}
}

func (f *FakeEureka) find(r *http.Request) map[string]any {
	for _, in := range f.apps[strings.ToUpper(r.PathValue("app"))] {
		if in["instanceId"] == r.PathValue("id") {
			return in
		}
	}
	return nil
}

func (f *FakeEureka) register(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Instance struct {
			InstanceID, HostName, IPAddr, Status string
			Port                                 struct {
				Port int `json:"$"`
			}
			Metadata       map[string]string
			HealthCheckURL string
			LeaseInfo      struct {
				DurationInSecs int
			}
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	i := body.Instance
	if i.InstanceID == "" || i.HostName == "" || i.Port.Port == 0 {
		http.Error(w, "instanceId, hostName and port are required", http.StatusBadRequest)
		return
	}
	f.Register(FakeEurekaInstance{App: r.PathValue("app"), InstanceID: i.InstanceID, HostName: i.HostName,
		IPAddr: i.IPAddr, Port: i.Port.Port, Status: i.Status, Metadata: i.Metadata, DurationInSecs: i.LeaseInfo.DurationInSecs,
		HealthCheckURL: i.HealthCheckURL})
	w.WriteHeader(http.StatusNoContent)
}

func (f *FakeEureka) renew(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.find(r)
	if in == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	in["leaseInfo"].(map[string]any)["lastRenewalTimestamp"] = f.now().UnixMilli()
	w.WriteHeader(http.StatusOK)
}

func (f *FakeEureka) cancel(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	app := strings.ToUpper(r.PathValue("app"))
	for i, in := range f.apps[app] {
		if in["instanceId"] == r.PathValue("id") {
			f.apps[app] = append(f.apps[app][:i], f.apps[app][i+1:]...)
			if len(f.apps[app]) == 0 {
				delete(f.apps, app)
			}
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
}

func (f *FakeEureka) override(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.find(r)
	if in == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	v := r.URL.Query().Get("value")
	in["overriddenStatus"], in["status"] = v, v
	w.WriteHeader(http.StatusOK)
}
