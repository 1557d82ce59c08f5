package deploy

import "fmt"

// Provided is an object a render refers to and does not write: the
// routing object a traffic router splits traffic with, which the user's
// cluster already has (an Istio VirtualService, an Ingress, an HTTPRoute)
// and whose shape depends on hosts, TLS and paths msctl does not know.
// Naming each one keeps a render from looking complete when the controller
// would stop at "not found".
type Provided struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Needs says what the object must contain for the Rollout or Canary.
	Needs string `json:"needs"`
}

func (p Provided) String() string { return fmt.Sprintf("%s %q: %s", p.Kind, p.Name, p.Needs) }

// ProvidedObjects lists what a render of spec on target refers to and
// does not write.
func ProvidedObjects(spec Spec, w Workload, target string) []Provided {
	n := w.Name
	stable, canary := n+"-stable", n+"-canary"
	both := fmt.Sprintf("backends Service %s and Service %s (the controller sets the weights)", stable, canary)
	switch target {
	case TargetArgo:
		if spec.Strategy == Rolling || spec.Strategy == BlueGreen || spec.Strategy == Recreate {
			return nil
		}
		switch spec.TrafficRouter {
		case "istio":
			return []Provided{{"Istio VirtualService", n, "an HTTP route named primary with destinations host " + stable + " and host " + canary}}
		case "nginx":
			return []Provided{{"Ingress", n, "a rule whose backend is Service " + stable + " (Argo Rollouts creates the canary Ingress beside it)"}}
		case "alb":
			return []Provided{{"Ingress", n, fmt.Sprintf("an AWS Load Balancer Controller rule whose backend is Service %s port %d", stable, w.servicePort())}}
		case "gateway-api":
			return []Provided{
				{"HTTPRoute", n, "a rule with " + both},
				{"Argo Rollouts plugin", "argoproj-labs/gatewayAPI", "installed in the controller's argo-rollouts-config ConfigMap"},
			}
		case "traefik":
			return []Provided{{"TraefikService", n, "a weighted service with " + both}}
		case "apisix":
			return []Provided{{"ApisixRoute", n, "an HTTP route with " + both}}
		case "contour":
			return []Provided{
				{"HTTPProxy", n, "a route with " + both},
				{"Argo Rollouts plugin", "argoproj-labs/contour", "installed in the controller's argo-rollouts-config ConfigMap"},
			}
		}
	case TargetFlagger:
		// Flagger writes the routing objects of the other providers itself.
		switch spec.TrafficRouter {
		case "nginx":
			return []Provided{{"Ingress", n, fmt.Sprintf("a rule whose backend is Service %s port %d (Flagger creates the canary Ingress beside it)", n, w.servicePort())}}
		case "apisix":
			return []Provided{{"ApisixRoute", n, fmt.Sprintf("an HTTP route whose backend is Service %s port %d", n, w.servicePort())}}
		case "gateway-api":
			ns, name := w.gateway()
			where := name
			if ns != "" {
				where = ns + "/" + name
			}
			return []Provided{{"Gateway", where, "a Gateway API Gateway that the HTTPRoute Flagger writes attaches to (set another with --gateway)"}}
		}
	}
	return nil
}
