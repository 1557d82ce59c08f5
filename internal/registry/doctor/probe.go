package doctor

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

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
func probeView(probes []Probe, ins []registry.Instance, add func(Finding)) SourceView {
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
		add(Finding{ID: id, Severity: Critical, Instance: in.ID, Node: in.Node,
			Reason: fmt.Sprintf("%s is %s in the registry but %s %s: %s", in.ID, in.Health, p.Target, what, p.Error),
			Next:   "the health check does not test what clients use: point the check at the service port, or fix the registered address/port"})
	}
	st := "ok"
	if ok < len(probes) {
		st = "differs"
	}
	return SourceView{Name: "probe", Status: st, Detail: fmt.Sprintf("%d of %d probes succeeded", ok, len(probes))}
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
