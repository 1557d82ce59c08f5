package gateway

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/scaffold"
	"github.com/msctl/msctl/templates"
)

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func edit(t *testing.T, p, old, new string) {
	t.Helper()
	s := readFile(t, p)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", p, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(s, old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// overrideTemplate writes an edited copy of a gateway template into an
// override folder, as --templates DIR would hold it.
func overrideTemplate(t *testing.T, dir, tmpl, old, new string) {
	t.Helper()
	b, err := fs.ReadFile(templates.FS(), "gateway/"+tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", tmpl, old)
	}
	p := filepath.Join(dir, "gateway", filepath.FromSlash(tmpl))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRegenerationKeepsEdits edits the README (created once) and
// routes.go outside its marked region, changes the templates and the
// routes, and renders again: both edits survive, msctl's files follow the
// new templates and routes, and an edited msctl-owned file is a conflict.
func TestRegenerationKeepsEdits(t *testing.T) {
	a := Answers{Name: "edge", Registry: "consul", Routes: []string{"/orders=orders"}}
	dir := generate(t, a)
	readme := filepath.Join(dir, "README.md")
	routes := filepath.Join(dir, "internal/server/routes.go")
	proxy := filepath.Join(dir, "internal/proxy/proxy.go")
	defaults := filepath.Join(dir, "internal/config/routes.go")
	edit(t, readme, "# edge\n", "# edge\n\nOur edge gateway (user notes).\n")
	edit(t, routes, "\t// msctl:begin routes", "\tmux.HandleFunc(\"POST /login\", s.login) // user route\n\t// msctl:begin routes")

	over := t.TempDir()
	overrideTemplate(t, over, "internal/proxy/proxy.go.tmpl", "// Gateway routes requests to backends.", "// Gateway routes requests to backends (template v2).")
	overrideTemplate(t, over, "internal/server/routes.go.tmpl", "\t// msctl:end routes", "\tmux.Handle(\"GET /version\", s.metrics.Handler())\n\t// msctl:end routes")
	a.Routes = append(a.Routes, "/users=users")
	plan, err := Plan(Options{Answers: a, Dir: dir, TemplatesDir: over})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]scaffold.Action{
		"internal/proxy/proxy.go":     scaffold.ActionUpdate,
		"internal/server/routes.go":   scaffold.ActionUpdate,
		"internal/config/routes.go":   scaffold.ActionUpdate,
		"README.md":                   scaffold.ActionUnchanged,
		"internal/metrics/metrics.go": scaffold.ActionUnchanged,
	}
	for _, c := range plan.Changes {
		if w, ok := want[c.Path]; ok && c.Action != w {
			t.Errorf("%s: %s, want %s", c.Path, c.Action, w)
		}
	}
	if err := plan.Apply(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readFile(t, readme), "user notes") {
		t.Error("the README edit was lost")
	}
	if r := readFile(t, routes); !strings.Contains(r, "// user route") || !strings.Contains(r, "GET /version") {
		t.Errorf("routes.go did not keep the user route and gain msctl's:\n%s", r)
	}
	if !strings.Contains(readFile(t, proxy), "(template v2)") || !strings.Contains(readFile(t, defaults), `"/users=users"`) {
		t.Error("msctl-owned files were not updated")
	}

	edit(t, proxy, "(template v2)", "(my edit)")
	plan, err = Plan(Options{Answers: a, Dir: dir, TemplatesDir: over})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(); err == nil || !strings.Contains(err.Error(), "internal/proxy/proxy.go") {
		t.Fatalf("Apply = %v, want a conflict on internal/proxy/proxy.go", err)
	}
	if !strings.Contains(readFile(t, proxy), "(my edit)") {
		t.Error("a conflicting run wrote proxy.go")
	}
}
