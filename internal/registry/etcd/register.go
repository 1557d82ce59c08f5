package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/msctl/msctl/internal/registry"
)

// The layout a registration is written in: the naming/endpoints
// convention when msctl reads the whole keyspace (where gRPC resolvers
// look), plain JSON under an explicit prefix; ?layout=endpoints|json
// overrides.
func (r *Registry) layout() string {
	if r.layoutOverride != "" {
		return r.layoutOverride
	}
	if r.prefix == "" {
		return "endpoints"
	}
	return "json"
}

func (r *Registry) key(service, id string) string { return r.prefix + service + "/" + id }

// value builds the stored value and the lease TTL, if any.
func (r *Registry) value(reg registry.Registration) (any, time.Duration, error) {
	var ttl time.Duration
	for _, c := range reg.Checks {
		if c.Type != "ttl" {
			return nil, 0, fmt.Errorf("etcd stores no %s health checks; only --check-ttl, which attaches a lease of that TTL (the key goes when it runs out, unless something keeps the lease alive)", c.Type)
		}
		d, err := time.ParseDuration(c.TTL)
		if err != nil || d < time.Second {
			return nil, 0, fmt.Errorf("--check-ttl %q: etcd leases need a TTL of at least 1s", c.TTL)
		}
		ttl = d
	}
	if r.layout() == "endpoints" {
		md := map[string]any{}
		for k, v := range reg.Meta {
			md[k] = v
		}
		if len(reg.Tags) > 0 {
			md["tags"] = reg.Tags
		}
		var mdv any
		if len(md) > 0 {
			mdv = md
		}
		return map[string]any{"Op": 0, "Addr": net.JoinHostPort(reg.Address, strconv.Itoa(reg.Port)), "Metadata": mdv}, ttl, nil
	}
	v := map[string]any{"address": reg.Address, "port": reg.Port}
	if len(reg.Tags) > 0 {
		v["tags"] = reg.Tags
	}
	if len(reg.Meta) > 0 {
		v["meta"] = reg.Meta
	}
	return v, ttl, nil
}

func (r *Registry) callURL(key string) string {
	return strings.Join(r.endpoints, ",") + " key " + key
}

// RegisterCall implements registry.Registrar: a put of the instance's key
// (through a lease grant first with --check-ttl).
func (r *Registry) RegisterCall(reg registry.Registration) (registry.APICall, error) {
	if strings.Contains(reg.ID, "/") {
		return registry.APICall{}, fmt.Errorf("an etcd instance id cannot contain /: it is the last segment of the key")
	}
	v, ttl, err := r.value(reg)
	if err != nil {
		return registry.APICall{}, err
	}
	method := "etcdserverpb.KV/Put"
	if ttl > 0 {
		method = fmt.Sprintf("etcdserverpb.Lease/LeaseGrant (TTL %s), then %s with the lease", ttl, method)
	}
	return registry.APICall{Method: method, URL: r.callURL(r.key(reg.Service, reg.ID)), Body: v}, nil
}

// Register implements registry.Registrar.
func (r *Registry) Register(ctx context.Context, reg registry.Registration) error {
	v, ttl, err := r.value(reg)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	cl, err := r.connect()
	if err != nil {
		return err
	}
	var opts []clientv3.OpOption
	if ttl > 0 {
		l, err := cl.Grant(ctx, int64(ttl/time.Second))
		if err != nil {
			return r.wrap(err)
		}
		opts = append(opts, clientv3.WithLease(l.ID))
	}
	if _, err := cl.Put(ctx, r.key(reg.Service, reg.ID), string(b), opts...); err != nil {
		return r.wrap(err)
	}
	return nil
}

// DeregisterCall implements registry.Registrar: a delete of the key.
func (r *Registry) DeregisterCall(service, id string) (registry.APICall, error) {
	return registry.APICall{Method: "etcdserverpb.KV/DeleteRange", URL: r.callURL(r.key(service, id))}, nil
}

// Deregister implements registry.Registrar; a key that is not there is
// service not found.
func (r *Registry) Deregister(ctx context.Context, service, id string) error {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	cl, err := r.connect()
	if err != nil {
		return err
	}
	resp, err := cl.Delete(ctx, r.key(service, id))
	if err != nil {
		return r.wrap(err)
	}
	if resp.Deleted == 0 {
		return fmt.Errorf("%w: no key %s in etcd", registry.ErrServiceNotFound, r.key(service, id))
	}
	return nil
}

var _ registry.Registrar = (*Registry)(nil)
