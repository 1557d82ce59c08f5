package loadtest

import (
	"fmt"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// String formats the profile in the --rate syntax (after Scale, the text
// the user wrote no longer matches the stages).
func (p Profile) String() string {
	parts := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		var shape string
		switch s.Kind {
		case "ramp":
			shape = formatRate(s.From) + ".." + formatRate(s.To)
		case "sine":
			shape = fmt.Sprintf("sine(%s,%s,%s)", formatRate(s.From), formatRate(s.To), s.Period)
		case "burst":
			shape = fmt.Sprintf("burst(%s,%s,%s,%s)", formatRate(s.From), formatRate(s.To), s.Length, s.Period)
		default:
			shape = formatRate(s.From)
		}
		if s.Duration > 0 {
			shape += ":" + s.Duration.String()
		}
		parts[i] = shape
	}
	return strings.Join(parts, ",")
}

// K8sJob describes a distributed run.
type K8sJob struct {
	Name      string
	Namespace string
	Image     string
	Workers   int
	// Args are msctl's arguments for every pod (after "msctl"), already
	// holding each pod's share of the rate.
	Args []string
}

// RenderK8sJob emits an Indexed Job running Workers msctl pods at once,
// spread across nodes. Each pod prints its result as JSON; the results
// merge exactly with `msctl loadtest merge`.
func RenderK8sJob(j K8sJob) ([]byte, error) {
	if j.Workers < 1 {
		return nil, fmt.Errorf("--workers must be at least 1")
	}
	n := int32(j.Workers)
	zero := int32(0)
	mode := batchv1.IndexedCompletion
	labels := map[string]string{"app.kubernetes.io/name": "msctl-loadtest", "app.kubernetes.io/instance": j.Name}
	job := batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      j.Name,
			Namespace: j.Namespace,
			Labels:    labels,
			Annotations: map[string]string{
				"msctl.dev/workers": strconv.Itoa(j.Workers),
				"msctl.dev/collect": fmt.Sprintf("kubectl logs -l job-name=%s --tail=-1 > results.json && msctl loadtest merge results.json", j.Name),
			},
		},
		Spec: batchv1.JobSpec{
			CompletionMode: &mode,
			Completions:    &n,
			Parallelism:    &n,
			BackoffLimit:   &zero,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
							Weight: 100,
							PodAffinityTerm: corev1.PodAffinityTerm{
								TopologyKey:   "kubernetes.io/hostname",
								LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
							},
						}},
					}},
					Containers: []corev1.Container{{
						Name:  "msctl",
						Image: j.Image,
						Args:  j.Args,
					}},
				},
			},
		},
	}
	b, err := yaml.Marshal(job)
	if err != nil {
		return nil, err
	}
	// The zero-valued status and creationTimestamp are noise in a
	// manifest meant for kubectl apply.
	s := strings.Replace(string(b), "status: {}\n", "", -1)
	s = strings.Replace(s, "  creationTimestamp: null\n", "", -1)
	s = strings.Replace(s, "      creationTimestamp: null\n", "", -1)
	return []byte(s), nil
}
