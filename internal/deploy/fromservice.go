package deploy

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/msctl/msctl/internal/servicefile"
)

// WorkloadFromService fills a Workload from a service.yaml, so that a
// render with --from describes the service that `msctl new` generated
// as its own deploy/k8s manifests do: its HTTP and gRPC ports (the Service
// exposes them on the same numbers), its readiness path, its version as
// the image tag, and its listen addresses and rate limit as the
// environment the generated main reads.
func WorkloadFromService(svc *servicefile.Service) Workload {
	w := Workload{Name: svc.Name, Env: map[string]string{}}
	if v := svc.Version; v != "" {
		w.Image = svc.Name + ":" + v
	}
	if p := svc.Ports["http"]; p > 0 {
		w.Port, w.ServicePort = int32(p), int32(p)
		// The generated service may listen on loopback by default; in a
		// pod it must listen on the pod's address.
		w.Env["HTTP_ADDR"] = fmt.Sprintf(":%d", p)
	}
	if p := svc.Ports["grpc"]; p > 0 && slices.Contains(svc.Protocols, "grpc") {
		w.GRPCPort = int32(p)
		w.Env["GRPC_ADDR"] = fmt.Sprintf(":%d", p)
	}
	w.ReadyPath = svc.HealthPath
	for _, rl := range svc.RateLimits {
		if rl.Protocol == "http" && rl.Rate > 0 {
			w.Env["RATE_LIMIT"] = strconv.FormatFloat(rl.Rate, 'f', -1, 64)
			if rl.Burst > 0 {
				w.Env["RATE_BURST"] = strconv.Itoa(rl.Burst)
			}
		}
	}
	return w
}
