// Package dnssrv reads services from DNS SRV records, through any resolver
// (a corporate DNS, CoreDNS, Consul's DNS interface).
//
// A service name without a dot is looked up as NAME.<domain>, the domain
// being service.consul unless the address says otherwise
// (dns://127.0.0.1:8600?domain=service.dc2.consul); a name with a dot
// (_grpc._tcp.example.com) is looked up as given. Each SRV target is
// resolved to its addresses (from the answer's additional section when the
// server sends them, else with A and AAAA queries). DNS cannot enumerate
// services: Services lists those named in the address (?services=a,b).
package dnssrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

// DefaultDomain is appended to a service name without a dot.
const DefaultDomain = "service.consul"

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "dns", Title: "DNS SRV", Aliases: []string{"srv", "dns-srv"},
		URL:     "SERVER[:PORT][?domain=D][&services=a,b]",
		Default: "first nameserver of /etc/resolv.conf",
		Open:    Open,
	})
}

// Registry is the DNS SRV adapter.
type Registry struct {
	server   string
	domain   string
	services []string
	client   *dns.Client
}

// Open reads the settings: the address is SERVER[:PORT][?domain=D][&services=a,b];
// with no address the first nameserver of /etc/resolv.conf is used.
func Open(c config.Context) (registry.Registry, error) {
	r := &Registry{domain: DefaultDomain, client: &dns.Client{Timeout: 3 * time.Second}}
	addr := c.Address
	a, err := registry.ParseAddress(addr, "127.0.0.1:53")
	if err != nil {
		return nil, err
	}
	r.server = a.Hosts[0]
	if addr == "" || strings.HasPrefix(addr, "?") {
		cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(cc.Servers) == 0 {
			return nil, fmt.Errorf("dns registry: no server given and none in /etc/resolv.conf: use dns://SERVER:PORT")
		}
		r.server = net.JoinHostPort(cc.Servers[0], cc.Port)
	}
	if d := a.Query.Get("domain"); d != "" {
		r.domain = strings.Trim(d, ".")
	}
	for _, s := range strings.Split(a.Query.Get("services"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			r.services = append(r.services, s)
		}
	}
	return r, nil
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "dns" }

// Name is the SRV name a service is looked up as.
func (r *Registry) Name(service string) string {
	if strings.Contains(strings.TrimSuffix(service, "."), ".") {
		return dns.Fqdn(service)
	}
	return dns.Fqdn(service + "." + r.domain)
}

// Services implements registry.Registry for the services named in the
// address; a named service that does not resolve is listed with zero
// instances.
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	if q.Filter != "" {
		return nil, fmt.Errorf("%w: the dns registry does not support --filter", registry.ErrInvalidQuery)
	}
	if len(r.services) == 0 {
		return nil, fmt.Errorf("%w: DNS cannot list services: name them in the address, e.g. dns://%s?services=web,api", registry.ErrInvalidQuery, r.server)
	}
	var all []registry.Instance
	var missing []string
	for _, s := range r.services {
		ins, err := r.Instances(ctx, s)
		if errors.Is(err, registry.ErrServiceNotFound) {
			missing = append(missing, s)
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, ins...)
	}
	return registry.SummarizeWithEmpty(all, missing, q), nil
}

// Instances implements registry.Registry: one SRV query, then address
// queries for targets the answer did not resolve.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	name := r.Name(service)
	resp, err := r.exchange(ctx, name, dns.TypeSRV)
	if err != nil {
		return nil, err
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, fmt.Errorf("%w: %s has no SRV records (NXDOMAIN from %s)", registry.ErrServiceNotFound, name, r.server)
	default:
		return nil, fmt.Errorf("dns server %s answered %s for %s SRV", r.server, dns.RcodeToString[resp.Rcode], name)
	}
	addrs := map[string][]string{}
	for _, rr := range resp.Extra {
		switch a := rr.(type) {
		case *dns.A:
			addrs[strings.ToLower(a.Hdr.Name)] = append(addrs[strings.ToLower(a.Hdr.Name)], a.A.String())
		case *dns.AAAA:
			addrs[strings.ToLower(a.Hdr.Name)] = append(addrs[strings.ToLower(a.Hdr.Name)], a.AAAA.String())
		}
	}
	var out []registry.Instance
	for _, rr := range resp.Answer {
		srv, ok := rr.(*dns.SRV)
		if !ok {
			continue
		}
		target := strings.ToLower(srv.Target)
		ips, seen := addrs[target]
		if !seen {
			ips, err = r.resolve(ctx, target)
			if err != nil {
				return nil, err
			}
			addrs[target] = ips
		}
		in := registry.Instance{
			Service: service,
			Node:    strings.TrimSuffix(srv.Target, "."),
			Port:    int(srv.Port),
			Health:  registry.Passing,
			Source:  "dns",
			Meta: map[string]string{
				"srv_priority": strconv.Itoa(int(srv.Priority)),
				"srv_weight":   strconv.Itoa(int(srv.Weight)),
				"dns_ttl":      strconv.Itoa(int(srv.Hdr.Ttl)),
			},
			Checks: []registry.Check{{ID: "dns", Name: "DNS SRV " + name, Type: "dns", Status: registry.Passing,
				Output: fmt.Sprintf("%s %d IN SRV %d %d %d %s", name, srv.Hdr.Ttl, srv.Priority, srv.Weight, srv.Port, srv.Target)}},
		}
		if len(ips) == 0 {
			// A target with no address cannot be reached by any client.
			in.Address = in.Node
			in.Health = registry.Critical
			in.Checks[0].Status = registry.Critical
			in.Checks[0].Output += " (target has no A/AAAA record)"
		} else {
			in.Address = ips[0]
		}
		in.ID = net.JoinHostPort(in.Address, strconv.Itoa(in.Port))
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// resolve returns a target's A and AAAA addresses.
func (r *Registry) resolve(ctx context.Context, target string) ([]string, error) {
	if ip := net.ParseIP(strings.TrimSuffix(target, ".")); ip != nil {
		return []string{ip.String()}, nil
	}
	var ips []string
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		resp, err := r.exchange(ctx, target, t)
		if err != nil {
			return nil, err
		}
		for _, rr := range resp.Answer {
			switch a := rr.(type) {
			case *dns.A:
				ips = append(ips, a.A.String())
			case *dns.AAAA:
				ips = append(ips, a.AAAA.String())
			}
		}
	}
	return ips, nil
}

// exchange sends one query over UDP, again over TCP when the answer was
// truncated.
func (r *Registry) exchange(ctx context.Context, name string, t uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, t)
	m.SetEdns0(4096, false)
	resp, _, err := r.client.ExchangeContext(ctx, m, r.server)
	if err == nil && resp.Truncated {
		tcp := *r.client
		tcp.Net = "tcp"
		resp, _, err = tcp.ExchangeContext(ctx, m, r.server)
	}
	if err != nil {
		return nil, &registry.UnreachableError{Kind: "dns", Address: r.server, Err: err}
	}
	return resp, nil
}
