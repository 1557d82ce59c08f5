// Package eureka reads Netflix Eureka through its REST API: GET
// <base>/apps and <base>/apps/<APP> with Accept: application/json.
//
// Eureka's status is the health (UP passing, STARTING a warning, DOWN and
// OUT_OF_SERVICE critical, UNKNOWN unknown); an overriddenStatus other than
// UNKNOWN is shown, since it is what an operator set by hand. The lease
// (durationInSecs, renewed every renewalIntervalInSecs) is the TTL, the last
// renewal the last heartbeat, and a lease past its duration is critical:
// an instance Eureka keeps in self-preservation mode would be evicted.
package eureka

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

// DefaultAddress is Eureka's usual port on this host with Spring Cloud's
// base path.
const DefaultAddress = "127.0.0.1:8761"

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "eureka", Title: "Eureka",
		URL:            "HOST:PORT[/BASE]",
		DefaultAddress: DefaultAddress,
		Default:        DefaultAddress + ", base `/eureka`",
		Open:           Open,
	})
}

// Registry is the Eureka adapter.
type Registry struct {
	base       string // scheme://host:port/path
	user, pass string
	http       *http.Client
	now        func() time.Time
}

// Open reads the settings: the address is HOST:PORT[/BASE] (base /eureka
// unless given), the token "user:password" for HTTP basic auth.
func Open(c config.Context) (registry.Registry, error) {
	a, err := registry.ParseEndpoint(c, DefaultAddress)
	if err != nil {
		return nil, err
	}
	scheme := a.URLScheme()
	p := strings.TrimSuffix(a.Path, "/")
	if p == "" {
		p = "/eureka"
	}
	r := &Registry{
		base: scheme + "://" + a.Hosts[0] + p,
		http: &http.Client{Transport: &http.Transport{TLSClientConfig: a.TLS, Proxy: http.ProxyFromEnvironment}},
		now:  time.Now,
	}
	tok, err := registry.Token(c)
	if err != nil {
		return nil, err
	}
	if tok != "" {
		u, pw, ok := strings.Cut(tok, ":")
		if !ok {
			return nil, fmt.Errorf("eureka token must be user:password (HTTP basic auth)")
		}
		r.user, r.pass = u, pw
	}
	return r, nil
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "eureka" }

// errNotFound marks a 404.
type errNotFound struct{}

func (errNotFound) Error() string { return "not found" }

func (r *Registry) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if r.user != "" {
		req.SetBasicAuth(r.user, r.pass)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		if registry.IsTLSVerification(err) {
			return registry.TLSError("eureka", r.base, err)
		}
		return &registry.UnreachableError{Kind: "eureka", Address: r.base, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &registry.UnreachableError{Kind: "eureka", Address: r.base, Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return errNotFound{}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("eureka at %s refused %s (%s): %w", r.base, path, resp.Status, registry.ErrPermissionDenied)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("eureka at %s: GET %s: %s", r.base, path, resp.Status)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("eureka at %s: GET %s: not Eureka's JSON (%v)", r.base, path, err)
	}
	return nil
}

// Services implements registry.Registry from one GET /apps.
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	if q.Filter != "" {
		return nil, fmt.Errorf("%w: the eureka registry does not support --filter", registry.ErrInvalidQuery)
	}
	all, err := r.AllInstances(ctx)
	if err != nil {
		return nil, err
	}
	return registry.SummarizeAll(all, q), nil
}

// AllInstances implements registry.AllInstancesSource with one GET /apps.
func (r *Registry) AllInstances(ctx context.Context) ([]registry.Instance, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	var resp struct {
		Applications struct {
			Application oneOrMany[application] `json:"application"`
		} `json:"applications"`
	}
	if err := r.get(ctx, "/apps", &resp); err != nil {
		if _, ok := err.(errNotFound); ok {
			return nil, &registry.UnreachableError{Kind: "eureka", Address: r.base,
				Err: fmt.Errorf("GET %s/apps: 404: no Eureka API here (wrong address or base path?)", r.base)}
		}
		return nil, err
	}
	var all []registry.Instance
	for _, app := range resp.Applications.Application {
		for _, in := range app.Instance {
			all = append(all, r.toInstance(app.Name, in))
		}
	}
	return all, nil
}

// Instances implements registry.Registry. Eureka keeps application names
// upper-case and matches them without regard to case.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	var resp struct {
		Application application `json:"application"`
	}
	err := r.get(ctx, "/apps/"+strings.ToUpper(service), &resp)
	if _, ok := err.(errNotFound); ok {
		return nil, fmt.Errorf("%w: no application %s in eureka", registry.ErrServiceNotFound, strings.ToUpper(service))
	}
	if err != nil {
		return nil, err
	}
	out := make([]registry.Instance, 0, len(resp.Application.Instance))
	for _, in := range resp.Application.Instance {
		out = append(out, r.toInstance(resp.Application.Name, in))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

type application struct {
	Name     string               `json:"name"`
	Instance oneOrMany[instanceJ] `json:"instance"`
}

// instanceJ is Eureka's InstanceInfo in JSON.
type instanceJ struct {
	InstanceID       string            `json:"instanceId"`
	HostName         string            `json:"hostName"`
	App              string            `json:"app"`
	IPAddr           string            `json:"ipAddr"`
	Status           string            `json:"status"`
	OverriddenStatus string            `json:"overriddenStatus"`
	Port             portJ             `json:"port"`
	SecurePort       portJ             `json:"securePort"`
	Metadata         map[string]string `json:"metadata"`
	HealthCheckURL   string            `json:"healthCheckUrl"`
	VIPAddress       string            `json:"vipAddress"`
	LeaseInfo        struct {
		RenewalIntervalInSecs int64 `json:"renewalIntervalInSecs"`
		DurationInSecs        int64 `json:"durationInSecs"`
		RegistrationTimestamp int64 `json:"registrationTimestamp"`
		LastRenewalTimestamp  int64 `json:"lastRenewalTimestamp"`
		EvictionTimestamp     int64 `json:"evictionTimestamp"`
	} `json:"leaseInfo"`
}

// portJ is {"$": 8080, "@enabled": "true"}; some servers send the number
// as a string.
type portJ struct {
	Port    json.Number `json:"$"`
	Enabled string      `json:"@enabled"`
}

// oneOrMany decodes a JSON array, or the single object Eureka's JSON
// writes when there is only one element.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var s []T
		err := json.Unmarshal(b, &s)
		*o = s
		return err
	}
	if string(b) == "null" {
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}

func (r *Registry) toInstance(app string, e instanceJ) registry.Instance {
	in := registry.Instance{
		ID:      e.InstanceID,
		Service: app,
		Node:    e.HostName,
		Address: e.IPAddr,
		Source:  "eureka",
		Meta:    map[string]string{},
	}
	if in.ID == "" {
		in.ID = e.HostName + ":" + strings.ToLower(app) + ":" + e.Port.Port.String()
	}
	if in.Address == "" {
		in.Address = e.HostName
	}
	port, _ := strconv.Atoi(e.Port.Port.String())
	secure, _ := strconv.Atoi(e.SecurePort.Port.String())
	in.Port = port
	if e.Port.Enabled == "false" && e.SecurePort.Enabled == "true" {
		in.Port = secure
	}
	if e.SecurePort.Enabled == "true" {
		in.Meta["secure_port"] = strconv.Itoa(secure)
	}
	for k, v := range e.Metadata {
		in.Meta[k] = v
	}
	// Eureka has no tags; msctl registry register keeps them here.
	if t := in.Meta["tags"]; t != "" {
		in.Tags = strings.Split(t, ",")
		delete(in.Meta, "tags")
	}
	if e.VIPAddress != "" {
		in.Meta["vip_address"] = e.VIPAddress
	}
	in.Version = registry.VersionOf(nil, e.Metadata)

	st := registry.Check{ID: "status", Name: "Eureka status", Type: "eureka", Status: statusHealth(e.Status), Output: "status " + e.Status,
		Definition: e.HealthCheckURL}
	if e.OverriddenStatus != "" && e.OverriddenStatus != "UNKNOWN" {
		in.Meta["overridden_status"] = e.OverriddenStatus
		st.Output += " (overridden to " + e.OverriddenStatus + " by an operator)"
	}
	in.Checks = []registry.Check{st}

	li := e.LeaseInfo
	if li.DurationInSecs > 0 {
		in.LeaseTTL = time.Duration(li.DurationInSecs) * time.Second
		lease := registry.Check{ID: "lease", Name: "Eureka lease", Type: "ttl", TTL: in.LeaseTTL, Status: registry.Passing}
		if li.LastRenewalTimestamp > 0 {
			last := time.UnixMilli(li.LastRenewalTimestamp).UTC()
			in.LastHeartbeat = &last
			left := in.LeaseTTL - r.now().Sub(last)
			in.LeaseRemaining = max(left, 0).Truncate(time.Second)
			lease.Output = fmt.Sprintf("renewed every %ds, lease %ds, last renewal %s", li.RenewalIntervalInSecs, li.DurationInSecs, last.Format(time.RFC3339))
			if left <= 0 {
				lease.Status = registry.Critical
				lease.Output += fmt.Sprintf(": overdue by %s", (-left).Truncate(time.Second))
			}
		}
		in.Checks = append(in.Checks, lease)
	}
	in.Health = registry.WorstHealth(in.Checks)
	if st.Status == registry.Unknown && in.Health == registry.Passing {
		in.Health = registry.Unknown
	}
	return in
}

func statusHealth(s string) registry.Health {
	switch s {
	case "UP":
		return registry.Passing
	case "STARTING":
		return registry.Warning
	case "DOWN", "OUT_OF_SERVICE":
		return registry.Critical
	}
	return registry.Unknown
}
