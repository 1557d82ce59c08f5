package consul

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/miekg/dns"

	"github.com/msctl/msctl/internal/registry"
)

// memberStatus names serf's member states as `consul members` prints them.
var memberStatus = map[int]string{0: "none", 1: "alive", 2: "leaving", 3: "left", 4: "failed"}

// Members lists the agent's LAN gossip pool.
func (r *Registry) Members(ctx context.Context) ([]registry.Member, error) {
	// MembersOpts has no context parameter; the raw query does.
	var ms []*api.AgentMember
	q := r.opts(ctx)
	q.Datacenter = ""
	if _, err := r.client.Raw().Query("/v1/agent/members", &ms, q); err != nil {
		return nil, r.classify(ctx, err)
	}
	out := make([]registry.Member, 0, len(ms))
	for _, m := range ms {
		st, ok := memberStatus[m.Status]
		if !ok {
			st = strconv.Itoa(m.Status)
		}
		out = append(out, registry.Member{
			Name: m.Name, Address: net.JoinHostPort(m.Addr, strconv.Itoa(int(m.Port))),
			Status: st, Tags: m.Tags,
		})
	}
	return out, nil
}

// Leader returns the Raft leader's address, "" when there is none.
func (r *Registry) Leader(ctx context.Context) (string, error) {
	l, err := r.client.Status().LeaderWithQueryOptions(r.opts(ctx))
	if err != nil {
		return "", r.classify(ctx, err)
	}
	return l, nil
}

// self reads /v1/agent/self once: the agent's node name (whose checks'
// fresh output the agent holds) and its DNS interface, so that the doctor
// asks the DNS server this very agent runs, whatever port it was given.
// Without agent:read it falls back to port 8600 on the agent's host.
func (r *Registry) self(ctx context.Context) (node, dnsAddr, domain string, err error) {
	r.dnsOnce.Do(func() {
		r.dnsDom = "consul."
		if r.DNSAddr != "" {
			r.dnsAddr = r.DNSAddr
		}
		var self map[string]map[string]any
		q := r.opts(ctx)
		q.Datacenter = ""
		if _, e := r.client.Raw().Query("/v1/agent/self", &self, q); e == nil {
			if n, ok := self["Config"]["NodeName"].(string); ok {
				r.nodeName = n
			}
			dc := self["DebugConfig"]
			if d, ok := dc["DNSDomain"].(string); ok && d != "" {
				r.dnsDom = dns.Fqdn(d)
			}
			if r.dnsAddr == "" {
				if addrs, ok := dc["DNSAddrs"].([]any); ok {
					for _, a := range addrs {
						s, _ := a.(string)
						if u, e := url.Parse(s); e == nil && (u.Scheme == "udp" || u.Scheme == "tcp") {
							r.dnsAddr = u.Host
							break
						}
					}
				}
			}
		}
		if r.dnsAddr == "" {
			host, _, e := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(r.base, "http://"), "https://"))
			if e != nil {
				r.dnsErr = e
				return
			}
			r.dnsAddr = net.JoinHostPort(host, "8600")
		}
	})
	return r.nodeName, r.dnsAddr, r.dnsDom, r.dnsErr
}

// DNSName is the SRV name Consul's DNS interface answers for service.
func (r *Registry) DNSName(service string) string {
	dom := r.dnsDom
	if dom == "" {
		dom = "consul."
	}
	if r.dc != "" {
		return fmt.Sprintf("%s.service.%s.%s", service, r.dc, dom)
	}
	return fmt.Sprintf("%s.service.%s", service, dom)
}

// LookupSRV asks Consul's DNS interface for the service's SRV records. A
// name Consul does not know (NXDOMAIN) is an empty answer, not an error.
func (r *Registry) LookupSRV(ctx context.Context, service string) ([]registry.SRVTarget, error) {
	_, addr, _, err := r.self(ctx)
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetQuestion(r.DNSName(service), dns.TypeSRV)
	m.RecursionDesired = false
	c := &dns.Client{Net: "tcp", Timeout: 3 * time.Second}
	// TCP: a service with many instances does not fit a UDP answer.
	resp, _, err := c.ExchangeContext(ctx, m, addr)
	if err != nil {
		return nil, &registry.UnreachableError{Kind: "consul DNS", Address: addr, Err: err}
	}
	if resp.Rcode == dns.RcodeNameError {
		return nil, nil
	}
	if resp.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("consul DNS at %s: %s for %s", addr, dns.RcodeToString[resp.Rcode], r.DNSName(service))
	}
	extra := map[string]string{}
	for _, rr := range resp.Extra {
		if a, ok := rr.(*dns.A); ok {
			extra[a.Hdr.Name] = a.A.String()
		}
		if a, ok := rr.(*dns.AAAA); ok {
			extra[a.Hdr.Name] = a.AAAA.String()
		}
	}
	var out []registry.SRVTarget
	for _, rr := range resp.Answer {
		if s, ok := rr.(*dns.SRV); ok {
			out = append(out, registry.SRVTarget{Target: s.Target, Address: extra[s.Target], Port: int(s.Port)})
		}
	}
	return out, nil
}

// agentRegistration converts a Registration to the agent API's body.
func agentRegistration(reg registry.Registration) (*api.AgentServiceRegistration, error) {
	ar := &api.AgentServiceRegistration{
		ID: reg.ID, Name: reg.Service, Address: reg.Address, Port: reg.Port,
		Tags: reg.Tags, Meta: reg.Meta,
	}
	for _, c := range reg.Checks {
		ac := &api.AgentServiceCheck{
			Interval: c.Interval, Timeout: c.Timeout,
			DeregisterCriticalServiceAfter: c.DeregisterAfter,
		}
		switch c.Type {
		case "http":
			ac.HTTP = c.Target
		case "tcp":
			ac.TCP = c.Target
		case "grpc":
			ac.GRPC = c.Target
		case "ttl":
			ac.TTL = c.TTL
			ac.Interval, ac.Timeout = "", ""
		default:
			return nil, fmt.Errorf("unsupported check type %q (use http, tcp, grpc or ttl)", c.Type)
		}
		if c.Type != "ttl" && ac.Interval == "" {
			ac.Interval = "10s"
		}
		ar.Checks = append(ar.Checks, ac)
	}
	return ar, nil
}

func (r *Registry) query() string {
	v := url.Values{}
	if r.ns != "" {
		v.Set("ns", r.ns)
	}
	if r.part != "" {
		v.Set("partition", r.part)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// RegisterCall names the agent API request Register makes.
func (r *Registry) RegisterCall(reg registry.Registration) (registry.APICall, error) {
	ar, err := agentRegistration(reg)
	if err != nil {
		return registry.APICall{}, err
	}
	return registry.APICall{Method: "PUT", URL: r.base + "/v1/agent/service/register" + r.query(), Body: ar}, nil
}

// DeregisterCall names the agent API request Deregister makes.
func (r *Registry) DeregisterCall(service, id string) (registry.APICall, error) {
	return registry.APICall{Method: "PUT", URL: r.base + "/v1/agent/service/deregister/" + url.PathEscape(id) + r.query()}, nil
}

// Register registers the instance with the agent msctl talks to: the agent
// then owns it and runs its checks, as if it had been in its config.
func (r *Registry) Register(ctx context.Context, reg registry.Registration) error {
	ar, err := agentRegistration(reg)
	if err != nil {
		return err
	}
	ar.Namespace, ar.Partition = r.ns, r.part
	err = r.client.Agent().ServiceRegisterOpts(ar, api.ServiceRegisterOpts{}.WithContext(ctx))
	return r.classify(ctx, err)
}

// Deregister removes the instance id from the agent msctl talks to. The
// agent answers 404 for an id it does not own, which is ErrServiceNotFound.
func (r *Registry) Deregister(ctx context.Context, service, id string) error {
	q := r.opts(ctx)
	q.Datacenter = ""
	err := r.client.Agent().ServiceDeregisterOpts(id, q)
	// The status, not "404" anywhere in the text: a timeout's message
	// names the address, whose port may contain those digits.
	var se api.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound || err != nil && strings.Contains(err.Error(), "response code: 404") {
		return fmt.Errorf("consul agent at %s has no instance %q of %q: %w", r.address, id, service, registry.ErrServiceNotFound)
	}
	return r.classify(ctx, err)
}

// AgentChecks returns the local agent's checks as the agent sees them.
func (r *Registry) AgentChecks(ctx context.Context) (string, map[string]map[string]registry.Check, error) {
	node, _, _, _ := r.self(ctx)
	if node == "" {
		return "", nil, fmt.Errorf("consul at %s: agent name unknown (the token may lack agent:read)", r.address)
	}
	// The agent answers each check's interval beside its definition (which
	// is empty for checks registered with a service); api.AgentCheck has
	// no field for it.
	var checks map[string]*struct {
		api.AgentCheck
		Interval string
	}
	q := r.opts(ctx)
	q.Datacenter = ""
	if _, err := r.client.Raw().Query("/v1/agent/checks", &checks, q); err != nil {
		return "", nil, r.classify(ctx, err)
	}
	out := map[string]map[string]registry.Check{}
	for _, c := range checks {
		if out[c.ServiceID] == nil {
			out[c.ServiceID] = map[string]registry.Check{}
		}
		rc := checkOf(&api.HealthCheck{
			Node: c.Node, CheckID: c.CheckID, Name: c.Name, Status: c.Status, Output: c.Output,
			ServiceID: c.ServiceID, Type: c.Type, Definition: c.Definition,
		})
		if d, err := time.ParseDuration(c.Interval); err == nil && rc.Interval == 0 {
			rc.Interval = d
		}
		out[c.ServiceID][c.CheckID] = rc
	}
	return node, out, nil
}

// anonymousAccessorID is the accessor ID of Consul's built-in anonymous
// token, which answers requests that carry no token.
const anonymousAccessorID = "00000000-0000-0000-0000-000000000002"

// HiddenByACL implements registry.ACLSource from what Consul tells about
// an empty catalog: X-Consul-Results-Filtered-By-ACLs when a token's rules
// left everything out, and X-Consul-Default-Acl-Policy "deny" with a
// token Consul does not know (or the anonymous one) when the request
// carried none, which gets no filtered header.
func (r *Registry) HiddenByACL(ctx context.Context) (string, error) {
	names, meta, err := r.client.Catalog().Services(r.opts(ctx))
	if err != nil {
		return "", r.classify(ctx, err)
	}
	switch {
	case len(names) > 0:
		return "", nil
	case meta.ResultsFilteredByACLs:
		return "Consul left services out of its answer for the token's ACL rules (X-Consul-Results-Filtered-By-ACLs): the token may read none of them", nil
	case meta.DefaultACLPolicy != "deny":
		return "", nil
	}
	tok, _, err := r.client.ACL().TokenReadSelf(r.opts(ctx))
	var se api.StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusForbidden:
		// Consul answers "ACL not found" for the anonymous token too.
	case err != nil:
		return "", r.classify(ctx, err)
	case tok.AccessorID != anonymousAccessorID:
		return "", nil
	}
	return "Consul's ACLs deny by default (default_policy deny) and the request carried no token, so the anonymous token answered, which may read no service: the empty answer says nothing about what is registered", nil
}

// Compile-time checks of the capabilities this adapter provides.
var (
	_ registry.Registry           = (*Registry)(nil)
	_ registry.GossipSource       = (*Registry)(nil)
	_ registry.DNSSource          = (*Registry)(nil)
	_ registry.ConsistencySource  = (*Registry)(nil)
	_ registry.LeaderSource       = (*Registry)(nil)
	_ registry.Watcher            = (*Registry)(nil)
	_ registry.Registrar          = (*Registry)(nil)
	_ registry.AllInstancesSource = (*Registry)(nil)
	_ registry.AgentSource        = (*Registry)(nil)
	_ registry.ACLSource          = (*Registry)(nil)
)
