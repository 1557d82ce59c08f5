package service

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/scaffold"
	"github.com/msctl/msctl/templates"
)

func override(t *testing.T, dir, tmpl string, edit func(string) string) {
	t.Helper()
	b, err := fs.ReadFile(templates.FS(), "service/"+tmpl)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "service", filepath.FromSlash(tmpl))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	out := edit(string(b))
	if out == string(b) {
		t.Fatalf("edit of %s changed nothing", tmpl)
	}
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func replaceIn(t *testing.T, p, old, new string) {
	t.Helper()
	s := mustRead(t, p)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", p, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(s, old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRegenerationKeepsEdits edits a created-once file and a file with an
// insertion point, changes the templates, and renders again: both edits
// survive, msctl's files are updated, and an edit to a msctl-owned file is
// a conflict until --force.
func TestRegenerationKeepsEdits(t *testing.T) {
	a := Answers{Name: "orders", Protocols: []string{"http"}, Registry: "consul"}
	dir := generate(t, a)
	items := filepath.Join(dir, "internal/handler/items.go")
	routes := filepath.Join(dir, "internal/server/routes.go")
	server := filepath.Join(dir, "internal/server/server.go")
	replaceIn(t, items, "// Item is the example resource.", "// Item is an order line (edited by the user).")
	replaceIn(t, routes, "\t// msctl:begin routes", "\tmux.HandleFunc(\"GET /v1/custom\", customHandler) // user route\n\t// msctl:begin routes")

	// New template version: server.go changes, the routes region gains a line.
	over := t.TempDir()
	override(t, over, "internal/server/server.go.tmpl", func(s string) string {
		return strings.Replace(s, "// Server holds what the handlers share.", "// Server holds what the handlers share (template v2).", 1)
	})
	override(t, over, "internal/server/routes.go.tmpl", func(s string) string {
		return strings.Replace(s, "\t// msctl:end routes", "\tmux.HandleFunc(\"GET /v1/version\", handler.ServeOpenAPI)\n\t// msctl:end routes", 1)
	})
	plan, err := Plan(Options{Answers: a, Dir: dir, TemplatesDir: over})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]scaffold.Action{
		"internal/server/server.go":   scaffold.ActionUpdate,
		"internal/server/routes.go":   scaffold.ActionUpdate,
		"internal/handler/items.go":   scaffold.ActionUnchanged,
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
	if !strings.Contains(mustRead(t, items), "edited by the user") {
		t.Error("the created-once edit was lost")
	}
	r := mustRead(t, routes)
	if !strings.Contains(r, "customHandler) // user route") || !strings.Contains(r, "GET /v1/version") {
		t.Errorf("routes.go did not keep the user route and gain msctl's:\n%s", r)
	}
	if !strings.Contains(mustRead(t, server), "(template v2)") {
		t.Error("msctl-owned server.go was not updated")
	}

	// An edit to a msctl-owned file is a conflict that names the path.
	metrics := filepath.Join(dir, "internal/metrics/metrics.go")
	replaceIn(t, metrics, "// Metrics holds the collectors", "// Metrics (hand-tuned) holds the collectors")
	replaceIn(t, server, "(template v2)", "(my edit)")
	plan, err = Plan(Options{Answers: a, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var ce *scaffold.ConflictError
	err = plan.Apply()
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "internal/server/server.go") {
		t.Fatalf("Apply = %v, want a conflict on internal/server/server.go", err)
	}
	if !strings.Contains(mustRead(t, server), "(my edit)") {
		t.Error("a conflicting run wrote server.go")
	}
	plan, err = Plan(Options{Answers: a, Dir: dir, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(mustRead(t, server), "(my edit)") || strings.Contains(mustRead(t, metrics), "hand-tuned") {
		t.Error("--force did not restore msctl's files")
	}
	if !strings.Contains(mustRead(t, items), "edited by the user") || !strings.Contains(mustRead(t, routes), "// user route") {
		t.Error("--force lost a user-owned edit")
	}
}

// BenchmarkNewService measures writing a full http+grpc service (render,
// proto compilation and stub generation, plan, staged write) into a new
// folder.
func BenchmarkNewService(b *testing.B) {
	a := Answers{Name: "orders", Protocols: []string{"http", "grpc"}, Registry: "consul"}
	root := b.TempDir()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		plan, err := Plan(Options{Answers: a, Dir: filepath.Join(root, strconv.Itoa(i))})
		if err != nil {
			b.Fatal(err)
		}
		if err := plan.Apply(); err != nil {
			b.Fatal(err)
		}
	}
}
