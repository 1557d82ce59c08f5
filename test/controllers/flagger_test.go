package controllers

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/validation"
)

// TestFlaggerAcceptsEveryRender runs every Flagger render through the API
// server's admission with Flagger's published CRD, the Deployment through
// Kubernetes' own validation, and checks what Flagger's controller needs
// of a Canary before it acts: its target Deployment exists (here: is in
// the render) and its analysis interval parses as Flagger parses it.
func TestFlaggerAcceptsEveryRender(t *testing.T) {
	crds := loadCRDs(t, crdFiles(t, "github.com/fluxcd/flagger", "artifacts/flagger/crd.yaml")...)
	forEachRender(t, "flagger", 10, func(t *testing.T, c renderCase, o objects) {
		if len(o.canaries) != 1 {
			t.Fatalf("rendered %d Canaries, want 1", len(o.canaries))
		}
		for _, raw := range o.raw {
			if raw["apiVersion"] == "flagger.app/v1beta1" {
				admitCustomResource(t, crds, raw)
			}
		}
		for _, d := range o.deployments {
			admitDeployment(t, d)
		}
		for _, s := range o.services {
			admitService(t, s)
		}
		cn := o.canaries[0]
		found := false
		for _, d := range o.deployments {
			if cn.Spec.TargetRef.Kind == "Deployment" && d.Name == cn.Spec.TargetRef.Name {
				found = true
			}
		}
		if !found {
			t.Errorf("the Canary targets %s %q, which the render does not write", cn.Spec.TargetRef.Kind, cn.Spec.TargetRef.Name)
		}
		// What Flagger's routers (pkg/router) refuse a Canary without,
		// before they touch the cluster.
		switch cn.Spec.Provider {
		case "nginx":
			if cn.Spec.IngressRef == nil || cn.Spec.IngressRef.Name == "" {
				t.Errorf("provider nginx without ingressRef: Flagger's ingress router refuses it")
			}
		case "apisix":
			if cn.Spec.RouteRef == nil || cn.Spec.RouteRef.Name == "" {
				t.Errorf("provider apisix without routeRef: Flagger's APISIX router refuses it")
			}
		case "gatewayapi", "gatewayapi:v1", "gatewayapi:v1beta1":
			if len(cn.Spec.Service.GatewayRefs) == 0 {
				t.Errorf("provider %s without service.gatewayRefs: Flagger's Gateway API router refuses it", cn.Spec.Provider)
			}
		}
		if cn.Spec.Analysis == nil {
			t.Fatalf("the Canary has no analysis: Flagger would not advance it")
		}
		if _, err := time.ParseDuration(cn.Spec.Analysis.Interval); err != nil {
			t.Errorf("analysis interval %q: %v", cn.Spec.Analysis.Interval, err)
		}
		if cn.GetAnalysisInterval() < time.Second {
			t.Errorf("analysis interval %v: Flagger would fall back to its default", cn.GetAnalysisInterval())
		}
	})
}

// TestKubernetesAcceptsEveryRender runs every plain Kubernetes render
// through Kubernetes' own Deployment and Service validation.
func TestKubernetesAcceptsEveryRender(t *testing.T) {
	forEachRender(t, "k8s", 2, func(t *testing.T, c renderCase, o objects) {
		if len(o.deployments) != 1 || len(o.services) != 1 {
			t.Fatalf("rendered %d Deployments and %d Services, want 1 and 1", len(o.deployments), len(o.services))
		}
		for _, d := range o.deployments {
			admitDeployment(t, d)
		}
		for _, s := range o.services {
			admitService(t, s)
		}
	})
}

// TestRenderFromServiceFileIsAccepted renders a service that `msctl new`
// generated (HTTP and gRPC, readiness path, rate limit) from its
// service.yaml on every target and admits the result as above.
func TestRenderFromServiceFileIsAccepted(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(msctlBin, "new", "service", "orders", "--dir", filepath.Join(dir, "orders"), "--protocol", "http,grpc", "--registry", "none")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("msctl new service: %v\n%s", err, out)
	}
	from := filepath.Join(dir, "orders", "service.yaml")
	argo := loadCRDs(t, crdFiles(t, "github.com/argoproj/argo-rollouts",
		"manifests/crds/rollout-crd.yaml", "manifests/crds/analysis-template-crd.yaml")...)
	flagger := loadCRDs(t, crdFiles(t, "github.com/fluxcd/flagger", "artifacts/flagger/crd.yaml")...)
	for _, args := range [][]string{
		{"--target", "k8s"},
		{"--target", "argo-rollouts", "--strategy", "canary", "--traffic-router", "istio"},
		{"--target", "argo-rollouts", "--strategy", "blue-green"},
		{"--target", "flagger", "--strategy", "canary", "--traffic-router", "istio"},
	} {
		b, err := render(t, append(args, "--from", from)...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		o := decode(t, b)
		for _, raw := range o.raw {
			switch raw["apiVersion"] {
			case "argoproj.io/v1alpha1":
				admitCustomResource(t, argo, raw)
			case "flagger.app/v1beta1":
				admitCustomResource(t, flagger, raw)
			}
		}
		for _, d := range o.deployments {
			admitDeployment(t, d)
		}
		for _, s := range o.services {
			admitService(t, s)
			if len(s.Spec.Ports) != 2 {
				t.Errorf("%v: Service %s exposes %d ports, want http and grpc", args, s.Name, len(s.Spec.Ports))
			}
		}
		for _, ro := range o.rollouts {
			for _, e := range validation.ValidateRollout(ro) {
				t.Errorf("%v: ValidateRollout: %v", args, e)
			}
		}
	}
}
