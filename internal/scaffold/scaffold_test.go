package scaffold

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

type data struct {
	Name  string
	Greet string
	Extra bool
}

func testSet(greet string) fstest.MapFS {
	return fstest.MapFS{
		"app/set.yaml": {Data: []byte(`name: app
version: 1
description: test set
files:
  - match: "handler.go"
    owner: once
  - match: "routes.go"
    owner: insert
  - match: "extra/**"
    when: "{{.Extra}}"
  - match: "run.sh"
    mode: "0755"
`)},
		"app/main.go.tmpl":          {Data: []byte("package main\n\n// " + greet + " {{.Name}}\nfunc main() {}\n")},
		"app/handler.go.tmpl":       {Data: []byte("package main\n\n// handler of {{.Name}}\n")},
		"app/routes.go.tmpl":        {Data: []byte("package main\n\nfunc routes() []string {\n\treturn []string{\n\t\t// msctl:begin routes\n\t\t\"/" + greet + "\",\n\t\t// msctl:end routes\n\t}\n}\n")},
		"app/cmd/{{.Name}}.go.tmpl": {Data: []byte("package cmd\n")},
		"app/extra/x.yaml.tmpl":     {Data: []byte("x: 1\n")},
		"app/empty.txt.tmpl":        {Data: []byte("{{if .Extra}}now{{end}}\n")},
		"app/run.sh.tmpl":           {Data: []byte("#!/bin/sh\necho hi\n")},
	}
}

func plan(t *testing.T, fsys fstest.MapFS, dir string, d data, force bool) *Plan {
	t.Helper()
	e := &Engine{Templates: fsys}
	p, err := e.Plan(Request{Set: "app", Dir: dir, Data: d, Answers: d, Force: force})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func actions(p *Plan) map[string]Action {
	m := map[string]Action{}
	for _, c := range p.Changes {
		m[c.Path] = c.Action
	}
	return m
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCreateThenRegenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "orders")
	d := data{Name: "orders", Greet: "hello"}
	p := plan(t, testSet("hello"), dir, d, false)
	for path, a := range actions(p) {
		if a != ActionCreate {
			t.Errorf("%s: %s, want create", path, a)
		}
	}
	if _, ok := actions(p)["extra/x.yaml"]; ok {
		t.Error("extra/x.yaml planned although its when is false")
	}
	if _, ok := actions(p)["empty.txt"]; ok {
		t.Error("empty.txt planned although it renders empty")
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "main.go")); !strings.HasPrefix(got, "// "+Header+"\n\npackage main") {
		t.Errorf("main.go has no header:\n%s", got)
	}
	if got := read(t, filepath.Join(dir, "run.sh")); got != "#!/bin/sh\n# "+Header+"\necho hi\n" {
		t.Errorf("run.sh = %q", got)
	}
	if st, _ := os.Stat(filepath.Join(dir, "run.sh")); st.Mode().Perm() != 0o755 {
		t.Errorf("run.sh mode %v", st.Mode())
	}
	if strings.Contains(read(t, filepath.Join(dir, "handler.go")), Header) {
		t.Error("a created-once file carries the generated header")
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "orders.go")); err != nil {
		t.Errorf("templated path not rendered: %v", err)
	}
	lock, err := ReadLock(dir)
	if err != nil || lock == nil {
		t.Fatalf("lock: %v %v", lock, err)
	}
	var back data
	if err := lock.DecodeAnswers(&back); err != nil || back != d {
		t.Errorf("answers round trip: %+v %v", back, err)
	}
	if f, _ := lock.file("routes.go"); f.Regions["routes"] == "" {
		t.Errorf("lock has no region hash for routes.go: %+v", f)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".msctl-stage-*"))
	if len(leftovers) > 0 {
		t.Errorf("stage left behind: %v", leftovers)
	}

	// Same templates again: nothing to do.
	p = plan(t, testSet("hello"), dir, d, false)
	for path, a := range actions(p) {
		if a != ActionUnchanged {
			t.Errorf("rerun: %s: %s, want unchanged", path, a)
		}
	}
}

func TestRegenerateKeepsUserEdits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "orders")
	d := data{Name: "orders", Greet: "hello"}
	if err := plan(t, testSet("hello"), dir, d, false).Apply(); err != nil {
		t.Fatal(err)
	}
	// The user edits the created-once file and the insertion-point file
	// outside its region.
	handler := filepath.Join(dir, "handler.go")
	os.WriteFile(handler, []byte("package main\n\n// mine\n"), 0o644)
	routes := filepath.Join(dir, "routes.go")
	os.WriteFile(routes, []byte("package main\n\n// user helper\nfunc helper() {}\n\n"+read(t, routes)[len("package main\n\n"):]), 0o644)

	// The template changes.
	p := plan(t, testSet("bonjour"), dir, d, false)
	got := actions(p)
	want := map[string]Action{"main.go": ActionUpdate, "handler.go": ActionUnchanged, "routes.go": ActionUpdate, "cmd/orders.go": ActionUnchanged}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	var diff strings.Builder
	if err := p.Diff(&diff); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(diff.String(), "--- a/main.go") || !strings.Contains(diff.String(), "+// bonjour orders") {
		t.Errorf("diff:\n%s", diff.String())
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, handler); got != "package main\n\n// mine\n" {
		t.Errorf("created-once edit lost: %q", got)
	}
	r := read(t, routes)
	if !strings.Contains(r, "// user helper") || !strings.Contains(r, `"/bonjour"`) || strings.Contains(r, `"/hello"`) {
		t.Errorf("routes.go not merged:\n%s", r)
	}
	if !strings.Contains(read(t, filepath.Join(dir, "main.go")), "bonjour") {
		t.Error("msctl-owned file not updated")
	}
	// And once more: stable.
	for path, a := range actions(plan(t, testSet("bonjour"), dir, d, false)) {
		if a != ActionUnchanged {
			t.Errorf("third run: %s: %s", path, a)
		}
	}
}

func TestConflicts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "orders")
	d := data{Name: "orders", Greet: "hello"}
	if err := plan(t, testSet("hello"), dir, d, false).Apply(); err != nil {
		t.Fatal(err)
	}
	mainGo := filepath.Join(dir, "main.go")
	os.WriteFile(mainGo, []byte("package main // edited\n"), 0o644)
	routes := filepath.Join(dir, "routes.go")
	os.WriteFile(routes, []byte(strings.Replace(read(t, routes), `"/hello"`, `"/mine"`, 1)), 0o644)

	p := plan(t, testSet("bonjour"), dir, d, false)
	got := actions(p)
	if got["main.go"] != ActionConflict || got["routes.go"] != ActionConflict {
		t.Fatalf("actions %v, want conflicts on main.go and routes.go", got)
	}
	err := p.Apply()
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Changes) != 2 || !strings.Contains(err.Error(), "main.go (edited since msctl generated it)") {
		t.Fatalf("Apply err = %v", err)
	}
	if read(t, mainGo) != "package main // edited\n" {
		t.Error("a conflicting plan wrote main.go")
	}
	// --force overwrites.
	p = plan(t, testSet("bonjour"), dir, d, true)
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read(t, mainGo), "bonjour") || !strings.Contains(read(t, routes), `"/bonjour"`) {
		t.Error("--force did not overwrite")
	}
}

func TestExistingFileNotFromMsctlIsConflict(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644)
	p := plan(t, testSet("hello"), dir, data{Name: "x", Greet: "hi"}, false)
	if a := actions(p)["main.go"]; a != ActionConflict {
		t.Errorf("main.go: %s, want conflict", a)
	}
}

func TestPathsStayInside(t *testing.T) {
	for _, name := range []string{"../evil", "/abs", "a/../../b", `a\b`} {
		e := &Engine{Templates: testSet("x")}
		_, err := e.Plan(Request{Set: "app", Dir: t.TempDir(), Data: data{Name: name}})
		if err == nil || !strings.Contains(err.Error(), "app/cmd/{{.Name}}.go.tmpl") {
			t.Errorf("name %q: err = %v, want a path error naming the template", name, err)
		}
	}
	// A symbolic link inside the target that points elsewhere.
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "cmd")); err != nil {
		t.Fatal(err)
	}
	e := &Engine{Templates: testSet("x")}
	_, err := e.Plan(Request{Set: "app", Dir: dir, Data: data{Name: "x"}})
	if err == nil || !strings.Contains(err.Error(), "symbolic link cmd") {
		t.Errorf("err = %v, want symbolic link refusal", err)
	}
}

func TestRenderErrorNamesFileAndField(t *testing.T) {
	fsys := testSet("x")
	fsys["app/bad.go.tmpl"] = &fstest.MapFile{Data: []byte("package x\n// {{.Nope}}\n")}
	_, err := (&Engine{Templates: fsys}).Plan(Request{Set: "app", Dir: t.TempDir(), Data: data{Name: "x"}})
	if err == nil || !strings.Contains(err.Error(), "templates/app/bad.go.tmpl:2") || !strings.Contains(err.Error(), ".Nope") {
		t.Errorf("err = %v", err)
	}
}

func TestOverrideDir(t *testing.T) {
	over := t.TempDir()
	os.MkdirAll(filepath.Join(over, "app"), 0o755)
	os.WriteFile(filepath.Join(over, "app", "main.go.tmpl"), []byte("package main\n// overridden {{.Name}}\n"), 0o644)
	dir := filepath.Join(t.TempDir(), "p")
	p, err := (&Engine{Templates: testSet("x"), OverrideDir: over}).Plan(Request{Set: "app", Dir: dir, Data: data{Name: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(p.Content("main.go")), "overridden n") {
		t.Errorf("override not used: %s", p.Content("main.go"))
	}
}

func TestParseRegions(t *testing.T) {
	for _, bad := range []string{
		"// msctl:begin a\n",
		"// msctl:end a\n",
		"// msctl:begin a\n// msctl:begin b\n// msctl:end b\n// msctl:end a\n",
		"# msctl:begin a\n# msctl:end a\n# msctl:begin a\n# msctl:end a\n",
	} {
		if _, err := parseRegions([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	b, err := regionBodies([]byte("x\n  # msctl:begin r1\nbody\n  # msctl:end r1\ny"))
	if err != nil || string(b["r1"]) != "body\n" {
		t.Errorf("bodies %q %v", b, err)
	}
}

// TestApplyRollsBack makes a move fail half way (a folder the plan needs is
// replaced by a file after planning) and checks that the files already
// moved are put back: the tree is as before.
func TestApplyRollsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "orders")
	d := data{Name: "orders", Greet: "hello"}
	if err := plan(t, testSet("hello"), dir, d, false).Apply(); err != nil {
		t.Fatal(err)
	}
	before := read(t, filepath.Join(dir, "main.go"))
	fsys := testSet("bonjour")
	fsys["app/zz/new.go.tmpl"] = &fstest.MapFile{Data: []byte("package zz\n")}
	p := plan(t, fsys, dir, d, false)
	// main.go moves first (sorted), then zz/new.go cannot: zz is a file.
	if err := os.WriteFile(filepath.Join(dir, "zz"), []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(); err == nil {
		t.Fatal("Apply succeeded through a file in the way")
	}
	if got := read(t, filepath.Join(dir, "main.go")); got != before {
		t.Errorf("main.go not restored:\n%s", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".msctl-stage-*"))
	if len(leftovers) > 0 {
		t.Errorf("stage left behind: %v", leftovers)
	}
	lock, _ := ReadLock(dir)
	if f, _ := lock.file("zz/new.go"); f.Path != "" {
		t.Error("the lock was updated by a failed run")
	}
}

func TestIncludeSharesTemplates(t *testing.T) {
	fsys := testSet("x")
	fsys["edge/set.yaml"] = &fstest.MapFile{Data: []byte(`name: edge
version: 1
description: includes app's handler and extra files
include:
  - set: app
    match: ["handler.go", "extra/**"]
files:
  - match: "handler.go"
    owner: once
  - match: "extra/**"
    when: "{{.Extra}}"
`)}
	fsys["edge/main.go.tmpl"] = &fstest.MapFile{Data: []byte("package main\n// edge {{.Name}}\n")}
	// The including set's own copy wins over the included one.
	fsys["edge/extra/x.yaml.tmpl"] = &fstest.MapFile{Data: []byte("x: edge\n")}
	dir := filepath.Join(t.TempDir(), "p")
	p, err := (&Engine{Templates: fsys}).Plan(Request{Set: "edge", Dir: dir, Data: data{Name: "n", Extra: true}})
	if err != nil {
		t.Fatal(err)
	}
	got := actions(p)
	for _, want := range []string{"main.go", "handler.go", "extra/x.yaml"} {
		if got[want] != ActionCreate {
			t.Errorf("%s: %q, want create (plan %v)", want, got[want], got)
		}
	}
	for _, notIncluded := range []string{"routes.go", "run.sh"} {
		if _, ok := got[notIncluded]; ok {
			t.Errorf("%s was included but not matched", notIncluded)
		}
	}
	if !strings.Contains(string(p.Content("handler.go")), "handler of n") || !strings.HasSuffix(string(p.Content("extra/x.yaml")), "\nx: edge\n") {
		t.Errorf("handler %q, extra %q", p.Content("handler.go"), p.Content("extra/x.yaml"))
	}

	// An include that matches nothing is a mistake in the set.
	fsys["bad/set.yaml"] = &fstest.MapFile{Data: []byte("name: bad\nversion: 1\ninclude:\n  - set: app\n    match: [\"nope.go\"]\n")}
	if _, err := (&Engine{Templates: fsys}).Plan(Request{Set: "bad", Dir: dir, Data: data{Name: "n"}}); err == nil || !strings.Contains(err.Error(), "matches no template") {
		t.Errorf("err = %v", err)
	}
}
