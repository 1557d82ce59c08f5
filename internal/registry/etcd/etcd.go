// Package etcd reads service registrations from etcd.
//
// Two layouts are understood, both as keys <prefix><service>/<id>:
//
//   - the convention of go.etcd.io/etcd/client/v3/naming/endpoints, which
//     gRPC's etcd resolver reads: the value is the JSON of an endpoints
//     update, {"Op":0,"Addr":"10.0.0.1:8080","Metadata":...};
//   - plain JSON instances, {"address":"10.0.0.1","port":8080,"tags":[...],
//     "meta":{...},"version":"1.2.0"} (host and ip are accepted for address;
//     metadata for meta).
//
// Values that are neither are not instances and are skipped. Plain JSON
// instances are read under a prefix only (or with ?layout=json): across the
// whole keyspace, configuration JSON that names a host would read as
// instances. A key attached to a lease is alive while its
// lease is: the lease's granted TTL and time left become LeaseTTL and
// LeaseRemaining, and a key whose lease has expired is critical.
//
// The adapter talks to etcd through the official client,
// go.etcd.io/etcd/client/v3, over gRPC: user/password authentication with
// token renewal, TLS (verification on unless asked otherwise), several
// endpoints balanced with failover, watches that reconnect and resume, and
// leases are the client's, not code of msctl's.
package etcd

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

// DefaultAddress is etcd's usual client port on this host.
const DefaultAddress = "127.0.0.1:2379"

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "etcd", Title: "etcd", Aliases: []string{"etcd3"},
		URL:            "HOST:PORT[,HOST:PORT...][/PREFIX][?prefix=P]",
		DefaultAddress: DefaultAddress,
		Open:           Open,
	})
}

// Registry is the etcd adapter. Its client is made on first use.
type Registry struct {
	endpoints []string
	prefix    string
	// layoutOverride is ?layout=endpoints|json for registrations.
	layoutOverride string
	cfg            clientv3.Config
	mu             sync.Mutex // guards client: the doctor reads concurrently
	client         *clientv3.Client
	now            func() time.Time
	// pageSize bounds one range read (pageSizeDefault when 0).
	pageSize int64
}

// Open reads the settings without dialing: the address is
// HOST:PORT[,HOST:PORT...][/PREFIX], the token is "user:password" when the
// cluster has authentication on.
func Open(c config.Context) (registry.Registry, error) {
	a, err := registry.ParseEndpoint(c, DefaultAddress)
	if err != nil {
		return nil, err
	}
	scheme := a.URLScheme() + "://"
	// The path is the key prefix as written, leading slash included
	// (etcd://host:2379/services reads /services/...); a prefix without
	// one, as the naming convention's targets often are, is given as
	// ?prefix=services/. No prefix reads the whole keyspace.
	r := &Registry{prefix: a.Path, now: time.Now}
	if p, ok := a.Query["prefix"]; ok {
		r.prefix = p[0]
	}
	if r.prefix != "" && !strings.HasSuffix(r.prefix, "/") {
		r.prefix += "/"
	}
	switch l := a.Query.Get("layout"); l {
	case "", "endpoints", "json":
		r.layoutOverride = l
	default:
		return nil, fmt.Errorf("etcd address: unknown layout %q (endpoints or json)", l)
	}
	for _, h := range a.Hosts {
		r.endpoints = append(r.endpoints, scheme+h)
	}
	r.cfg = clientv3.Config{
		// clientv3 balances over every endpoint and moves away from one
		// that fails; an https:// endpoint without TLS settings is
		// verified against the system's roots.
		Endpoints:   r.endpoints,
		DialTimeout: 5 * time.Second,
		// Keepalives find a member that went silent under an open watch,
		// which would otherwise wait for an event that never comes.
		DialKeepAliveTime:    30 * time.Second,
		DialKeepAliveTimeout: 10 * time.Second,
		TLS:                  a.TLS,
		// The client logs retries at warning level; msctl reports the
		// error it ends with instead.
		Logger:      zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(failFast)},
	}
	tok, err := registry.Token(c)
	if err != nil {
		return nil, err
	}
	if tok != "" {
		user, pass, ok := strings.Cut(tok, ":")
		if !ok {
			return nil, fmt.Errorf("etcd token must be user:password")
		}
		r.cfg.Username, r.cfg.Password = user, pass
	}
	return r, nil
}

// failFast lets a unary call fail at once when no endpoint can be
// connected to, with the connection's error (a refused connection, a
// certificate the client does not trust). clientv3 makes every call wait
// for a connection until its deadline, which would turn a TLS mistake
// into "deadline exceeded" ten seconds later; its retry interceptor, which
// runs outside this one, still retries unavailable reads across endpoints.
// While some endpoint is still connecting, gRPC waits for it either way.
func failFast(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(ctx, method, req, reply, cc, append(opts, grpc.WaitForReady(false))...)
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "etcd" }

// Prefix is the key prefix instances are read under.
func (r *Registry) Prefix() string { return r.prefix }

// Close closes the client's connections, if a client was made.
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		return nil
	}
	err := r.client.Close()
	r.client = nil
	if errors.Is(err, context.Canceled) {
		return nil // how clientv3 reports its own shutdown
	}
	return err
}

// connect makes the client on first use. Without credentials it dials
// nothing until a call; with them, clientv3 authenticates at once.
func (r *Registry) connect() (*clientv3.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		return r.client, nil
	}
	cl, err := clientv3.New(r.cfg)
	if err != nil {
		return nil, r.wrap(err)
	}
	r.client = cl
	return cl, nil
}

// dialAny returns the error of dialing the endpoints, nil if one accepts.
func (r *Registry) dialAny() error {
	var last error
	for _, ep := range r.endpoints {
		host := ep[strings.Index(ep, "://")+3:]
		c, err := net.DialTimeout("tcp", host, 300*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
	}
	return last
}

// tlsRefusal finds the server's refusal of msctl's client certificate
// behind a broken connection. Under TLS 1.3 the server checks the client
// certificate after the client has finished its handshake, so gRPC may
// write its preface first and see "broken pipe" or "connection reset"
// instead of the server's alert. One handshake of msctl's own, followed
// by a short read, receives the alert ("certificate required") itself.
func (r *Registry) tlsRefusal(err error) error {
	if r.cfg.TLS == nil {
		return nil
	}
	msg := err.Error()
	if !strings.Contains(msg, "broken pipe") && !strings.Contains(msg, "connection reset") && !strings.Contains(msg, "EOF") {
		return nil
	}
	for _, ep := range r.endpoints {
		host := ep[strings.Index(ep, "://")+3:]
		cfg := r.cfg.TLS.Clone()
		cfg.NextProtos = []string{"h2"}
		d := &net.Dialer{Timeout: 500 * time.Millisecond}
		c, derr := tls.DialWithDialer(d, "tcp", host, cfg)
		if derr != nil {
			if registry.IsTLSVerification(derr) {
				return derr
			}
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		var b [1]byte
		_, rerr := c.Read(b[:])
		c.Close()
		if rerr != nil && registry.IsTLSVerification(rerr) {
			return rerr
		}
	}
	return nil
}

func (r *Registry) unreachable(err error) error {
	return &registry.UnreachableError{Kind: "etcd", Address: strings.Join(r.endpoints, ","), Err: err}
}

// authFailure says whether err is etcd refusing the credentials or the
// permissions msctl's call needs: the codes PermissionDenied and
// Unauthenticated, and the InvalidArgument answers etcd gives to a wrong
// password or a missing user name. A watch canceled for want of
// permission carries the refusal as text in its cancel reason, so the
// messages are matched too.
func authFailure(err error) bool {
	var ee rpctypes.EtcdError
	code := codes.Unknown
	if errors.As(err, &ee) {
		code = ee.Code()
	} else if s, ok := status.FromError(err); ok {
		code = s.Code()
	}
	if code == codes.PermissionDenied || code == codes.Unauthenticated {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"authentication failed", "permission denied", "invalid auth token", "user name is empty"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// wrap classifies a client error: refused credentials or permissions are
// registry.ErrPermissionDenied, an untrusted certificate is a TLS error,
// and everything else (deadline, connection refused, an etcd error, a port
// that is not etcd's) is unreachable.
func (r *Registry) wrap(err error) error {
	if authFailure(err) {
		return fmt.Errorf("etcd at %s: %w: %v", strings.Join(r.endpoints, ","), registry.ErrPermissionDenied, err)
	}
	if registry.IsTLSVerification(err) {
		return registry.TLSError("etcd", strings.Join(r.endpoints, ","), err)
	}
	if terr := r.tlsRefusal(err); terr != nil {
		return registry.TLSError("etcd", strings.Join(r.endpoints, ","), terr)
	}
	if errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
		// The deadline came before any answer, while dialing or waiting:
		// a quick dial tells "refused" from "accepts, but does not answer".
		if derr := r.dialAny(); derr != nil {
			return r.unreachable(derr)
		}
		return r.unreachable(errors.New("no answer before the timeout (is it an etcd client port?)"))
	}
	return r.unreachable(err)
}

// Services implements registry.Registry. It reads the prefix once and
// lists live leases once, whatever the number of services.
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	if q.Filter != "" {
		return nil, fmt.Errorf("%w: the etcd registry does not support --filter", registry.ErrInvalidQuery)
	}
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	kvs, _, err := r.read(ctx, r.prefix, false)
	if err != nil {
		return nil, err
	}
	cl, err := r.connect()
	if err != nil {
		return nil, err
	}
	leases, err := cl.Leases(ctx)
	if err != nil {
		return nil, r.wrap(err)
	}
	alive := map[int64]bool{}
	for _, l := range leases.Leases {
		alive[int64(l.ID)] = true
	}
	var all []registry.Instance
	for _, kv := range kvs {
		in, lease, ok := r.parse(kv)
		if !ok {
			continue
		}
		if lease != 0 && !alive[lease] {
			in.Health = registry.Critical
		}
		all = append(all, in)
	}
	return registry.SummarizeAll(all, q), nil
}

// Instances implements registry.Registry, with one lease lookup per
// distinct lease.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	return r.InstancesWith(ctx, service, registry.Consistent)
}

// InstancesWith implements registry.ConsistencySource: a stale read is
// etcd's serializable read, answered by whichever member the client talks
// to from its local copy; a consistent read is linearizable.
func (r *Registry) InstancesWith(ctx context.Context, service string, mode registry.Consistency) ([]registry.Instance, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	kvs, _, err := r.read(ctx, r.prefix+service+"/", mode == registry.Stale)
	if err != nil {
		return nil, err
	}
	out, err := r.withLeases(ctx, kvs, service)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no instance under %q in etcd", registry.ErrServiceNotFound, r.prefix+service+"/")
	}
	return out, nil
}

// AllInstances implements registry.AllInstancesSource: one read of the
// prefix, one lease lookup per distinct lease.
func (r *Registry) AllInstances(ctx context.Context) ([]registry.Instance, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	kvs, _, err := r.read(ctx, r.prefix, false)
	if err != nil {
		return nil, err
	}
	return r.withLeases(ctx, kvs, "")
}

// withLeases parses the keys (of service only, unless it is "") and fills
// in their leases.
func (r *Registry) withLeases(ctx context.Context, kvs []*kv, service string) ([]registry.Instance, error) {
	cl, err := r.connect()
	if err != nil {
		return nil, err
	}
	type leaseInfo struct{ granted, left int64 }
	leases := map[int64]leaseInfo{}
	var out []registry.Instance
	for _, kv := range kvs {
		in, lease, ok := r.parse(kv)
		if !ok || service != "" && in.Service != service {
			continue
		}
		if lease != 0 {
			li, seen := leases[lease]
			if !seen {
				ttl, err := cl.TimeToLive(ctx, clientv3.LeaseID(lease))
				if err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
					return nil, r.wrap(err)
				}
				// etcd 3.4 answers an unknown lease with TTL -1, later
				// versions with "requested lease not found".
				li = leaseInfo{granted: -1, left: -1}
				if err == nil && ttl.TTL >= 0 {
					li = leaseInfo{granted: ttl.GrantedTTL, left: ttl.TTL}
				}
				leases[lease] = li
			}
			check := registry.Check{ID: "lease", Name: fmt.Sprintf("etcd lease %x", lease), Type: "ttl"}
			if li.left < 0 {
				check.Status = registry.Critical
				check.Output = "lease expired or revoked; the key outlived it"
			} else {
				check.Status = registry.Passing
				check.TTL = time.Duration(li.granted) * time.Second
				check.Output = fmt.Sprintf("lease granted %ds, %ds left", li.granted, li.left)
				in.LeaseTTL = check.TTL
				in.LeaseRemaining = time.Duration(li.left) * time.Second
				// A keep-alive resets the lease to its granted TTL, so the
				// last one was about granted-left seconds ago.
				hb := r.now().Add(-time.Duration(li.granted-li.left) * time.Second).UTC().Truncate(time.Second)
				in.LastHeartbeat = &hb
			}
			in.Checks = []registry.Check{check}
			in.Health = check.Status
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// pageSizeDefault bounds one range read, so that a large keyspace is read
// in pieces rather than in one response.
const pageSizeDefault = 1000

// read returns every key under prefix, page by page, at one revision,
// and that revision.
func (r *Registry) read(ctx context.Context, prefix string, serializable bool) ([]*kv, int64, error) {
	cl, err := r.connect()
	if err != nil {
		return nil, 0, err
	}
	limit := r.pageSize
	if limit <= 0 {
		limit = pageSizeDefault
	}
	key, end := prefix, clientv3.GetPrefixRangeEnd(prefix)
	if prefix == "" {
		key, end = "\x00", "\x00" // every key
	}
	var out []*kv
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(limit),
			clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend)}
		if serializable {
			opts = append(opts, clientv3.WithSerializable())
		}
		if rev != 0 {
			// Later pages read the revision of the first, so that the
			// pages make one consistent picture.
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := cl.Get(ctx, key, opts...)
		if err != nil {
			return nil, 0, r.wrap(err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, x := range resp.Kvs {
			out = append(out, &kv{key: string(x.Key), value: x.Value, lease: x.Lease})
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, rev, nil
		}
		key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

type kv struct {
	key   string
	value []byte
	lease int64
}

// value is the union of the layouts' JSON fields.
type value struct {
	// endpoints convention
	Op       *int `json:"Op"`
	Addr     string
	Metadata json.RawMessage `json:"Metadata"`
	// plain JSON instances (Go's decoder matches names case-insensitively)
	Address string          `json:"address"`
	Host    string          `json:"host"`
	IP      string          `json:"ip"`
	Port    json.RawMessage `json:"port"`
	Tags    []string        `json:"tags"`
	Meta    json.RawMessage `json:"meta"`
	Version string          `json:"version"`
}

// parse turns one key into an instance; ok is false for keys that are not
// instances.
func (r *Registry) parse(x *kv) (in registry.Instance, lease int64, ok bool) {
	rel := strings.TrimPrefix(x.key, r.prefix)
	service, id := path.Dir(rel), path.Base(rel)
	if !strings.Contains(rel, "/") || service == "" || service == "." || id == "" {
		return in, 0, false
	}
	var v value
	if json.Unmarshal(x.value, &v) != nil {
		return in, 0, false
	}
	in = registry.Instance{ID: id, Service: service, Health: registry.Passing, Source: "etcd"}
	var metaRaw json.RawMessage
	switch {
	case v.Addr != "":
		if v.Op != nil && *v.Op != 0 {
			return in, 0, false // a delete update left behind
		}
		in.Address, in.Port = registry.SplitHostPort(v.Addr)
		metaRaw = v.Metadata
	case r.prefix == "" && r.layoutOverride != "json":
		// Across the whole keyspace, plenty of configuration JSON names
		// a host; only the endpoints convention is unambiguous there.
		return in, 0, false
	default:
		in.Address = firstNonEmpty(v.Address, v.Host, v.IP)
		if in.Address == "" {
			return in, 0, false
		}
		if p := strings.Trim(string(v.Port), `"`); p != "" {
			in.Port, _ = strconv.Atoi(p)
		}
		if in.Port == 0 {
			if h, p := registry.SplitHostPort(in.Address); p != 0 {
				in.Address, in.Port = h, p
			}
		}
		in.Tags = v.Tags
		metaRaw = v.Meta
		if len(metaRaw) == 0 {
			metaRaw = v.Metadata
		}
	}
	in.Meta = flatten(metaRaw)
	// Tags in endpoints metadata (as msctl registry register writes them).
	if tags, ok := in.Meta["tags"]; ok && len(in.Tags) == 0 {
		var ts []string
		if json.Unmarshal([]byte(tags), &ts) == nil {
			in.Tags = ts
			delete(in.Meta, "tags")
		}
	}
	in.Version = v.Version
	if in.Version == "" {
		in.Version = registry.VersionOf(in.Tags, in.Meta)
	}
	return in, x.lease, true
}

// flatten keeps a metadata object's values as strings; non-object metadata
// is kept whole under "metadata".
func flatten(raw json.RawMessage) map[string]string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return map[string]string{"metadata": string(raw)}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch s := v.(type) {
		case string:
			out[k] = s
		default:
			b, _ := json.Marshal(s)
			out[k] = string(b)
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
