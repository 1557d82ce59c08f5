package controllers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	crvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/apis/apps"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	appsvalidation "k8s.io/kubernetes/pkg/apis/apps/validation"
	"k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"sigs.k8s.io/yaml"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// namespace is where the tests pretend to apply: kubectl fills in the
// context's namespace, and the API server requires one for namespaced
// objects.
const namespace = "default"

// crdSchema is one served version of a CRD, as the API server uses it.
type crdSchema struct {
	validator  crvalidation.SchemaValidator
	structural *structuralschema.Structural
}

var (
	crdMu    sync.Mutex
	crdCache = map[string]map[string]crdSchema{}
)

// moduleDir is where the Go module cache holds module (at the version this
// test module pins), so that the CRDs are those projects' published files,
// read in place.
func moduleDir(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("finding %s in the module cache: %v (run `go mod download` in test/controllers)", module, err)
	}
	return strings.TrimSpace(string(out))
}

// loadCRDs reads the CustomResourceDefinitions in files (multi-document
// YAML) and returns each served version's schema by "group/version/Kind".
func loadCRDs(t *testing.T, files ...string) map[string]crdSchema {
	t.Helper()
	key := strings.Join(files, ",")
	crdMu.Lock()
	defer crdMu.Unlock()
	if c, ok := crdCache[key]; ok {
		return c
	}
	out := map[string]crdSchema{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("reading the published CRDs: %v", err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var crd apiextv1.CustomResourceDefinition
			if err := yaml.Unmarshal(doc, &crd); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			for _, v := range crd.Spec.Versions {
				if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
					continue
				}
				var internal apiextensions.JSONSchemaProps
				if err := apiextv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
					t.Fatalf("%s %s: converting the schema: %v", crd.Name, v.Name, err)
				}
				validator, _, err := crvalidation.NewSchemaValidator(&internal)
				if err != nil {
					t.Fatalf("%s %s: %v", crd.Name, v.Name, err)
				}
				structural, err := structuralschema.NewStructural(&internal)
				if err != nil {
					t.Fatalf("%s %s: not a structural schema: %v", crd.Name, v.Name, err)
				}
				out[crd.Spec.Group+"/"+v.Name+"/"+crd.Spec.Names.Kind] = crdSchema{validator: validator, structural: structural}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no CRD schemas in %v", files)
	}
	crdCache[key] = out
	return out
}

// admitCustomResource does to obj what the API server does to a custom
// resource on create: prune the fields its schema does not know (an
// error here, since msctl wrote them for a reason and the controller
// would never see them), then validate it against the schema and its
// metadata as a namespaced object.
func admitCustomResource(t *testing.T, crds map[string]crdSchema, obj map[string]any) {
	t.Helper()
	gvk := fmt.Sprintf("%v/%v", obj["apiVersion"], obj["kind"])
	s, ok := crds[gvk]
	if !ok {
		t.Fatalf("no published CRD serves %s", gvk)
	}
	obj = deepCopy(t, obj)
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		t.Fatalf("%s has no metadata", gvk)
	}
	meta["namespace"] = namespace
	opts := structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}
	if pruned := pruning.PruneWithOptions(obj, s.structural, true, opts); len(pruned) > 0 {
		t.Errorf("%s: the API server would drop fields its CRD does not define: %v", gvk, pruned)
	}
	for _, e := range crvalidation.ValidateCustomResource(nil, obj, s.validator) {
		t.Errorf("%s %v: CRD schema: %v", gvk, meta["name"], e)
	}
	var om metav1.ObjectMeta
	b, _ := json.Marshal(meta)
	if err := json.Unmarshal(b, &om); err != nil {
		t.Fatalf("%s metadata: %v", gvk, err)
	}
	for _, e := range apivalidation.ValidateObjectMeta(&om, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata")) {
		t.Errorf("%s: %v", gvk, e)
	}
}

func deepCopy(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// admitDeployment runs Kubernetes' own Deployment validation on d after
// the API server's defaulting and conversion to the internal type.
func admitDeployment(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	d = d.DeepCopy()
	d.Namespace = namespace
	legacyscheme.Scheme.Default(d)
	var internal apps.Deployment
	if err := legacyscheme.Scheme.Convert(d, &internal, nil); err != nil {
		t.Fatalf("converting Deployment %s: %v", d.Name, err)
	}
	for _, e := range appsvalidation.ValidateDeployment(&internal, corevalidation.PodValidationOptions{}) {
		t.Errorf("Deployment %s: %v", d.Name, e)
	}
}

// admitService runs Kubernetes' own Service validation on s.
func admitService(t *testing.T, s *corev1.Service) {
	t.Helper()
	s = s.DeepCopy()
	s.Namespace = namespace
	legacyscheme.Scheme.Default(s)
	var internal core.Service
	if err := legacyscheme.Scheme.Convert(s, &internal, nil); err != nil {
		t.Fatalf("converting Service %s: %v", s.Name, err)
	}
	for _, e := range corevalidation.ValidateService(&internal) {
		t.Errorf("Service %s: %v", s.Name, e)
	}
}

// crdFiles are the published CRD files inside a module's source.
func crdFiles(t *testing.T, module string, rel ...string) []string {
	t.Helper()
	dir := moduleDir(t, module)
	var out []string
	for _, r := range rel {
		out = append(out, filepath.Join(dir, r))
	}
	return out
}
