package controllers

import (
	"testing"
	"time"
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
