package nacos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/msctl/msctl/internal/registry"
)

// A registration by hand is a persistent instance (ephemeral=false): an
// ephemeral one would turn unhealthy 15 s later and be deleted after 30 s
// without a client sending heartbeats.
func (r *Registry) registerForm(reg registry.Registration) (url.Values, error) {
	if len(reg.Checks) > 0 {
		return nil, fmt.Errorf("nacos takes no per-instance %s check: persistent instances are checked by the server as their cluster is configured", reg.Checks[0].Type)
	}
	group, name := r.splitName(reg.Service)
	md := map[string]string{}
	for k, v := range reg.Meta {
		md[k] = v
	}
	if len(reg.Tags) > 0 {
		md["tags"] = strings.Join(reg.Tags, ",")
	}
	mdj, _ := json.Marshal(md)
	f := url.Values{"serviceName": {name}, "groupName": {group}, "ip": {reg.Address}, "port": {strconv.Itoa(reg.Port)},
		"ephemeral": {"false"}, "enabled": {"true"}, "healthy": {"true"}, "weight": {"1"}, "metadata": {string(mdj)}}
	if r.namespace != "" {
		f.Set("namespaceId", r.namespace)
	}
	return f, nil
}

// RegisterCall implements registry.Registrar: POST /nacos/v1/ns/instance.
// Nacos makes the instance id itself (IP#PORT#CLUSTER#GROUP@@SERVICE).
func (r *Registry) RegisterCall(reg registry.Registration) (registry.APICall, error) {
	f, err := r.registerForm(reg)
	if err != nil {
		return registry.APICall{}, err
	}
	return registry.APICall{Method: http.MethodPost, URL: r.base + "/nacos/v1/ns/instance?" + f.Encode()}, nil
}

// Register implements registry.Registrar.
func (r *Registry) Register(ctx context.Context, reg registry.Registration) error {
	f, err := r.registerForm(reg)
	if err != nil {
		return err
	}
	return r.write(ctx, http.MethodPost, f)
}

// deregisterForm reads Nacos's instance id, IP#PORT#CLUSTER#GROUP@@SERVICE.
func (r *Registry) deregisterForm(service, id string) (url.Values, error) {
	parts := strings.Split(id, "#")
	if len(parts) < 2 {
		return nil, fmt.Errorf("nacos instance ids are IP#PORT#CLUSTER#GROUP@@SERVICE, as msctl registry instances shows them; got %q", id)
	}
	if _, err := strconv.Atoi(parts[1]); err != nil {
		return nil, fmt.Errorf("nacos instance id %q: port %q is not a number", id, parts[1])
	}
	group, name := r.splitName(service)
	f := url.Values{"serviceName": {name}, "groupName": {group}, "ip": {parts[0]}, "port": {parts[1]}}
	if len(parts) > 2 && parts[2] != "" {
		f.Set("clusterName", parts[2])
	}
	if r.namespace != "" {
		f.Set("namespaceId", r.namespace)
	}
	return f, nil
}

// DeregisterCall implements registry.Registrar: DELETE
// /nacos/v1/ns/instance (with ephemeral as the instance was registered).
func (r *Registry) DeregisterCall(service, id string) (registry.APICall, error) {
	f, err := r.deregisterForm(service, id)
	if err != nil {
		return registry.APICall{}, err
	}
	return registry.APICall{Method: http.MethodDelete, URL: r.base + "/nacos/v1/ns/instance?" + f.Encode()}, nil
}

// Deregister implements registry.Registrar. It looks the instance up
// first: Nacos needs to be told whether it is ephemeral, and answers ok
// for an instance it does not have.
func (r *Registry) Deregister(ctx context.Context, service, id string) error {
	f, err := r.deregisterForm(service, id)
	if err != nil {
		return err
	}
	ins, err := r.Instances(ctx, service)
	if err != nil {
		return err
	}
	found := false
	for _, in := range ins {
		if in.ID == id {
			found = true
			f.Set("ephemeral", in.Meta["ephemeral"])
		}
	}
	if !found {
		return fmt.Errorf("%w: no instance %s of %s in nacos", registry.ErrServiceNotFound, id, service)
	}
	return r.write(ctx, http.MethodDelete, f)
}

func (r *Registry) write(ctx context.Context, method string, f url.Values) error {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	if tok, err := r.login(ctx); err != nil {
		return err
	} else if tok != "" {
		f.Set("accessToken", tok)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+"/nacos/v1/ns/instance?"+f.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return r.transportError(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("nacos at %s refused %s (%s): %w", r.base, method, resp.Status, registry.ErrPermissionDenied)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("nacos at %s: %s /nacos/v1/ns/instance: %s: %s", r.base, method, resp.Status, snippet(body))
	}
	return nil
}

var _ registry.Registrar = (*Registry)(nil)
