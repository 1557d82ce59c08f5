package eureka

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/registry"
)

// instanceInfo is the body of Eureka's register call for a hand-made
// registration: UP, on the given port, with a lease of 90 s (or
// --check-ttl) that nothing renews, so Eureka evicts it when the lease runs
// out unless a client takes over its heartbeats.
func (r *Registry) instanceInfo(reg registry.Registration) (map[string]any, error) {
	lease := 90
	var healthURL string
	for _, c := range reg.Checks {
		switch c.Type {
		case "ttl":
			d, err := time.ParseDuration(c.TTL)
			if err != nil || d < time.Second {
				return nil, fmt.Errorf("--check-ttl %q: use at least 1s", c.TTL)
			}
			lease = int(d / time.Second)
		case "http":
			healthURL = c.Target
		default:
			return nil, fmt.Errorf("eureka has no %s checks: its health is what the client reports; --check-http sets healthCheckUrl, --check-ttl the lease duration", c.Type)
		}
	}
	app := strings.ToUpper(reg.Service)
	md := map[string]string{}
	for k, v := range reg.Meta {
		md[k] = v
	}
	if len(reg.Tags) > 0 {
		md["tags"] = strings.Join(reg.Tags, ",")
	}
	info := map[string]any{
		"instanceId": reg.ID, "hostName": reg.Address, "app": app, "ipAddr": reg.Address, "status": "UP",
		"port":           map[string]any{"$": reg.Port, "@enabled": "true"},
		"securePort":     map[string]any{"$": 443, "@enabled": "false"},
		"dataCenterInfo": map[string]any{"@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", "name": "MyOwn"},
		"leaseInfo":      map[string]any{"renewalIntervalInSecs": 30, "durationInSecs": lease},
		"vipAddress":     strings.ToLower(reg.Service), "secureVipAddress": strings.ToLower(reg.Service),
		"metadata": md,
	}
	if healthURL != "" {
		info["healthCheckUrl"] = healthURL
	}
	return map[string]any{"instance": info}, nil
}

// RegisterCall implements registry.Registrar: POST <base>/apps/<APP>.
func (r *Registry) RegisterCall(reg registry.Registration) (registry.APICall, error) {
	body, err := r.instanceInfo(reg)
	if err != nil {
		return registry.APICall{}, err
	}
	return registry.APICall{Method: http.MethodPost, URL: r.base + "/apps/" + url.PathEscape(strings.ToUpper(reg.Service)), Body: body}, nil
}

// Register implements registry.Registrar.
func (r *Registry) Register(ctx context.Context, reg registry.Registration) error {
	call, err := r.RegisterCall(reg)
	if err != nil {
		return err
	}
	b, err := json.Marshal(call.Body)
	if err != nil {
		return err
	}
	return r.write(ctx, call.Method, call.URL, b, reg.Service, reg.ID)
}

// DeregisterCall implements registry.Registrar: DELETE
// <base>/apps/<APP>/<ID>, which also clears an instance Eureka keeps past
// its lease in self-preservation mode.
func (r *Registry) DeregisterCall(service, id string) (registry.APICall, error) {
	return registry.APICall{Method: http.MethodDelete,
		URL: r.base + "/apps/" + url.PathEscape(strings.ToUpper(service)) + "/" + url.PathEscape(id)}, nil
}

// Deregister implements registry.Registrar.
func (r *Registry) Deregister(ctx context.Context, service, id string) error {
	call, _ := r.DeregisterCall(service, id)
	return r.write(ctx, call.Method, call.URL, nil, service, id)
}

func (r *Registry) write(ctx context.Context, method, u string, body []byte, service, id string) error {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
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
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusNotFound && method == http.MethodDelete:
		return fmt.Errorf("%w: no instance %s of %s in eureka", registry.ErrServiceNotFound, id, strings.ToUpper(service))
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("eureka at %s refused %s (%s): %w", r.base, method, resp.Status, registry.ErrPermissionDenied)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("eureka at %s: %s %s: %s: %s", r.base, method, u, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

var _ registry.Registrar = (*Registry)(nil)
