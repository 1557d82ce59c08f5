package controllers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// msctlBin is the msctl under test: $MSCTL_BIN, or built from the
// repository root by TestMain.
var msctlBin string

func TestMain(m *testing.M) {
	bin := os.Getenv("MSCTL_BIN")
	tmp := ""
	if bin == "" {
		var err error
		tmp, err = os.MkdirTemp("", "msctl-controllers-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		bin = filepath.Join(tmp, "msctl")
		root, _ := filepath.Abs(filepath.Join("..", ".."))
		// -C builds in msctl's own module, with its own dependency
		// versions, not this test module's.
		cmd := exec.Command("go", "build", "-C", root, "-o", bin, "./cmd/msctl")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building msctl from %s: %v\n%s", root, err, out)
			os.Exit(1)
		}
	}
	msctlBin = bin
	code := m.Run()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

// errRefused is a render msctl refused as bad usage (exit 2), which is
// how it reports a strategy a target cannot run.
var errRefused = errors.New("refused with exit 2")

// render runs `msctl deploy render args...` and returns stdout. Exit 2 is
// errRefused after checking that msctl said why in one line on stderr.
func render(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(msctlBin, append([]string{"deploy", "render"}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		msg := strings.TrimSpace(stderr.String())
		if !strings.HasPrefix(msg, "msctl: ") || strings.Count(msg, "\n") > 0 || stdout.Len() > 0 {
			t.Errorf("msctl %s: exit 2 without one clear line on stderr and nothing on stdout:\nstderr: %q\nstdout: %q", strings.Join(args, " "), msg, stdout.String())
		}
		return nil, errRefused
	}
	if err != nil {
		t.Fatalf("msctl deploy render %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// objects is one render, decoded strictly into each consumer's own types.
type objects struct {
	rollouts    []*v1alpha1.Rollout
	templates   map[string]*v1alpha1.AnalysisTemplate
	canaries    []*flaggerv1.Canary
	deployments []*appsv1.Deployment
	services    map[string]*corev1.Service
	// raw holds every document as the API server receives it (JSON
	// objects), for schema validation and pruning.
	raw []map[string]any
}

// decode splits a multi-document stream and decodes every document
// strictly (an unknown field fails) into the type its consumer uses.
func decode(t *testing.T, b []byte) objects {
	t.Helper()
	o := objects{templates: map[string]*v1alpha1.AnalysisTemplate{}, services: map[string]*corev1.Service{}}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading the rendered stream: %v", err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var raw map[string]any
		if err := yaml.Unmarshal(doc, &raw); err != nil {
			t.Fatalf("rendered document is not YAML: %v\n%s", err, doc)
		}
		o.raw = append(o.raw, raw)
		key := fmt.Sprint(raw["apiVersion"], "/", raw["kind"])
		strict := func(into any) {
			if err := yaml.UnmarshalStrict(doc, into); err != nil {
				t.Fatalf("%s does not decode strictly into %T: %v\n%s", key, into, err, doc)
			}
		}
		switch key {
		case "argoproj.io/v1alpha1/Rollout":
			v := &v1alpha1.Rollout{}
			strict(v)
			o.rollouts = append(o.rollouts, v)
		case "argoproj.io/v1alpha1/AnalysisTemplate":
			v := &v1alpha1.AnalysisTemplate{}
			strict(v)
			o.templates[v.Name] = v
		case "flagger.app/v1beta1/Canary":
			v := &flaggerv1.Canary{}
			strict(v)
			o.canaries = append(o.canaries, v)
		case "apps/v1/Deployment":
			v := &appsv1.Deployment{}
			strict(v)
			o.deployments = append(o.deployments, v)
		case "v1/Service":
			v := &corev1.Service{}
			strict(v)
			o.services[v.Name] = v
		default:
			t.Fatalf("render wrote %s, which this test does not validate yet: add it", key)
		}
	}
	return o
}

// renderCase is one `deploy render` invocation.
type renderCase struct {
	target, strategy, router string
	extra                    []string
}

func (c renderCase) args() []string {
	a := []string{"--target", c.target, "--strategy", c.strategy, "--name", "orders",
		"--image", "ghcr.io/acme/orders:1.4.0", "--replicas", "4", "--resources", "cpu=250m,memory=128Mi"}
	if c.router != "" {
		a = append(a, "--traffic-router", c.router)
	}
	if c.strategy == "ab" {
		a = append(a, "--match", "header:x-group=beta")
	}
	return append(a, c.extra...)
}

func (c renderCase) String() string {
	return strings.Join(append([]string{c.target, c.strategy, c.router}, c.extra...), "/")
}

var (
	strategies = []string{"recreate", "rolling", "blue-green", "canary", "ab", "shadow"}
	routers    = []string{"none", "istio", "nginx", "gateway-api", "linkerd", "traefik", "alb", "apisix", "contour"}
)

// cases is every strategy with every router on target, plus the variants
// that change what analysis renders.
func cases(target string) []renderCase {
	var out []renderCase
	for _, s := range strategies {
		for _, r := range routers {
			out = append(out, renderCase{target: target, strategy: s, router: r})
		}
	}
	return append(out,
		renderCase{target: target, strategy: "canary", router: "istio", extra: []string{"--analysis=false"}},
		renderCase{target: target, strategy: "canary", router: "none", extra: []string{"--steps", "5,25:10m,50,100", "--pause", "30s"}},
		renderCase{target: target, strategy: "canary", router: "nginx", extra: []string{"--steps", "10,100:5m", "--pause", "2h"}},
		renderCase{target: target, strategy: "blue-green", router: "none", extra: []string{"--preview-replicas", "1", "--scale-down-delay", "0s"}},
		renderCase{target: target, strategy: "ab", router: "istio", extra: []string{"--match", "header:x-region=eu", "--pause", "1m"}},
		renderCase{target: target, strategy: "shadow", router: "istio", extra: []string{"--shadow-writes", "--shadow-percent", "100"}},
	)
}

// forEachRender renders every case on target and hands the decoded
// objects to check; it asserts that at least minRendered cases rendered,
// so that a renderer refusing everything cannot pass.
func forEachRender(t *testing.T, target string, minRendered int, check func(t *testing.T, c renderCase, o objects)) {
	rendered := 0
	for _, c := range cases(target) {
		b, err := render(t, c.args()...)
		if errors.Is(err, errRefused) {
			continue
		}
		rendered++
		t.Run(c.String(), func(t *testing.T) { check(t, c, decode(t, b)) })
	}
	if rendered < minRendered {
		t.Errorf("%s: only %d of %d cases rendered, want at least %d", target, rendered, len(cases(target)), minRendered)
	}
}
