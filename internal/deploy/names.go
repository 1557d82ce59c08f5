package deploy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// validateWorkload checks what the API server would check of the names,
// labels and ports a render writes, so that a bad --name is a usage error
// here rather than a rejected `kubectl apply` later. It uses
// apimachinery's own validation, the code the API server runs.
func validateWorkload(w Workload, target string) error {
	if w.Name == "" {
		return fmt.Errorf("the workload name is empty: set --name")
	}
	// Services must be DNS-1035 labels (a letter first, at most 63
	// characters) and the renderer derives several from the name, so the
	// longest derived name is what has to fit.
	for _, n := range serviceNames(w.Name, target) {
		if errs := validation.IsDNS1035Label(n); len(errs) > 0 {
			return fmt.Errorf("invalid name %q: the Service %q it needs is not a valid Kubernetes name: %s", w.Name, n, strings.Join(errs, "; "))
		}
	}
	if errs := validation.IsDNS1123Subdomain(w.Name + "-error-rate"); len(errs) > 0 {
		return fmt.Errorf("invalid name %q: %s", w.Name, strings.Join(errs, "; "))
	}
	// The name is also the app.kubernetes.io/name label value and the
	// container name (a DNS-1123 label).
	if errs := validation.IsValidLabelValue(w.Name); len(errs) > 0 {
		return fmt.Errorf("invalid name %q as a label value: %s", w.Name, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(w.Name); len(errs) > 0 {
		return fmt.Errorf("invalid name %q as a container name: %s", w.Name, strings.Join(errs, "; "))
	}
	if errs := validation.IsValidPortNum(int(w.Port)); len(errs) > 0 {
		return fmt.Errorf("invalid port %d: %s", w.Port, strings.Join(errs, "; "))
	}
	if strings.TrimSpace(w.Image) == "" || strings.ContainsAny(w.Image, " \t\n") {
		return fmt.Errorf("invalid image %q: give a reference such as ghcr.io/acme/orders:1.4.0", w.Image)
	}
	return nil
}

// serviceNames lists the Service names a render of target may write for a
// workload called name.
func serviceNames(name, target string) []string {
	switch target {
	case TargetArgo:
		// Longest first, so that a name too long is reported on the
		// Service that overflows first.
		return []string{name + "-preview", name + "-active", name + "-stable", name + "-canary", name}
	case TargetFlagger:
		// Flagger creates NAME, NAME-primary and NAME-canary itself.
		return []string{name + "-primary", name + "-canary", name}
	}
	return []string{name}
}
