package doctor

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/msctl/msctl/internal/registry"
)

// probe dials each instance's port, and asks its HTTP check URL or gRPC
// health service where one is declared, with bounded parallelism.
func probe(ctx context.Context, opts Options, ins []registry.Instance) []Probe {
	var out []Probe
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, opts.Concurrency)
	run := func(p Probe, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, opts.ProbeTimeout)
			defer cancel()
			if err := f(pctx); err != nil {
				p.Error = err.Error()
			} else {
				p.OK = true
			}
			mu.Lock()
			out = append(out, p)
			mu.Unlock()
		}()
	}
	for _, in := range ins {
		if in.Port <= 0 || in.Address == "" {
			continue
		}
		target := net.JoinHostPort(in.Address, strconv.Itoa(in.Port))
		run(Probe{Instance: in.ID, Kind: "tcp", Target: target}, func(ctx context.Context) error {
			c, err := opts.Dial(ctx, "tcp", target)
			if err != nil {
				return err
			}
			return c.Close()
		})
		for _, c := range in.Checks {
			if c.Type == "grpc" && c.Definition != "" {
				target, svc, _ := strings.Cut(c.Definition, "/")
				run(Probe{Instance: in.ID, Kind: "grpc", Target: c.Definition}, func(ctx context.Context) error {
					return grpcHealth(ctx, target, svc)
				})
			}
			if c.Type == "http" && strings.HasPrefix(c.Definition, "http") {
				url := c.Definition
				run(Probe{Instance: in.ID, Kind: "http", Target: url}, func(ctx context.Context) error {
					req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
					if err != nil {
						return err
					}
					resp, err := opts.HTTP.Do(req)
					if err != nil {
						return err
					}
					_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
					resp.Body.Close()
					if resp.StatusCode >= 300 {
						return fmt.Errorf("HTTP %d", resp.StatusCode)
					}
					return nil
				})
			}
		}
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Instance != out[j].Instance {
			return out[i].Instance < out[j].Instance
		}
		return out[i].Kind > out[j].Kind
	})
	return out
}

// probeView turns probe results into findings: a probe that fails against
// an instance the registry calls healthy is the classic "check passing but
// nothing listens" (a check on the wrong port, or a check that tests
// something else than what clients use).
func probeView(probes []Probe, ins []registry.Instance, now time.Time, add func(Finding)) SourceView {
	byID := map[string]registry.Instance{}
	for _, in := range ins {
		byID[in.ID] = in
	}
	ok := 0
	for _, p := range probes {
		if p.OK {
			ok++
			continue
		}
		in := byID[p.Instance]
		if in.Health == registry.Critical {
			continue // already reported as critical; the probe only agrees
		}
		id, what := "port-closed", "does not accept TCP connections"
		switch p.Kind {
		case "http":
			id, what = "http-health-failed", "HTTP health endpoint fails"
		case "grpc":
			id, what = "grpc-health-failed", "gRPC health service fails"
		}
		reason := fmt.Sprintf("%s is %s in the registry but %s %s: %s", in.ID, in.Health, p.Target, what, p.Error)
		next := "the health check does not test what clients use: point the check at the service port, or fix the registered address/port"
		nextRun := func(c registry.Check) string {
			if c.Interval <= 0 {
				return ""
			}
			return fmt.Sprintf(" (it runs every %s: next run by %s)", c.Interval, now.Add(c.Interval).UTC().Format("15:04:05 UTC"))
		}
		if c, ok := checkOfTarget(in, p); ok {
			// The registry's own check tests this very target and last
			// passed: it has not run since the target stopped answering,
			// as right after a crash. Blaming the check would be wrong.
			reason += fmt.Sprintf("; its %s check %s tests the same target and has not run since: the check is stale%s", c.Type, c.ID, nextRun(c))
			next = "the instance probably stopped moments ago: its check marks it critical at the next run; meanwhile clients are still sent to it, so look at the instance's process and logs"
		} else if c, ok := networkCheckOfUnknownTarget(in); ok {
			// Consul does not tell what a check registered with a service
			// targets: it may test this port and be stale, or test
			// something else.
			reason += fmt.Sprintf("; its %s check %s last passed and may be stale, not having run since%s", c.Type, c.ID, nextRun(c))
			next = "if the instance just stopped, its check marks it critical at the next run; if it still passes after that, the check does not test what clients use: point it at the service port, or fix the registered address/port"
		} else if hasPassingTTL(in) {
			next = "its TTL check only says the process sent a heartbeat within the TTL: if the instance just stopped, the check turns critical when the TTL runs out; if it runs, the check does not test what clients use (add a TCP or HTTP check of the service port)"
		}
		add(Finding{ID: id, Severity: Critical, Instance: in.ID, Node: in.Node, Reason: reason, Next: next})
	}
	st := "ok"
	if ok < len(probes) {
		st = "differs"
	}
	return SourceView{Name: "probe", Status: st, Detail: fmt.Sprintf("%d of %d probes succeeded", ok, len(probes))}
}

// checkOfTarget returns the passing check of in that tests what probe p
// tested: a TCP check of the same address, an HTTP check of the same URL
// (or, for a TCP probe, of the same host and port), a gRPC check of the
// same target.
func checkOfTarget(in registry.Instance, p Probe) (registry.Check, bool) {
	for _, c := range in.Checks {
		if c.Status != registry.Passing || c.Definition == "" {
			continue
		}
		var hostPort string
		switch c.Type {
		case "tcp":
			hostPort = c.Definition
		case "http":
			if p.Kind == "http" && c.Definition == p.Target {
				return c, true
			}
			if u, err := url.Parse(c.Definition); err == nil {
				port := u.Port()
				if port == "" {
					port = "80"
					if u.Scheme == "https" {
						port = "443"
					}
				}
				hostPort = net.JoinHostPort(u.Hostname(), port)
			}
		case "grpc":
			if p.Kind == "grpc" && c.Definition == p.Target {
				return c, true
			}
			hostPort, _, _ = strings.Cut(c.Definition, "/")
		}
		if p.Kind == "tcp" && hostPort != "" && sameHostPort(hostPort, p.Target) {
			return c, true
		}
	}
	return registry.Check{}, false
}

// sameHostPort compares host:port pairs, localhost and 127.0.0.1 alike.
func sameHostPort(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb {
		return false
	}
	norm := func(h string) string {
		if h == "localhost" {
			return "127.0.0.1"
		}
		return h
	}
	return norm(ha) == norm(hb)
}

// networkCheckOfUnknownTarget returns a passing check of in that probes
// over the network but whose target the registry does not say.
func networkCheckOfUnknownTarget(in registry.Instance) (registry.Check, bool) {
	for _, c := range in.Checks {
		switch c.Type {
		case "tcp", "http", "grpc", "h2ping", "udp":
			if c.Status == registry.Passing && c.Definition == "" {
				return c, true
			}
		}
	}
	return registry.Check{}, false
}

func hasPassingTTL(in registry.Instance) bool {
	for _, c := range in.Checks {
		if c.Type == "ttl" && c.Status == registry.Passing {
			return true
		}
	}
	return false
}

// grpcHealth asks target's grpc.health.v1.Health service about svc ("" is
// the whole server), as Consul's gRPC check does, in plaintext as Consul
// does unless the check asks for TLS (which the registry does not tell).
func grpcHealth(ctx context.Context, target, svc string) error {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
	if err != nil {
		return err
	}
	if st := resp.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health status %s", st)
	}
	return nil
}
