package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Render targets.
const (
	TargetK8s     = "k8s"
	TargetArgo    = "argo-rollouts"
	TargetFlagger = "flagger"
)

// Targets lists the render targets.
var Targets = []string{TargetK8s, TargetArgo, TargetFlagger}

// Workload names what the manifests run.
type Workload struct {
	Name  string
	Image string
	Port  int32
	// Prometheus is the address analysis queries use.
	Prometheus string
	// Gateway is the Gateway API Gateway, NAME or NAMESPACE/NAME, that
	// routes reach with --traffic-router gateway-api.
	Gateway string
	// GRPCPort, when set, is a second container and Service port named
	// grpc.
	GRPCPort int32
	// ServicePort is the HTTP port on the Service (80 when unset).
	ServicePort int32
	// ReadyPath is the HTTP readiness endpoint; without one the readiness
	// probe only checks that the HTTP port accepts connections.
	ReadyPath string
	// Env is the container's environment.
	Env map[string]string
}

func (w Workload) servicePort() int32 {
	if w.ServicePort > 0 {
		return w.ServicePort
	}
	return 80
}

// gateway splits Gateway into its namespace (empty: the workload's) and
// name, "gateway" when unset.
func (w Workload) gateway() (namespace, name string) {
	g := w.Gateway
	if g == "" {
		g = "gateway"
	}
	if ns, n, ok := strings.Cut(g, "/"); ok {
		return ns, n
	}
	return "", g
}

// Render returns the manifests for spec on target as one multi-document
// YAML stream. Kubernetes objects use k8s.io/api types, so they are valid
// by construction; Argo Rollouts and Flagger objects use the structs in
// crds.go, which follow those projects' documented fields.
func Render(spec Spec, w Workload, target string) ([]byte, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if err := validateWorkload(w, target); err != nil {
		return nil, err
	}
	if spec.Strategy == Canary && len(spec.Steps) == 0 {
		spec.Steps = DefaultSteps(spec.Pause)
	}
	var objs []any
	switch target {
	case TargetK8s:
		d, err := deployment(spec, w)
		if err != nil {
			return nil, err
		}
		objs = append(objs, d, service(w.Name, w))
	case TargetArgo:
		ro, err := rollout(spec, w)
		if err != nil {
			return nil, err
		}
		objs = append(objs, ro)
		for _, svc := range ro.services() {
			objs = append(objs, service(svc, w))
		}
		if ro.hasAnalysis() {
			objs = append(objs, analysisTemplate(spec, w))
		}
	case TargetFlagger:
		c, err := flaggerCanary(spec, w)
		if err != nil {
			return nil, err
		}
		d, _ := deployment(Spec{Strategy: Rolling, Replicas: spec.Replicas, MaxSurge: spec.MaxSurge, MaxUnavailable: spec.MaxUnavailable, Resources: spec.Resources}, w)
		objs = append(objs, d, c)
	default:
		return nil, fmt.Errorf("unknown target %q: use one of k8s, argo-rollouts, flagger", target)
	}
	var buf bytes.Buffer
	for i, o := range objs {
		b, err := marshalManifest(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// marshalManifest writes o as YAML without its status: status belongs to
// the controller, and an empty "status: {}" in a manifest only invites
// the question of what it was meant to say.
func marshalManifest(o any) ([]byte, error) {
	j, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	return yaml.Marshal(m)
}

func labels(w Workload) map[string]string { return map[string]string{"app.kubernetes.io/name": w.Name} }

func podTemplate(spec Spec, w Workload) corev1.PodTemplateSpec {
	req := corev1.ResourceList{}
	keys := make([]string, 0, len(spec.Resources))
	for k := range spec.Resources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req[corev1.ResourceName(k)] = resource.MustParse(spec.Resources[k])
	}
	ready := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("http")}}
	if w.ReadyPath != "" {
		ready = corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: w.ReadyPath, Port: intstr.FromString("http")}}
	}
	c := corev1.Container{
		Name:           w.Name,
		Image:          w.Image,
		Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: w.Port}},
		ReadinessProbe: &corev1.Probe{ProbeHandler: ready, PeriodSeconds: 5},
	}
	if w.GRPCPort > 0 {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: "grpc", ContainerPort: w.GRPCPort})
	}
	names := make([]string, 0, len(w.Env))
	for k := range w.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: w.Env[k]})
	}
	if len(req) > 0 {
		c.Resources = corev1.ResourceRequirements{Requests: req}
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels(w)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{c}},
	}
}

func toIntstr(v IntOrPercent) *intstr.IntOrString {
	is := intstr.FromInt32(int32(v.Value))
	if v.Percent {
		is = intstr.FromString(v.String())
	}
	return &is
}

func deployment(spec Spec, w Workload) (*appsv1.Deployment, error) {
	replicas := int32(spec.Replicas)
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: w.Name, Labels: labels(w)},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels(w)},
			Template: podTemplate(spec, w),
		},
	}
	switch spec.Strategy {
	case Recreate:
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	case Rolling:
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: toIntstr(spec.MaxSurge), MaxUnavailable: toIntstr(spec.MaxUnavailable)}}
		// Ready pods count as available only after this long, so the
		// controller's pace matches the planned ready time.
	default:
		return nil, fmt.Errorf("a plain Deployment cannot run %s: render it with --target argo-rollouts or flagger", spec.Strategy)
	}
	return d, nil
}

func service(name string, w Workload) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(w)},
		Spec: corev1.ServiceSpec{
			Selector: labels(w),
			Ports:    servicePorts(w),
		},
	}
}

func servicePorts(w Workload) []corev1.ServicePort {
	ports := []corev1.ServicePort{{Name: "http", Port: w.servicePort(), TargetPort: intstr.FromString("http")}}
	if w.GRPCPort > 0 {
		ports = append(ports, corev1.ServicePort{Name: "grpc", Port: w.GRPCPort, TargetPort: intstr.FromString("grpc")})
	}
	return ports
}
