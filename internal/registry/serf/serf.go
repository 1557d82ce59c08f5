// Package serf reads a HashiCorp Serf cluster's members through an agent's
// RPC port (github.com/hashicorp/serf/client).
//
// Serf has no services, only members with tags, so msctl uses a
// convention: a member offers the services named in its "service" tag
// (comma-separated; another tag with serf://host:7373?tag=role), on the
// port in its "port" tag (the gossip port when there is none), at the
// version in its "version" tag. Its other tags become the instance's
// tags, as key=value. The member's gossip status is the node state and the
// health: alive is passing, leaving a warning, left and failed critical.
package serf

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/serf/client"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

// DefaultAddress is a Serf agent's usual RPC address; DefaultServiceTag
// the tag that names a member's services.
const (
	DefaultAddress    = "127.0.0.1:7373"
	DefaultServiceTag = "service"
)

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "serf", Title: "Serf",
		URL:            "HOST:PORT[?tag=TAG]",
		DefaultAddress: DefaultAddress,
		Default:        DefaultAddress + ", tag `" + DefaultServiceTag + "`",
		Open:           Open,
	})
}

// Registry is the Serf adapter; it connects on first use.
type Registry struct {
	addr       string
	authKey    string
	serviceTag string
}

// Open reads the settings without dialing: the address is
// HOST:PORT[?tag=TAG], the token is the agent's RPC auth key.
func Open(c config.Context) (registry.Registry, error) {
	a, err := registry.ParseAddress(c.Address, DefaultAddress)
	if err != nil {
		return nil, err
	}
	tok, err := registry.Token(c)
	if err != nil {
		return nil, err
	}
	r := &Registry{addr: a.Hosts[0], authKey: tok, serviceTag: DefaultServiceTag}
	if t := a.Query.Get("tag"); t != "" {
		r.serviceTag = t
	}
	return r, nil
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "serf" }

// members asks the agent for every member it knows, in every state.
func (r *Registry) members(ctx context.Context) ([]client.Member, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	timeout := time.Until(deadline(ctx))
	type result struct {
		ms  []client.Member
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := client.ClientFromConfig(&client.Config{Addr: r.addr, AuthKey: r.authKey, Timeout: timeout})
		if err != nil {
			done <- result{err: r.classify(err)}
			return
		}
		defer c.Close()
		ms, err := c.Members()
		if err != nil {
			err = r.classify(err)
		}
		done <- result{ms, err}
	}()
	select {
	case <-ctx.Done():
		return nil, &registry.UnreachableError{Kind: "serf", Address: r.addr,
			Err: errors.New("no answer before the timeout (is it a Serf agent's RPC port?)")}
	case res := <-done:
		return res.ms, res.err
	}
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// classify keeps an authentication refusal apart from an unreachable
// agent.
func (r *Registry) classify(err error) error {
	if strings.Contains(err.Error(), "auth") {
		return fmt.Errorf("serf agent at %s refused the RPC auth key: %w: %v", r.addr, registry.ErrPermissionDenied, err)
	}
	return &registry.UnreachableError{Kind: "serf", Address: r.addr, Err: err}
}

// Services implements registry.Registry from one Members call.
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	if q.Filter != "" {
		return nil, fmt.Errorf("%w: the serf registry does not support --filter", registry.ErrInvalidQuery)
	}
	ms, err := r.members(ctx)
	if err != nil {
		return nil, err
	}
	var all []registry.Instance
	for _, m := range ms {
		for _, s := range r.servicesOf(m) {
			all = append(all, r.instance(m, s))
		}
	}
	return registry.SummarizeAll(all, q), nil
}

// AllInstances implements registry.AllInstancesSource from one Members
// call.
func (r *Registry) AllInstances(ctx context.Context) ([]registry.Instance, error) {
	ms, err := r.members(ctx)
	if err != nil {
		return nil, err
	}
	var all []registry.Instance
	for _, m := range ms {
		for _, s := range r.servicesOf(m) {
			all = append(all, r.instance(m, s))
		}
	}
	return all, nil
}

// Members implements registry.GossipSource: every member the agent knows,
// with its tags and status.
func (r *Registry) Members(ctx context.Context) ([]registry.Member, error) {
	ms, err := r.members(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]registry.Member, 0, len(ms))
	for _, m := range ms {
		out = append(out, registry.Member{Name: m.Name, Address: fmt.Sprintf("%s:%d", m.Addr, m.Port), Status: m.Status, Tags: m.Tags})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Instances implements registry.Registry.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	ms, err := r.members(ctx)
	if err != nil {
		return nil, err
	}
	var out []registry.Instance
	for _, m := range ms {
		for _, s := range r.servicesOf(m) {
			if s == service {
				out = append(out, r.instance(m, s))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no serf member has tag %s=%s", registry.ErrServiceNotFound, r.serviceTag, service)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (r *Registry) servicesOf(m client.Member) []string {
	var out []string
	for _, s := range strings.Split(m.Tags[r.serviceTag], ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r *Registry) instance(m client.Member, service string) registry.Instance {
	in := registry.Instance{
		ID:        m.Name,
		Service:   service,
		Node:      m.Name,
		Address:   m.Addr.String(),
		Port:      int(m.Port),
		Version:   m.Tags["version"],
		NodeState: m.Status,
		Source:    "serf",
		Meta:      map[string]string{"gossip_port": strconv.Itoa(int(m.Port))},
	}
	if p, err := strconv.Atoi(m.Tags["port"]); err == nil {
		in.Port = p
	} else {
		in.Meta["port_source"] = "gossip"
	}
	for k, v := range m.Tags {
		switch k {
		case r.serviceTag, "port", "version":
		default:
			in.Tags = append(in.Tags, k+"="+v)
		}
	}
	sort.Strings(in.Tags)
	check := registry.Check{ID: "serfHealth", Name: "Serf member status", Type: "serf", Output: "member " + m.Status}
	switch m.Status {
	case "alive":
		check.Status = registry.Passing
	case "leaving":
		check.Status = registry.Warning
	case "left", "failed":
		check.Status = registry.Critical
	default:
		check.Status = registry.Unknown
	}
	in.Checks = []registry.Check{check}
	in.Health = check.Status
	return in
}
