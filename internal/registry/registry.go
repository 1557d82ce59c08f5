// Package registry is msctl's one view of service discovery. Each registry
// (Consul, etcd, ZooKeeper, Nacos, Eureka, Kubernetes, DNS SRV, Serf, AWS
// Cloud Map) is an adapter that answers the same questions in the same
// types, so that commands, probes and the doctor never care which registry
// they talk to.
package registry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Health is an instance's or check's state, normalised across registries.
type Health string

// The normalised states. Registries that know fewer states map onto these.
const (
	Passing  Health = "passing"
	Warning  Health = "warning"
	Critical Health = "critical"
	Unknown  Health = "unknown"
)

// Check is one health check on an instance.
type Check struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"` // http, tcp, grpc, ttl, script, serf, ...
	Status Health `json:"status"`
	Output string `json:"output,omitempty"`
	// TTL and the time the check last changed, where the registry has them.
	TTL         time.Duration `json:"ttl,omitempty"`
	LastChanged *time.Time    `json:"last_changed,omitempty"`
	// Definition is what the check probes (URL, address, gRPC service),
	// where declared.
	Definition string `json:"definition,omitempty"`
	// Interval is how often the registry runs the check, where declared:
	// a state can be that old.
	Interval time.Duration `json:"interval,omitempty"`
}

// Instance is one registered instance of a service.
type Instance struct {
	ID      string            `json:"id"`
	Service string            `json:"service"`
	Node    string            `json:"node,omitempty"`
	Address string            `json:"address"`
	Port    int               `json:"port"`
	Tags    []string          `json:"tags,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
	// Version is the instance's declared version (a meta key or tag), if any.
	Version string  `json:"version,omitempty"`
	Health  Health  `json:"health"`
	Checks  []Check `json:"checks,omitempty"`
	// NodeState is the gossip state of the instance's node (alive, failed,
	// left), where the registry has gossip.
	NodeState string `json:"node_state,omitempty"`
	// LeaseTTL and LeaseRemaining describe a lease or heartbeat deadline
	// (etcd lease, ZooKeeper session, Eureka/Nacos heartbeat, Consul TTL).
	LeaseTTL       time.Duration `json:"lease_ttl,omitempty"`
	LeaseRemaining time.Duration `json:"lease_remaining,omitempty"`
	LastHeartbeat  *time.Time    `json:"last_heartbeat,omitempty"`
	// Source names the registry the instance was read from.
	Source string `json:"source,omitempty"`
}

// Service summarises one service: how many instances in each state, the
// tags and versions seen across them.
type Service struct {
	Name      string         `json:"name"`
	Instances int            `json:"instances"`
	ByHealth  map[Health]int `json:"by_health"`
	Tags      []string       `json:"tags,omitempty"`
	Versions  []string       `json:"versions,omitempty"`
}

// Query narrows a listing.
type Query struct {
	Tag    string
	Filter string // registry-specific filter expression, passed through when supported
}

// Registry is implemented by every adapter.
type Registry interface {
	// Kind is the adapter's name: consul, etcd, zookeeper, ...
	Kind() string
	// Services lists every service with its health counts.
	Services(ctx context.Context, q Query) ([]Service, error)
	// Instances lists the instances of one service with their checks.
	// A service that does not exist is ErrServiceNotFound.
	Instances(ctx context.Context, service string) ([]Instance, error)
}

// ErrServiceNotFound is returned (wrapped) for a service the registry does
// not know.
var ErrServiceNotFound = errors.New("service not found")

// UnreachableError wraps a failure to talk to the registry at all, which
// commands map to exit code 3.
type UnreachableError struct {
	Kind, Address string
	Err           error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s registry at %s: %v", e.Kind, e.Address, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }
