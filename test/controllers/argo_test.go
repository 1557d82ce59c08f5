package controllers

import (
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/validation"
)

// TestArgoRolloutsAcceptsEveryRender runs every Argo Rollouts render
// through the checks the Rollout controller makes before it acts
// (rollout/controller.go getRolloutValidationErrors: ValidateRollout, then
// ValidateRolloutReferencedResources on the Services and AnalysisTemplates
// it refers to), through the API server's admission with Argo's published
// CRDs, and the Services through Kubernetes' own validation. Any error
// here is a Rollout the controller marks InvalidSpec.
func TestArgoRolloutsAcceptsEveryRender(t *testing.T) {
	crds := loadCRDs(t, crdFiles(t, "github.com/argoproj/argo-rollouts",
		"manifests/crds/rollout-crd.yaml", "manifests/crds/analysis-template-crd.yaml")...)
	forEachRender(t, "argo-rollouts", 15, func(t *testing.T, c renderCase, o objects) {
		if len(o.rollouts) != 1 {
			t.Fatalf("rendered %d Rollouts, want 1", len(o.rollouts))
		}
		for _, raw := range o.raw {
			if raw["apiVersion"] == "argoproj.io/v1alpha1" {
				admitCustomResource(t, crds, raw)
			}
		}
		for _, s := range o.services {
			admitService(t, s)
		}
		ro := o.rollouts[0].DeepCopy()
		ro.Namespace = namespace
		for _, e := range validation.ValidateRollout(ro) {
			t.Errorf("ValidateRollout: %v", e)
		}
		refs := validation.ReferencedResources{
			ServiceWithType:           referencedServices(t, ro, o),
			AnalysisTemplatesWithType: referencedAnalyses(t, ro, o),
		}
		for _, check := range []func(*v1alpha1.Rollout) error{
			validation.ValidateRolloutNginxIngressesConfig,
			validation.ValidateRolloutAlbIngressesConfig,
			validation.ValidateRolloutVirtualServicesConfig,
		} {
			if err := check(ro); err != nil {
				t.Errorf("traffic routing: %v", err)
			}
		}
		for _, e := range validation.ValidateRolloutReferencedResources(ro, refs) {
			t.Errorf("ValidateRolloutReferencedResources: %v", e)
		}
		if c.strategy != "rolling" && !hasAnalysisOrNone(c) && len(refs.AnalysisTemplatesWithType) == 0 {
			t.Errorf("rendered no analysis gate, though --analysis is on by default")
		}
	})
}

// hasAnalysisOrNone reports whether case c turned analysis off.
func hasAnalysisOrNone(c renderCase) bool {
	for _, a := range c.extra {
		if a == "--analysis=false" {
			return true
		}
	}
	return false
}

// referencedServices finds each Service the Rollout names in the render, as
// the controller finds them in the cluster; one it names and the render
// does not write is an error (the controller reports it missing).
func referencedServices(t *testing.T, ro *v1alpha1.Rollout, o objects) []validation.ServiceWithType {
	t.Helper()
	var want []struct {
		name string
		typ  validation.ServiceType
	}
	add := func(name string, typ validation.ServiceType) {
		if name != "" {
			want = append(want, struct {
				name string
				typ  validation.ServiceType
			}{name, typ})
		}
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		add(bg.ActiveService, validation.ActiveService)
		add(bg.PreviewService, validation.PreviewService)
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		add(c.StableService, validation.StableService)
		add(c.CanaryService, validation.CanaryService)
	}
	var out []validation.ServiceWithType
	for _, w := range want {
		s, ok := o.services[w.name]
		if !ok {
			t.Errorf("the Rollout refers to Service %q, which the render does not write", w.name)
			continue
		}
		out = append(out, validation.ServiceWithType{Service: s.DeepCopy(), Type: w.typ})
	}
	return out
}

// referencedAnalyses collects the AnalysisTemplates of each analysis the
// Rollout runs, with its type and step, as the controller does
// (getReferencedRolloutAnalyses); a template the render does not write is
// an error.
func referencedAnalyses(t *testing.T, ro *v1alpha1.Rollout, o objects) []validation.AnalysisTemplatesWithType {
	t.Helper()
	var out []validation.AnalysisTemplatesWithType
	collect := func(a *v1alpha1.RolloutAnalysis, typ validation.AnalysisTemplateType, step int) {
		if a == nil {
			return
		}
		tw := validation.AnalysisTemplatesWithType{TemplateType: typ, CanaryStepIndex: step, Args: a.Args}
		for _, ref := range a.Templates {
			if ref.ClusterScope {
				t.Errorf("analysis refers to ClusterAnalysisTemplate %q, which the render does not write", ref.TemplateName)
				continue
			}
			tpl, ok := o.templates[ref.TemplateName]
			if !ok {
				t.Errorf("analysis refers to AnalysisTemplate %q, which the render does not write", ref.TemplateName)
				continue
			}
			tpl = tpl.DeepCopy()
			tpl.Namespace = namespace
			tw.AnalysisTemplates = append(tw.AnalysisTemplates, tpl)
		}
		out = append(out, tw)
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		collect(bg.PrePromotionAnalysis, validation.PrePromotionAnalysis, 0)
		collect(bg.PostPromotionAnalysis, validation.PostPromotionAnalysis, 0)
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		for i, s := range c.Steps {
			collect(s.Analysis, validation.InlineAnalysis, i)
		}
		if c.Analysis != nil {
			collect(&c.Analysis.RolloutAnalysis, validation.BackgroundAnalysis, 0)
		}
	}
	return out
}
