// Package zookeeper reads Apache Curator service discovery from ZooKeeper:
// the layout Curator's ServiceDiscovery and Spring Cloud Zookeeper write,
// /<base>/<service>/<instance id>, each znode holding Curator's JSON
// ServiceInstance (name, id, address, port, sslPort, payload,
// registrationTimeUTC, serviceType, enabled).
//
// A DYNAMIC instance is an ephemeral znode: it lives as long as the
// registering client's session. The session id (the znode's ephemeral
// owner) is reported, and where the servers allow the `cons` four-letter
// word, the session's timeout and last response become LeaseTTL and
// LastHeartbeat; an owner that no server lists as connected is a warning
// (the znode goes when the session expires).
package zookeeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

// DefaultAddress is ZooKeeper's usual client port on this host;
// DefaultBase is Curator's and Spring Cloud Zookeeper's base path.
const (
	DefaultAddress = "127.0.0.1:2181"
	DefaultBase    = "/services"
)

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "zookeeper", Title: "ZooKeeper", Scheme: "zk", Aliases: []string{"zk"},
		URL:            "HOST:PORT[,HOST:PORT...][/BASE]",
		DefaultAddress: DefaultAddress,
		Default:        DefaultAddress + ", base `" + DefaultBase + "`",
		Open:           Open,
	})
}

// Registry is the ZooKeeper adapter; it connects on first use.
type Registry struct {
	servers []string
	base    string
	auth    string
	mu      sync.Mutex // guards conn: the doctor reads concurrently
	conn    *zk.Conn
	now     func() time.Time
}

// Open reads the settings without dialing: the address is
// HOST:PORT[,HOST:PORT...][/BASE] (base path /services by default); a
// token is added as digest credentials (user:password).
func Open(c config.Context) (registry.Registry, error) {
	a, err := registry.ParseAddress(c.Address, DefaultAddress)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(a.Path, "/")
	if base == "" {
		base = DefaultBase
	}
	tok, err := registry.Token(c)
	if err != nil {
		return nil, err
	}
	return &Registry{servers: a.Hosts, base: base, auth: tok, now: time.Now}, nil
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "zookeeper" }

// Close ends the session, if one was opened.
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		r.conn.Close()
	}
	return nil
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

func (r *Registry) unreachable(err error) error {
	return &registry.UnreachableError{Kind: "zookeeper", Address: strings.Join(r.servers, ","), Err: err}
}

// connect opens a session and waits for it within ctx: go-zookeeper
// otherwise retries forever in the background.
func (r *Registry) connect(ctx context.Context) (*zk.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		return r.conn, nil
	}
	refused := &refusals{}
	if literalIPs(r.servers) {
		refused.servers = len(r.servers)
	}
	conn, events, err := zk.Connect(r.servers, 10*time.Second, zk.WithLogger(nopLogger{}), zk.WithLogInfo(false),
		zk.WithDialer(refused.dial))
	if err != nil {
		return nil, r.unreachable(err)
	}
	for {
		select {
		case err := <-refused.all():
			go conn.Close()
			return nil, r.unreachable(err)
		case <-ctx.Done():
			go conn.Close() // closing waits for the connection loop; msctl need not
			return nil, r.unreachable(errors.New("no session before the timeout (is it a ZooKeeper client port?)"))
		case ev := <-events:
			if ev.State == zk.StateAuthFailed {
				conn.Close()
				return nil, fmt.Errorf("zookeeper at %s: %w: authentication failed", strings.Join(r.servers, ","), registry.ErrPermissionDenied)
			}
			if ev.State != zk.StateHasSession {
				continue
			}
			if r.auth != "" {
				if err := conn.AddAuth("digest", []byte(r.auth)); err != nil {
					conn.Close()
					return nil, fmt.Errorf("zookeeper digest auth: %w", err)
				}
			}
			r.conn = conn
			return conn, nil
		}
	}
}

// refusals watches go-zookeeper's dials: the client retries every server
// forever, so a port where nothing listens would otherwise look like a
// slow server until the timeout. Once every server has refused a
// connection, the error is sent on the channel all returns. With servers
// given as IP addresses that is known after one refusal from each; a host
// name may stand for several addresses, so then every address tried must
// have refused and one of them twice (the client has gone round them all).
type refusals struct {
	servers int // the number of addresses when known, else 0
	mu      sync.Mutex
	tried   map[string]int
	refused map[string]int
	done    bool
	ch      chan error
}

func (f *refusals) all() chan error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch == nil {
		f.ch = make(chan error, 1)
	}
	return f.ch
}

func (f *refusals) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	ch := f.all()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tried == nil {
		f.tried, f.refused = map[string]int{}, map[string]int{}
	}
	f.tried[address]++
	if errors.Is(err, syscall.ECONNREFUSED) {
		f.refused[address]++
		round := f.refused[address] > 1 || f.servers > 0 && len(f.refused) >= f.servers
		if !f.done && len(f.refused) == len(f.tried) && round {
			f.done = true
			ch <- err
		}
	}
	return c, err
}

// literalIPs says whether every HOST:PORT has an IP address for host.
func literalIPs(servers []string) bool {
	for _, s := range servers {
		host, _, err := net.SplitHostPort(s)
		if err != nil || net.ParseIP(host) == nil {
			return false
		}
	}
	return true
}

// Services implements registry.Registry: the base path's children are the
// services. A service whose instances have all gone is listed with zero.
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	if q.Filter != "" {
		return nil, fmt.Errorf("%w: the zookeeper registry does not support --filter", registry.ErrInvalidQuery)
	}
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	conn, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	names, _, err := conn.Children(r.base)
	if errors.Is(err, zk.ErrNoNode) {
		return []registry.Service{}, nil
	}
	if err != nil {
		return nil, r.unreachable(err)
	}
	sessions := r.sessions(ctx)
	var all []registry.Instance
	var empty []string
	for _, name := range names {
		ins, err := r.read(ctx, conn, name, sessions)
		if err != nil {
			return nil, err
		}
		if len(ins) == 0 {
			empty = append(empty, name)
		}
		all = append(all, ins...)
	}
	return registry.SummarizeWithEmpty(all, empty, q), nil
}

// AllInstances implements registry.AllInstancesSource.
func (r *Registry) AllInstances(ctx context.Context) ([]registry.Instance, error) {
	all, _, err := r.AllServices(ctx)
	return all, err
}

// AllServices implements registry.AllServicesSource: a service znode
// whose ephemeral instances went with their session stays, empty.
func (r *Registry) AllServices(ctx context.Context) ([]registry.Instance, []string, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	conn, err := r.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	names, _, err := conn.Children(r.base)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, r.unreachable(err)
	}
	sort.Strings(names)
	sessions := r.sessions(ctx)
	var all []registry.Instance
	var empty []string
	for _, name := range names {
		ins, err := r.read(ctx, conn, name, sessions)
		if err != nil {
			return nil, nil, err
		}
		if len(ins) == 0 {
			empty = append(empty, name)
		}
		all = append(all, ins...)
	}
	return all, empty, nil
}

// Instances implements registry.Registry.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	conn, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	if strings.Contains(service, "/") {
		return nil, fmt.Errorf("%w: %q (a service name has no /)", registry.ErrServiceNotFound, service)
	}
	ok, _, err := conn.Exists(path.Join(r.base, service))
	if err != nil {
		return nil, r.unreachable(err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: no znode %s in zookeeper", registry.ErrServiceNotFound, path.Join(r.base, service))
	}
	return r.read(ctx, conn, service, r.sessions(ctx))
}

// fetchers bounds the reads in flight on the one connection (which
// pipelines them).
const fetchers = 16

// read fetches a service's instance znodes in parallel.
func (r *Registry) read(ctx context.Context, conn *zk.Conn, service string, sessions map[int64]session) ([]registry.Instance, error) {
	dir := path.Join(r.base, service)
	ids, _, err := conn.Children(dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, r.unreachable(err)
	}
	sort.Strings(ids)
	out := make([]*registry.Instance, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, fetchers)
	var wg sync.WaitGroup
	for i, id := range ids {
		if ctx.Err() != nil {
			return nil, r.unreachable(ctx.Err())
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			data, stat, err := conn.Get(path.Join(dir, id))
			switch {
			case errors.Is(err, zk.ErrNoNode):
				// gone between listing and reading
			case err != nil:
				errs[i] = r.unreachable(err)
			default:
				if in, ok := r.parse(service, id, data, stat, sessions); ok {
					out[i] = &in
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ins := make([]registry.Instance, 0, len(out))
	for _, in := range out {
		if in != nil {
			ins = append(ins, *in)
		}
	}
	return ins, nil
}

// curatorInstance is Curator's ServiceInstance as JSON.
type curatorInstance struct {
	Name                string          `json:"name"`
	ID                  string          `json:"id"`
	Address             string          `json:"address"`
	Port                *int            `json:"port"`
	SSLPort             *int            `json:"sslPort"`
	Payload             json.RawMessage `json:"payload"`
	RegistrationTimeUTC int64           `json:"registrationTimeUTC"`
	ServiceType         string          `json:"serviceType"`
	Enabled             *bool           `json:"enabled"`
}

func (r *Registry) parse(service, id string, data []byte, stat *zk.Stat, sessions map[int64]session) (registry.Instance, bool) {
	var ci curatorInstance
	if err := json.Unmarshal(data, &ci); err != nil || ci.Address == "" {
		return registry.Instance{}, false
	}
	in := registry.Instance{ID: id, Service: service, Address: ci.Address, Source: "zookeeper", Meta: map[string]string{}}
	if ci.ID != "" {
		in.ID = ci.ID
	}
	switch {
	case ci.Port != nil:
		in.Port = *ci.Port
	case ci.SSLPort != nil:
		in.Port = *ci.SSLPort
	}
	if ci.SSLPort != nil {
		in.Meta["ssl_port"] = strconv.Itoa(*ci.SSLPort)
	}
	if ci.ServiceType != "" {
		in.Meta["service_type"] = ci.ServiceType
	}
	if ci.RegistrationTimeUTC > 0 {
		in.Meta["registered_at"] = time.UnixMilli(ci.RegistrationTimeUTC).UTC().Format(time.RFC3339)
	}
	payloadMeta(ci.Payload, in.Meta)
	if t := in.Meta["tags"]; t != "" {
		in.Tags = strings.Split(t, ",")
		delete(in.Meta, "tags")
	}
	in.Version = registry.VersionOf(nil, in.Meta)

	// Curator's "enabled" and Spring's instance_status say whether the
	// instance should get traffic; a Eureka-style status maps as Eureka's.
	status := registry.Check{ID: "registration", Name: "Curator registration", Status: registry.Passing, Output: "registered"}
	if ci.Enabled != nil && !*ci.Enabled {
		status.Status, status.Output = registry.Warning, "instance disabled (enabled=false)"
	}
	if s := in.Meta["instance_status"]; s != "" && s != "UP" {
		status.Output = "instance_status " + s
		status.Status = registry.Critical
		if s == "STARTING" || s == "UNKNOWN" {
			status.Status = registry.Warning
		}
	}
	in.Checks = []registry.Check{status}

	if owner := stat.EphemeralOwner; owner != 0 {
		in.Meta["ephemeral_owner"] = fmt.Sprintf("0x%x", owner)
		sc := registry.Check{ID: "session", Name: "ZooKeeper session " + fmt.Sprintf("0x%x", owner), Type: "session"}
		switch s, ok := sessions[owner]; {
		case sessions == nil:
			sc.Status, sc.Output = registry.Passing, "ephemeral znode exists, so its session is alive (session details need the cons four-letter word)"
		case ok:
			sc.Status = registry.Passing
			sc.TTL = s.timeout
			sc.Output = fmt.Sprintf("session connected from %s, timeout %s", s.client, s.timeout)
			in.Meta["session_timeout"] = s.timeout.String()
			// The lease is only reported when its time left is known (the
			// session is on the server msctl is connected to), so that a
			// TTL without time left never reads as expired.
			if !s.lastResponse.IsZero() {
				in.LeaseTTL = s.timeout
				hb := s.lastResponse.UTC()
				in.LastHeartbeat = &hb
				left := s.timeout - r.now().Sub(s.lastResponse)
				in.LeaseRemaining = max(left, 0).Truncate(time.Millisecond)
			}
		default:
			sc.Status = registry.Warning
			sc.Output = "owning session is not connected to any server: the znode goes when the session expires"
		}
		in.Checks = append(in.Checks, sc)
	}
	in.Health = registry.WorstHealth(in.Checks)
	return in, true
}

// payloadMeta copies a payload's metadata into meta: Spring Cloud
// Zookeeper's ZookeeperInstance keeps it under "metadata"; any other
// object payload has its scalar fields copied.
func payloadMeta(raw json.RawMessage, meta map[string]string) {
	var p map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return
	}
	src := p
	if m, ok := p["metadata"].(map[string]any); ok {
		src = m
	}
	for k, v := range src {
		switch x := v.(type) {
		case string:
			if k != "@class" {
				meta[k] = x
			}
		case float64, bool:
			meta[k] = fmt.Sprint(x)
		}
	}
}

var _ registry.AllServicesSource = (*Registry)(nil)
