package zookeeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/msctl/msctl/internal/registry"
)

// A registration by hand is a persistent znode with Curator's JSON and
// serviceType STATIC (Curator's kind for permanent instances): an
// ephemeral one would go when msctl's session ends.
func (r *Registry) znode(service, id string) string { return path.Join(r.base, service, id) }

func (r *Registry) curatorJSON(reg registry.Registration, now time.Time) (map[string]any, error) {
	if len(reg.Checks) > 0 {
		return nil, fmt.Errorf("ZooKeeper has no %s health checks: a Curator instance lives as long as its znode", reg.Checks[0].Type)
	}
	md := map[string]string{"instance_status": "UP"}
	for k, v := range reg.Meta {
		md[k] = v
	}
	if len(reg.Tags) > 0 {
		md["tags"] = strings.Join(reg.Tags, ",")
	}
	return map[string]any{
		"name": reg.Service, "id": reg.ID, "address": reg.Address, "port": reg.Port, "sslPort": nil,
		"payload": map[string]any{
			"@class": "org.springframework.cloud.zookeeper.discovery.ZookeeperInstance",
			"id":     reg.ID, "name": reg.Service, "metadata": md,
		},
		"registrationTimeUTC": now.UnixMilli(), "serviceType": "STATIC",
	}, nil
}

// RegisterCall implements registry.Registrar.
func (r *Registry) RegisterCall(reg registry.Registration) (registry.APICall, error) {
	if strings.Contains(reg.ID, "/") || strings.Contains(reg.Service, "/") {
		return registry.APICall{}, fmt.Errorf("a ZooKeeper service name or instance id cannot contain /")
	}
	body, err := r.curatorJSON(reg, r.now())
	if err != nil {
		return registry.APICall{}, err
	}
	return registry.APICall{Method: "create (persistent znode, parents as needed)",
		URL: strings.Join(r.servers, ",") + " " + r.znode(reg.Service, reg.ID), Body: body}, nil
}

// Register implements registry.Registrar.
func (r *Registry) Register(ctx context.Context, reg registry.Registration) error {
	body, err := r.curatorJSON(reg, r.now())
	if err != nil {
		return err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	conn, err := r.connect(ctx)
	if err != nil {
		return err
	}
	acl := zk.WorldACL(zk.PermAll)
	for _, p := range []string{r.base, path.Join(r.base, reg.Service)} {
		if _, err := conn.Create(p, nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return r.writeErr(p, err)
		}
	}
	p := r.znode(reg.Service, reg.ID)
	if _, err := conn.Create(p, b, 0, acl); err != nil {
		if errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("zookeeper: %s exists already: deregister it first", p)
		}
		return r.writeErr(p, err)
	}
	return nil
}

func (r *Registry) writeErr(p string, err error) error {
	if errors.Is(err, zk.ErrNoAuth) {
		return fmt.Errorf("zookeeper: writing %s: %w: %v", p, registry.ErrPermissionDenied, err)
	}
	return r.unreachable(fmt.Errorf("writing %s: %w", p, err))
}

// DeregisterCall implements registry.Registrar.
func (r *Registry) DeregisterCall(service, id string) (registry.APICall, error) {
	return registry.APICall{Method: "delete (any version)", URL: strings.Join(r.servers, ",") + " " + r.znode(service, id)}, nil
}

// Deregister implements registry.Registrar: deleting an ephemeral znode
// ends an instance whose owner hangs on to a session it no longer serves.
func (r *Registry) Deregister(ctx context.Context, service, id string) error {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	conn, err := r.connect(ctx)
	if err != nil {
		return err
	}
	p := r.znode(service, id)
	if err := conn.Delete(p, -1); err != nil {
		if errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("%w: no znode %s", registry.ErrServiceNotFound, p)
		}
		return r.writeErr(p, err)
	}
	return nil
}

var _ registry.Registrar = (*Registry)(nil)
