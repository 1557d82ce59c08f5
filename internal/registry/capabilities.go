package registry

import (
	"context"
	"errors"
)

// The interfaces below are optional capabilities. An adapter implements the
// ones its registry can answer; the doctor, watch, register and completion
// code discover them with a type assertion, so a registry without gossip
// (etcd) or without a DNS interface (ZooKeeper) simply contributes fewer
// sources instead of stubbing methods out.

// Member is a node as a gossip layer (Serf, Consul's LAN pool) sees it.
type Member struct {
	Name    string            `json:"name"`
	Address string            `json:"address"`
	Status  string            `json:"status"` // alive, leaving, left, failed, none
	Tags    map[string]string `json:"tags,omitempty"`
}

// GossipSource is a registry that can list its cluster's gossip members.
type GossipSource interface {
	Members(ctx context.Context) ([]Member, error)
}

// SRVTarget is one answer of a DNS SRV lookup, with the address its target
// resolved to (from the additional section or a follow-up A query).
type SRVTarget struct {
	Target  string `json:"target"`
	Address string `json:"address,omitempty"`
	Port    int    `json:"port"`
}

// DNSSource is a registry with a DNS interface that should answer for the
// services in its catalog.
type DNSSource interface {
	// LookupSRV returns the SRV answers for the service's healthy instances.
	LookupSRV(ctx context.Context, service string) ([]SRVTarget, error)
	// DNSName is the name LookupSRV queries, for messages.
	DNSName(service string) string
}

// Consistency names a read mode of a replicated registry.
type Consistency string

// The read modes the doctor compares.
const (
	// Stale may be answered by any server from its local copy.
	Stale Consistency = "stale"
	// Consistent is answered by the leader after confirming leadership.
	Consistent Consistency = "consistent"
)

// ConsistencySource is a replicated registry whose reads can be made in a
// chosen consistency mode, so that a stale follower can be told apart from
// the leader's view.
type ConsistencySource interface {
	InstancesWith(ctx context.Context, service string, mode Consistency) ([]Instance, error)
}

// LeaderSource is a registry with an elected leader.
type LeaderSource interface {
	// Leader returns the leader's address, or "" when there is none.
	Leader(ctx context.Context) (string, error)
}

// Watcher is a registry that can block until a service's instances change
// (Consul blocking queries, etcd watches, ZooKeeper watches). Index 0 returns
// at once; the returned index is passed back to wait for the next change.
// Registries without it are polled.
type Watcher interface {
	WatchInstances(ctx context.Context, service string, index uint64) ([]Instance, uint64, error)
}

// AgentSource is a registry whose local agent runs the health checks and
// syncs their results to the catalog (Consul's anti-entropy). Comparing the
// agent's view with the catalog's finds a sync that lags or fails.
type AgentSource interface {
	// AgentChecks returns the agent's node name and its checks by
	// instance ID (node-level checks under "") and check ID.
	AgentChecks(ctx context.Context) (node string, checks map[string]map[string]Check, err error)
}

// AllInstancesSource is a registry that can read every instance of every
// service in bulk, so that a diagnosis of everything needs no request per
// service.
type AllInstancesSource interface {
	AllInstances(ctx context.Context) ([]Instance, error)
}

// AllServicesSource is a bulk reader for a registry that keeps a service
// after its last instance has gone (a ZooKeeper service znode whose
// ephemeral children went with their session, a Kubernetes Service whose
// EndpointSlices have no endpoints). AllInstances cannot say that such a
// service exists, and a diagnosis of everything would skip exactly the
// services that are down; this says it in the same read.
type AllServicesSource interface {
	// AllServices returns every instance, and the names of the services
	// that have none.
	AllServices(ctx context.Context) (instances []Instance, empty []string, err error)
}

// ACLSource is a registry whose access control can hide what it holds
// without refusing the request: Consul under default_policy "deny" answers
// the anonymous token (a request without a token) with an empty catalog,
// which reads as "nothing is registered".
type ACLSource interface {
	// HiddenByACL is asked after an empty listing. It returns why the
	// answer may be empty only because of the credentials, or "" when the
	// registry does not hide anything from them.
	HiddenByACL(ctx context.Context) (string, error)
}

// APICall describes the request a write will make, so that commands can name
// it before (or instead of, with --dry-run) making it.
type APICall struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Body   any    `json:"body,omitempty"`
}

// CheckSpec declares a health check to register with an instance.
type CheckSpec struct {
	Type     string `json:"type"` // http, tcp, grpc, ttl
	Target   string `json:"target,omitempty"`
	Interval string `json:"interval,omitempty"`
	Timeout  string `json:"timeout,omitempty"`
	TTL      string `json:"ttl,omitempty"`
	// DeregisterAfter removes the instance after it has been critical this
	// long (Consul's deregister_critical_service_after).
	DeregisterAfter string `json:"deregister_after,omitempty"`
}

// Registration is an instance to register by hand.
type Registration struct {
	Service string            `json:"service"`
	ID      string            `json:"id"`
	Address string            `json:"address,omitempty"`
	Port    int               `json:"port,omitempty"`
	Tags    []string          `json:"tags,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
	Checks  []CheckSpec       `json:"checks,omitempty"`
}

// Registrar is a registry msctl can write to for manual repair.
type Registrar interface {
	// RegisterCall and DeregisterCall describe the request without making it.
	RegisterCall(r Registration) (APICall, error)
	DeregisterCall(service, id string) (APICall, error)
	Register(ctx context.Context, r Registration) error
	Deregister(ctx context.Context, service, id string) error
}

// ErrPermissionDenied is returned (wrapped) when the registry refuses the
// credentials (an ACL token without the rights, or an unknown one).
var ErrPermissionDenied = errors.New("permission denied")

// ErrInvalidQuery is returned (wrapped) when the registry rejects a filter
// expression or another part of the query as malformed.
var ErrInvalidQuery = errors.New("invalid query")

// ErrTLSVerification is returned (wrapped) when the TLS handshake fails on
// certificates: the registry's cannot be verified (missing or wrong CA, a
// name mismatch) or the registry refuses msctl's (missing client
// certificate).
var ErrTLSVerification = errors.New("TLS handshake refused")
