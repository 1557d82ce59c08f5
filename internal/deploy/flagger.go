package deploy

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FlaggerCanary is a Flagger Canary (flagger.app/v1beta1): Flagger clones
// the target Deployment into a primary and shifts traffic per analysis.
type FlaggerCanary struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              FlaggerCanarySpec `json:"spec"`
}

// FlaggerCanarySpec is a Canary's spec.
type FlaggerCanarySpec struct {
	Provider                string           `json:"provider,omitempty"`
	TargetRef               FlaggerTargetRef `json:"targetRef"`
	ProgressDeadlineSeconds *int32           `json:"progressDeadlineSeconds,omitempty"`
	Service                 FlaggerService   `json:"service"`
	Analysis                FlaggerAnalysis  `json:"analysis"`
	// IngressRef (nginx) and RouteRef (apisix) name the object Flagger
	// routes through; its routers refuse a Canary without them.
	IngressRef *FlaggerTargetRef `json:"ingressRef,omitempty"`
	RouteRef   *FlaggerTargetRef `json:"routeRef,omitempty"`
}

// FlaggerTargetRef names the Deployment Flagger manages.
type FlaggerTargetRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// FlaggerService is the port Flagger exposes.
type FlaggerService struct {
	Port       int32 `json:"port"`
	TargetPort int32 `json:"targetPort,omitempty"`
	// GatewayRefs are the Gateway API Gateways the HTTPRoute Flagger
	// writes attaches to (gateway-api only; required there).
	GatewayRefs []FlaggerParentRef `json:"gatewayRefs,omitempty"`
}

// FlaggerParentRef is a Gateway API parent reference.
type FlaggerParentRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// FlaggerAnalysis is the canary analysis: its schedule, weights or
// iterations, A/B match, mirroring and metrics.
type FlaggerAnalysis struct {
	Interval     string          `json:"interval"`
	Threshold    int32           `json:"threshold"`
	MaxWeight    int32           `json:"maxWeight,omitempty"`
	StepWeight   int32           `json:"stepWeight,omitempty"`
	StepWeights  []int32         `json:"stepWeights,omitempty"`
	Iterations   int32           `json:"iterations,omitempty"`
	Match        []FlaggerMatch  `json:"match,omitempty"`
	Mirror       bool            `json:"mirror,omitempty"`
	MirrorWeight int32           `json:"mirrorWeight,omitempty"`
	Metrics      []FlaggerMetric `json:"metrics"`
}

// FlaggerMatch is an HTTP match condition (Istio style).
type FlaggerMatch struct {
	Headers map[string]StringMatch `json:"headers,omitempty"`
}

// FlaggerMetric is a builtin metric check.
type FlaggerMetric struct {
	Name           string                 `json:"name"`
	ThresholdRange *FlaggerThresholdRange `json:"thresholdRange"`
	Interval       string                 `json:"interval"`
}

// FlaggerThresholdRange bounds a metric.
type FlaggerThresholdRange struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// iterations is how many one-minute analysis runs fill the observation
// time (at least one).
func iterations(pause Duration) int32 {
	return int32(max(1, int(pause.D().Minutes())))
}

var flaggerProviders = map[string]string{
	"none": "kubernetes", "istio": "istio", "nginx": "nginx", "gateway-api": "gatewayapi:v1",
	"linkerd": "linkerd", "traefik": "traefik", "alb": "appmesh", "apisix": "apisix", "contour": "contour",
}

// flaggerInterval writes d as Flagger's CRD accepts an analysis interval:
// whole minutes or seconds ("^[0-9]+(m|s)"), so two hours is "120m",
// never "2h", which the API server would reject.
func flaggerInterval(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", (d+time.Second-1)/time.Second)
}

func flaggerCanary(spec Spec, w Workload) (*FlaggerCanary, error) {
	provider := flaggerProviders[spec.TrafficRouter]
	if spec.TrafficRouter == "alb" {
		return nil, fmt.Errorf("Flagger has no ALB provider: use --target argo-rollouts or another router")
	}
	// Flagger runs an analysis every interval; steps advance once per
	// interval, so the interval is the canary's pause (at least 1m).
	interval := spec.Pause.D()
	if len(spec.Steps) > 0 && spec.Steps[0].Pause > 0 {
		interval = spec.Steps[0].Pause.D()
	}
	if interval < 60e9 {
		interval = 60e9
	}
	successMin := 100 - spec.ErrorThreshold
	a := FlaggerAnalysis{
		Interval:  flaggerInterval(interval),
		Threshold: 5,
		Metrics:   []FlaggerMetric{{Name: "request-success-rate", ThresholdRange: &FlaggerThresholdRange{Min: &successMin}, Interval: "1m"}},
	}
	switch spec.Strategy {
	case Recreate, Rolling:
		return nil, fmt.Errorf("Flagger does not run %s: render it with --target k8s", spec.Strategy)
	case Canary:
		if spec.TrafficRouter == "none" {
			return nil, fmt.Errorf("Flagger canaries shift traffic with a router: set --traffic-router, or use --target argo-rollouts for a replica-weighted canary")
		}
		for _, st := range spec.Steps {
			if st.Weight < 100 {
				a.StepWeights = append(a.StepWeights, int32(st.Weight))
			}
		}
		// stepWeights replaces stepWeight and maxWeight: Flagger promotes
		// after the last one.
	case BlueGreen:
		// Blue-green: analysis iterations on the new version for the
		// observation time, then the switch (provider kubernetes needs no mesh).
		a.Interval, a.Iterations = "1m", iterations(spec.Pause)
	case AB:
		if !contains([]string{"istio", "nginx", "contour", "gateway-api"}, spec.TrafficRouter) {
			return nil, fmt.Errorf("Flagger A/B testing needs istio, nginx, contour or gateway-api, not %s", spec.TrafficRouter)
		}
		a.Interval, a.Iterations = "1m", iterations(spec.Pause)
		for _, m := range spec.Match {
			mm, _ := ParseMatch(m)
			if mm.Kind != "header" && mm.Kind != "cookie" {
				return nil, fmt.Errorf("Flagger A/B matches headers and cookies, not %s %q", mm.Kind, mm.Name)
			}
			if mm.Kind == "cookie" && spec.TrafficRouter == "nginx" {
				// NGINX routes by cookie name; the cookie's value must be "always".
				a.Match = append(a.Match, FlaggerMatch{Headers: map[string]StringMatch{"cookie": {Exact: mm.Name}}})
				continue
			}
			if mm.Kind == "cookie" {
				a.Match = append(a.Match, FlaggerMatch{Headers: map[string]StringMatch{"cookie": {Regex: "^(.*?;)?(" + mm.Name + "=" + mm.Value + ")(;.*)?$"}}})
				continue
			}
			a.Match = append(a.Match, FlaggerMatch{Headers: map[string]StringMatch{mm.Name: {Exact: mm.Value}}})
		}
		if len(a.Match) == 0 {
			return nil, fmt.Errorf("A/B needs at least one --match header:NAME=VALUE rule")
		}
	case Shadow:
		if spec.TrafficRouter != "istio" && spec.TrafficRouter != "gateway-api" {
			return nil, fmt.Errorf("Flagger mirrors traffic with istio or gateway-api, not %s", spec.TrafficRouter)
		}
		a.Interval, a.Iterations = "1m", iterations(spec.Pause)
		a.Mirror = true
		a.MirrorWeight = int32(spec.ShadowPercent)
	}
	c := &FlaggerCanary{
		TypeMeta:   metav1.TypeMeta{APIVersion: "flagger.app/v1beta1", Kind: "Canary"},
		ObjectMeta: metav1.ObjectMeta{Name: w.Name},
		Spec: FlaggerCanarySpec{
			Provider:                provider,
			TargetRef:               FlaggerTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: w.Name},
			ProgressDeadlineSeconds: ptr(int32(600)),
			Service:                 FlaggerService{Port: w.servicePort(), TargetPort: w.Port},
			Analysis:                a,
		},
	}
	switch spec.TrafficRouter {
	case "nginx":
		c.Spec.IngressRef = &FlaggerTargetRef{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: w.Name}
	case "apisix":
		c.Spec.RouteRef = &FlaggerTargetRef{APIVersion: "apisix.apache.org/v2", Kind: "ApisixRoute", Name: w.Name}
	case "gateway-api":
		ns, name := w.gateway()
		c.Spec.Service.GatewayRefs = []FlaggerParentRef{{Name: name, Namespace: ns}}
	}
	return c, nil
}
