package deploy

import (
	"bytes"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// docs splits a rendered stream and returns each document's kind.
func docs(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, d := range bytes.Split(b, []byte("---\n")) {
		var tm struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(d, &tm); err != nil {
			t.Fatal(err)
		}
		out[tm.APIVersion+"/"+tm.Kind+"/"+strings.Repeat("+", len(out))] = d
	}
	return out
}

func strict(t *testing.T, b []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, b)
	}
}

func renderSpec(strategy, router string) Spec {
	s := DefaultSpec()
	s.Strategy, s.Replicas, s.TrafficRouter = strategy, 4, router
	s.Resources = map[string]string{"cpu": "500m", "memory": "256Mi"}
	s.Match = []string{"header:x-group=beta"}
	s.Steps, _ = ParseSteps("5,25:10m,50,100", Duration(5*time.Minute), true)
	return s
}

var wl = Workload{Name: "orders", Image: "ghcr.io/acme/orders:1.2.0", Port: 8080, Prometheus: "http://prometheus:9090"}

// TestRenderDecodesStrictly renders every strategy on every target that
// supports it and decodes each document back, strictly, into its type.
func TestRenderDecodesStrictly(t *testing.T) {
	for _, target := range Targets {
		for _, strategy := range Strategies {
			router := "istio"
			b, err := Render(renderSpec(strategy, router), wl, target)
			unsupported := (target == TargetK8s && strategy != Recreate && strategy != Rolling) ||
				(target == TargetArgo && strategy == Recreate) ||
				(target == TargetFlagger && (strategy == Recreate || strategy == Rolling))
			if unsupported {
				if err == nil {
					t.Errorf("%s/%s: rendered, want an error", target, strategy)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s/%s: %v", target, strategy, err)
			}
			kinds := 0
			for key, d := range docs(t, b) {
				switch {
				case strings.HasPrefix(key, "apps/v1/Deployment/"):
					var dep appsv1.Deployment
					strict(t, d, &dep)
					if *dep.Spec.Replicas != 4 || dep.Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().MilliValue() != 500 {
						t.Errorf("%s/%s: deployment %+v", target, strategy, dep.Spec)
					}
				case strings.HasPrefix(key, "v1/Service/"):
					var svc corev1.Service
					strict(t, d, &svc)
				case strings.HasPrefix(key, "argoproj.io/v1alpha1/Rollout/"):
					var ro Rollout
					strict(t, d, &ro)
					if (ro.Spec.Strategy.Canary == nil) == (ro.Spec.Strategy.BlueGreen == nil) {
						t.Errorf("%s: rollout needs exactly one strategy", strategy)
					}
				case strings.HasPrefix(key, "argoproj.io/v1alpha1/AnalysisTemplate/"):
					var at AnalysisTemplate
					strict(t, d, &at)
					if at.Spec.Metrics[0].SuccessCondition != "result[0] < 0.01" {
						t.Errorf("success condition %q", at.Spec.Metrics[0].SuccessCondition)
					}
				case strings.HasPrefix(key, "flagger.app/v1beta1/Canary/"):
					var c FlaggerCanary
					strict(t, d, &c)
				default:
					t.Errorf("%s/%s: unexpected document %s", target, strategy, key)
				}
				kinds++
			}
			if kinds < 2 {
				t.Errorf("%s/%s: %d documents", target, strategy, kinds)
			}
		}
	}
}

func TestRenderRollingDeployment(t *testing.T) {
	s := renderSpec(Rolling, "none")
	s.MaxSurge, s.MaxUnavailable = mustIP("1"), mustIP("0")
	b, err := Render(s, wl, TargetK8s)
	if err != nil {
		t.Fatal(err)
	}
	var dep appsv1.Deployment
	strict(t, bytes.Split(b, []byte("---\n"))[0], &dep)
	ru := dep.Spec.Strategy.RollingUpdate
	if dep.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru.MaxSurge.IntValue() != 1 || ru.MaxUnavailable.IntValue() != 0 {
		t.Errorf("strategy %+v", dep.Spec.Strategy)
	}
}

func TestRenderCanarySteps(t *testing.T) {
	b, err := Render(renderSpec(Canary, "none"), wl, TargetArgo)
	if err != nil {
		t.Fatal(err)
	}
	var ro Rollout
	strict(t, bytes.Split(b, []byte("---\n"))[0], &ro)
	var weights []int32
	analyses := 0
	for _, st := range ro.Spec.Strategy.Canary.Steps {
		if st.SetWeight != nil {
			weights = append(weights, *st.SetWeight)
		}
		if st.Analysis != nil {
			analyses++
		}
	}
	if len(weights) != 4 || weights[1] != 25 || analyses != 3 || ro.Spec.Strategy.Canary.TrafficRouting != nil {
		t.Errorf("weights %v, %d analyses, routing %v", weights, analyses, ro.Spec.Strategy.Canary.TrafficRouting)
	}
}

func TestRenderRouterSupport(t *testing.T) {
	tests := []struct {
		strategy, router, target string
		wantErr                  string
	}{
		{AB, "nginx", TargetArgo, "istio or gateway-api only"},
		{AB, "gateway-api", TargetArgo, ""},
		{Shadow, "nginx", TargetArgo, "istio only"},
		{AB, "nginx", TargetFlagger, ""},
		{AB, "linkerd", TargetFlagger, "needs istio, nginx, contour or gateway-api"},
		{Shadow, "gateway-api", TargetFlagger, ""},
		{Canary, "none", TargetFlagger, "set --traffic-router"},
		{Canary, "contour", TargetArgo, ""},
	}
	for _, tt := range tests {
		b, err := Render(renderSpec(tt.strategy, tt.router), wl, tt.target)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%s/%s/%s: %v", tt.strategy, tt.router, tt.target, err)
			}
			if tt.router == "contour" && !strings.Contains(string(b), "httpProxy: orders") {
				t.Errorf("contour plugin should name an HTTPProxy:\n%s", b)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s/%s/%s: err = %v, want %q", tt.strategy, tt.router, tt.target, err, tt.wantErr)
		}
	}
}
