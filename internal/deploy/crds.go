package deploy

import (
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The Argo Rollouts (argoproj.io/v1alpha1) and Flagger (flagger.app/v1beta1)
// types below carry the subset of fields msctl writes, with the names and
// shapes those projects document. Importing their Go modules would pull
// their controllers' dependencies into msctl; these structs are enough to
// write and strictly read back the manifests.

// Rollout is an Argo Rollouts Rollout.
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              RolloutSpec `json:"spec"`
}

// RolloutSpec is a Rollout's spec.
type RolloutSpec struct {
	Replicas int32                  `json:"replicas"`
	Selector *metav1.LabelSelector  `json:"selector"`
	Template corev1.PodTemplateSpec `json:"template"`
	Strategy RolloutStrategy        `json:"strategy"`
}

// RolloutStrategy holds exactly one of canary or blueGreen.
type RolloutStrategy struct {
	Canary    *CanaryStrategy    `json:"canary,omitempty"`
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
}

// BlueGreenStrategy is spec.strategy.blueGreen.
type BlueGreenStrategy struct {
	ActiveService        string `json:"activeService"`
	PreviewService       string `json:"previewService"`
	AutoPromotionEnabled *bool  `json:"autoPromotionEnabled,omitempty"`
	// PostPromotionAnalysis judges green after the switch; failing it
	// switches back to blue while blue is still scaled up.
	PostPromotionAnalysis *RolloutAnalysis `json:"postPromotionAnalysis,omitempty"`
	PreviewReplicaCount   *int32           `json:"previewReplicaCount,omitempty"`
	ScaleDownDelaySeconds *int32           `json:"scaleDownDelaySeconds,omitempty"`
}

// CanaryStrategy is spec.strategy.canary.
type CanaryStrategy struct {
	CanaryService  string                 `json:"canaryService,omitempty"`
	StableService  string                 `json:"stableService,omitempty"`
	MaxSurge       *intstr.IntOrString    `json:"maxSurge,omitempty"`
	MaxUnavailable *intstr.IntOrString    `json:"maxUnavailable,omitempty"`
	TrafficRouting *RolloutTrafficRouting `json:"trafficRouting,omitempty"`
	Steps          []RolloutStep          `json:"steps,omitempty"`
}

// RolloutTrafficRouting is spec.strategy.canary.trafficRouting.
type RolloutTrafficRouting struct {
	ManagedRoutes []ManagedRoute          `json:"managedRoutes,omitempty"`
	Istio         *IstioTrafficRouting    `json:"istio,omitempty"`
	Nginx         *NginxTrafficRouting    `json:"nginx,omitempty"`
	Plugins       map[string]PluginConfig `json:"plugins,omitempty"`
	SMI           *SMITrafficRouting      `json:"smi,omitempty"`
	Traefik       *TraefikTrafficRouting  `json:"traefik,omitempty"`
	ALB           *ALBTrafficRouting      `json:"alb,omitempty"`
	Apisix        *ApisixTrafficRouting   `json:"apisix,omitempty"`
}

// ManagedRoute names a route Argo adds for header or mirror steps.
type ManagedRoute struct {
	Name string `json:"name"`
}

// IstioTrafficRouting points at a VirtualService.
type IstioTrafficRouting struct {
	VirtualService *IstioVirtualService `json:"virtualService"`
}

// IstioVirtualService names the VirtualService and its routes.
type IstioVirtualService struct {
	Name   string   `json:"name"`
	Routes []string `json:"routes,omitempty"`
}

// NginxTrafficRouting names the stable Ingress.
type NginxTrafficRouting struct {
	StableIngress string `json:"stableIngress"`
}

// PluginConfig is a traffic router plugin's configuration: the Gateway
// API plugin names an HTTPRoute, the Contour plugin an HTTPProxy.
type PluginConfig struct {
	HTTPRoute string `json:"httpRoute,omitempty"`
	HTTPProxy string `json:"httpProxy,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// SMITrafficRouting is used for Linkerd (through SMI TrafficSplit).
type SMITrafficRouting struct {
	RootService string `json:"rootService,omitempty"`
}

// TraefikTrafficRouting names the TraefikService.
type TraefikTrafficRouting struct {
	WeightedTraefikServiceName string `json:"weightedTraefikServiceName"`
}

// ALBTrafficRouting names the Ingress and its service port.
type ALBTrafficRouting struct {
	Ingress     string `json:"ingress"`
	ServicePort int32  `json:"servicePort"`
}

// ApisixTrafficRouting names the ApisixRoute.
type ApisixTrafficRouting struct {
	Route *ApisixRoute `json:"route"`
}

// ApisixRoute names an ApisixRoute and its rules.
type ApisixRoute struct {
	Name  string   `json:"name"`
	Rules []string `json:"rules,omitempty"`
}

// RolloutStep is one canary step; exactly one field is set.
type RolloutStep struct {
	SetWeight      *int32              `json:"setWeight,omitempty"`
	Pause          *RolloutPause       `json:"pause,omitempty"`
	Analysis       *RolloutAnalysis    `json:"analysis,omitempty"`
	SetHeaderRoute *SetHeaderRoute     `json:"setHeaderRoute,omitempty"`
	SetMirrorRoute *SetMirrorRoute     `json:"setMirrorRoute,omitempty"`
	SetCanaryScale *SetCanaryScaleStep `json:"setCanaryScale,omitempty"`
}

// SetCanaryScaleStep sets canary replicas independently of the weight.
type SetCanaryScaleStep struct {
	Replicas *int32 `json:"replicas,omitempty"`
	Weight   *int32 `json:"weight,omitempty"`
}

// RolloutPause pauses for a duration ("" pauses until promoted).
type RolloutPause struct {
	Duration *intstr.IntOrString `json:"duration,omitempty"`
}

// RolloutAnalysis runs analysis templates inline.
type RolloutAnalysis struct {
	Templates []AnalysisTemplateRef `json:"templates"`
	Args      []AnalysisArg         `json:"args,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate.
type AnalysisTemplateRef struct {
	TemplateName string `json:"templateName"`
}

// AnalysisArg passes a value to a template argument.
type AnalysisArg struct {
	Name  string  `json:"name"`
	Value *string `json:"value,omitempty"`
}

// SetHeaderRoute sends requests matching headers to the canary.
type SetHeaderRoute struct {
	Name  string               `json:"name"`
	Match []HeaderRoutingMatch `json:"match,omitempty"`
}

// HeaderRoutingMatch matches one header.
type HeaderRoutingMatch struct {
	HeaderName  string      `json:"headerName"`
	HeaderValue StringMatch `json:"headerValue"`
}

// StringMatch is exact, prefix or regex.
type StringMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// SetMirrorRoute mirrors a percentage of matching requests to the canary.
type SetMirrorRoute struct {
	Name       string       `json:"name"`
	Percentage *int32       `json:"percentage,omitempty"`
	Match      []RouteMatch `json:"match,omitempty"`
}

// RouteMatch matches requests by method and path.
type RouteMatch struct {
	Method *StringMatch `json:"method,omitempty"`
	Path   *StringMatch `json:"path,omitempty"`
}

// AnalysisTemplate is an Argo Rollouts AnalysisTemplate.
type AnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              AnalysisTemplateSpec `json:"spec"`
}

// AnalysisTemplateSpec holds args and metrics.
type AnalysisTemplateSpec struct {
	Args    []AnalysisArg `json:"args,omitempty"`
	Metrics []Metric      `json:"metrics"`
}

// Metric is one measurement with its success condition.
type Metric struct {
	Name             string              `json:"name"`
	Interval         string              `json:"interval,omitempty"`
	Count            *intstr.IntOrString `json:"count,omitempty"`
	SuccessCondition string              `json:"successCondition,omitempty"`
	FailureLimit     *intstr.IntOrString `json:"failureLimit,omitempty"`
	Provider         MetricProvider      `json:"provider"`
}

// MetricProvider holds the Prometheus query.
type MetricProvider struct {
	Prometheus *PrometheusMetric `json:"prometheus,omitempty"`
}

// PrometheusMetric is a Prometheus query.
type PrometheusMetric struct {
	Address string `json:"address"`
	Query   string `json:"query"`
}

func (r *Rollout) services() []string {
	var out []string
	if c := r.Spec.Strategy.Canary; c != nil && c.StableService != "" {
		out = append(out, c.StableService, c.CanaryService)
		// SMI splits traffic sent to the root Service, which selects
		// both versions; Argo Rollouts does not create it.
		if t := c.TrafficRouting; t != nil && t.SMI != nil && t.SMI.RootService != "" {
			out = append(out, t.SMI.RootService)
		}
	}
	if b := r.Spec.Strategy.BlueGreen; b != nil {
		out = append(out, b.ActiveService, b.PreviewService)
	}
	if len(out) == 0 {
		out = []string{r.Name}
	}
	return out
}

func (r *Rollout) hasAnalysis() bool {
	if b := r.Spec.Strategy.BlueGreen; b != nil {
		return b.PostPromotionAnalysis != nil
	}
	if c := r.Spec.Strategy.Canary; c != nil {
		for _, s := range c.Steps {
			if s.Analysis != nil {
				return true
			}
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

func pauseDuration(d Duration) *intstr.IntOrString {
	is := intstr.FromString(d.String())
	return &is
}

func rollout(spec Spec, w Workload) (*Rollout, error) {
	r := &Rollout{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout"},
		ObjectMeta: metav1.ObjectMeta{Name: w.Name, Labels: labels(w)},
		Spec: RolloutSpec{
			Replicas: int32(spec.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels(w)},
			Template: podTemplate(spec, w),
		},
	}
	switch spec.Strategy {
	case Recreate:
		return nil, fmt.Errorf("Argo Rollouts has no recreate strategy: render it with --target k8s")
	case BlueGreen:
		bg := &BlueGreenStrategy{
			ActiveService: w.Name + "-active", PreviewService: w.Name + "-preview",
			AutoPromotionEnabled:  ptr(false),
			ScaleDownDelaySeconds: ptr(int32(spec.ScaleDownDelay.D().Seconds())),
		}
		if spec.PreviewReplicas > 0 {
			bg.PreviewReplicaCount = ptr(int32(spec.PreviewReplicas))
		}
		bg.PostPromotionAnalysis = errorRateAnalysis(w, bg.ActiveService)
		r.Spec.Strategy.BlueGreen = bg
		return r, nil
	}
	c := &CanaryStrategy{MaxSurge: toIntstr(spec.MaxSurge), MaxUnavailable: toIntstr(spec.MaxUnavailable)}
	r.Spec.Strategy.Canary = c
	if spec.Strategy == Rolling {
		// A canary without steps rolls like a Deployment.
		return r, nil
	}
	if spec.TrafficRouter != "none" {
		c.StableService, c.CanaryService = w.Name+"-stable", w.Name+"-canary"
		c.TrafficRouting = trafficRouting(spec.TrafficRouter, w)
	} else if spec.Strategy != Canary {
		return nil, fmt.Errorf("%s needs a layer-7 traffic router: set --traffic-router", spec.Strategy)
	}
	analysis := errorRateAnalysis(w, w.Name)
	if c.CanaryService != "" {
		analysis = errorRateAnalysis(w, c.CanaryService)
	}
	observe := func(p Duration, gate bool) {
		if p > 0 {
			c.Steps = append(c.Steps, RolloutStep{Pause: &RolloutPause{Duration: pauseDuration(p)}})
		}
		if gate {
			c.Steps = append(c.Steps, RolloutStep{Analysis: analysis})
		}
	}
	switch spec.Strategy {
	case Canary:
		for _, st := range spec.Steps {
			c.Steps = append(c.Steps, RolloutStep{SetWeight: ptr(int32(st.Weight))})
			if st.Weight < 100 {
				observe(st.Pause, st.Analysis)
			}
		}
	case AB:
		if spec.TrafficRouter != "istio" && spec.TrafficRouter != "gateway-api" {
			return nil, fmt.Errorf("Argo Rollouts routes by header (setHeaderRoute) with istio or gateway-api only, not %s: use --target flagger", spec.TrafficRouter)
		}
		c.TrafficRouting.ManagedRoutes = []ManagedRoute{{Name: "ab-match"}}
		var ms []HeaderRoutingMatch
		for _, m := range spec.Match {
			mm, _ := ParseMatch(m)
			if mm.Kind != "header" {
				return nil, fmt.Errorf("Argo Rollouts header routes match headers only, not %s %q", mm.Kind, mm.Name)
			}
			ms = append(ms, HeaderRoutingMatch{HeaderName: mm.Name, HeaderValue: StringMatch{Exact: mm.Value}})
		}
		if len(ms) == 0 {
			return nil, fmt.Errorf("A/B needs at least one --match header:NAME=VALUE rule")
		}
		n := int32(max(1, int(math.Ceil(float64(spec.Replicas)*spec.MatchPercent/100))))
		c.Steps = append(c.Steps,
			RolloutStep{SetCanaryScale: &SetCanaryScaleStep{Replicas: ptr(n)}},
			RolloutStep{SetHeaderRoute: &SetHeaderRoute{Name: "ab-match", Match: ms}})
		observe(spec.Pause, true)
		c.Steps = append(c.Steps, RolloutStep{SetHeaderRoute: &SetHeaderRoute{Name: "ab-match"}}, RolloutStep{SetWeight: ptr(int32(100))})
	case Shadow:
		if spec.TrafficRouter != "istio" {
			return nil, fmt.Errorf("Argo Rollouts mirrors traffic (setMirrorRoute) with istio only, not %s", spec.TrafficRouter)
		}
		c.TrafficRouting.ManagedRoutes = []ManagedRoute{{Name: "shadow"}}
		n := int32(max(1, int(math.Ceil(float64(spec.Replicas)*spec.ShadowPercent/100))))
		mirror := &SetMirrorRoute{Name: "shadow", Percentage: ptr(int32(spec.ShadowPercent))}
		if !spec.ShadowWrites {
			// Only idempotent reads are copied: the shadow executes them.
			mirror.Match = []RouteMatch{{Method: &StringMatch{Exact: "GET"}}}
		}
		c.Steps = append(c.Steps, RolloutStep{SetCanaryScale: &SetCanaryScaleStep{Replicas: ptr(n)}}, RolloutStep{SetMirrorRoute: mirror})
		observe(spec.Pause, true)
		c.Steps = append(c.Steps, RolloutStep{SetMirrorRoute: &SetMirrorRoute{Name: "shadow"}}, RolloutStep{SetWeight: ptr(int32(100))})
	}
	return r, nil
}

// errorRateAnalysis runs the error-rate template against service: the
// canary's Service when a router splits traffic, so that the gate judges the
// new version's requests only.
func errorRateAnalysis(w Workload, service string) *RolloutAnalysis {
	return &RolloutAnalysis{Templates: []AnalysisTemplateRef{{TemplateName: w.Name + "-error-rate"}},
		Args: []AnalysisArg{{Name: "service-name", Value: ptr(service)}}}
}

func trafficRouting(router string, w Workload) *RolloutTrafficRouting {
	name := w.Name
	t := &RolloutTrafficRouting{}
	switch router {
	case "istio":
		t.Istio = &IstioTrafficRouting{VirtualService: &IstioVirtualService{Name: name, Routes: []string{"primary"}}}
	case "nginx":
		t.Nginx = &NginxTrafficRouting{StableIngress: name}
	case "gateway-api":
		t.Plugins = map[string]PluginConfig{"argoproj-labs/gatewayAPI": {HTTPRoute: name}}
	case "linkerd":
		t.SMI = &SMITrafficRouting{RootService: name}
	case "traefik":
		t.Traefik = &TraefikTrafficRouting{WeightedTraefikServiceName: name}
	case "alb":
		t.ALB = &ALBTrafficRouting{Ingress: name, ServicePort: w.servicePort()}
	case "apisix":
		t.Apisix = &ApisixTrafficRouting{Route: &ApisixRoute{Name: name}}
	case "contour":
		t.Plugins = map[string]PluginConfig{"argoproj-labs/contour": {HTTPProxy: name}}
	}
	return t
}

// analysisInterval is how often the error-rate query runs; the query's
// own range ([1m]) matches it, so measurements do not overlap.
const analysisInterval = Duration(time.Minute)

// analysisCount is how many measurements one analysis gate takes: as many
// intervals as the observation pause holds (A/B and shadow observe for
// --pause), at least one and at most 60, so that a gate ends on its own.
func analysisCount(spec Spec) int32 {
	n := int64(spec.Pause) / int64(analysisInterval)
	return int32(min(max(n, 1), 60))
}

func analysisTemplate(spec Spec, w Workload) *AnalysisTemplate {
	sel := `service="{{args.service-name}}"`
	return &AnalysisTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "AnalysisTemplate"},
		ObjectMeta: metav1.ObjectMeta{Name: w.Name + "-error-rate"},
		Spec: AnalysisTemplateSpec{
			Args: []AnalysisArg{{Name: "service-name"}},
			Metrics: []Metric{{
				Name:     "error-rate",
				Interval: analysisInterval.String(),
				// Argo rejects a metric with an interval and no count in
				// inline and pre/post-promotion analysis ("runs
				// indefinitely"), marking the Rollout InvalidSpec.
				Count:            ptr(intstr.FromInt32(analysisCount(spec))),
				SuccessCondition: fmt.Sprintf("result[0] < %g", spec.ErrorThreshold/100),
				FailureLimit:     ptr(intstr.FromInt32(1)),
				Provider: MetricProvider{Prometheus: &PrometheusMetric{
					Address: w.Prometheus,
					Query:   fmt.Sprintf(`sum(rate(http_requests_total{%s,code=~"5.."}[1m])) / sum(rate(http_requests_total{%s}[1m]))`, sel, sel),
				}},
			}},
		},
	}
}
