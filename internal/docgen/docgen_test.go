package docgen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/commands"
	"github.com/msctl/msctl/internal/docgen"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/registry"
)

// TestCommittedCopiesMatchGenerator fails when docs/reference/ or
// completions/ drift from the command tree. Fix with `go generate ./...`.
func TestCommittedCopiesMatchGenerator(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := commands.NewRoot(cmdutil.New(ios))
	md, err := docgen.Markdown(root)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := docgen.Completions(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir   string
		files docgen.Files
		ext   string
	}{
		{filepath.Join("..", "..", "docs", "reference"), md, ".md"},
		{filepath.Join("..", "..", "completions"), comp, ""},
	} {
		for name, want := range c.files {
			got, err := os.ReadFile(filepath.Join(c.dir, name))
			if err != nil {
				t.Errorf("%s is missing: run `go generate ./...`", filepath.Join(c.dir, name))
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is out of date: run `go generate ./...`", filepath.Join(c.dir, name))
			}
		}
		if c.ext == "" {
			continue
		}
		ents, _ := os.ReadDir(c.dir)
		var stale []string
		for _, e := range ents {
			if _, ok := c.files[e.Name()]; !ok && strings.HasSuffix(e.Name(), c.ext) {
				stale = append(stale, e.Name())
			}
		}
		sort.Strings(stale)
		if len(stale) > 0 {
			t.Errorf("%s has pages for commands that no longer exist: %v; run `go generate ./...`", c.dir, stale)
		}
	}
}

func TestManPages(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := commands.NewRoot(cmdutil.New(ios))
	man, err := docgen.Man(root)
	if err != nil {
		t.Fatal(err)
	}
	page, ok := man["msctl-config-set.1"]
	if !ok {
		t.Fatalf("no man page for msctl config set; have %d pages", len(man))
	}
	if !bytes.Contains(page, []byte(".TH \"MSCTL\" \"1\"")) || !bytes.Contains(page, []byte("current_context")) {
		t.Errorf("man page lacks its header or text:\n%s", page)
	}
	dir := t.TempDir()
	if err := docgen.Write(dir, man, ".1"); err != nil {
		t.Fatal(err)
	}
	// A page for a command that is gone is removed on the next write.
	if err := os.WriteFile(filepath.Join(dir, "msctl-gone.1"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := docgen.Write(dir, man, ".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "msctl-gone.1")); !os.IsNotExist(err) {
		t.Error("stale man page was not removed")
	}
}

// TestEveryRegistryKindIsWired proves that a registry kind is known from
// its descriptor alone: each registered kind appears in the --registry
// help and completion, the completion of `registry diff --from/--to`, the
// `msctl registry` help and the committed docs/registry-adapters.md table.
func TestEveryRegistryKindIsWired(t *testing.T) {
	kinds := registry.AllKinds()
	if len(kinds) < 9 {
		t.Fatalf("%d registry kinds registered, want every adapter (9)", len(kinds))
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "registry-adapters.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := docgen.WithKindsTable(page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(page, want) {
		t.Error("docs/registry-adapters.md's registry table is out of date: run `go generate ./...`")
	}
	run := func(args ...string) string {
		ios, _, out, _ := iostreams.Test()
		root := commands.NewRoot(cmdutil.New(ios))
		root.SetArgs(args)
		root.SetOut(out)
		if err := root.Execute(); err != nil {
			t.Fatalf("msctl %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	servicesHelp := run("registry", "services", "--help")
	groupHelp := run("registry", "--help")
	completeRegistry := run("__complete", "registry", "services", "--registry", "")
	completeFrom := run("__complete", "registry", "diff", "--from", "")
	completeTo := run("__complete", "registry", "diff", "--to", "")
	for _, k := range kinds {
		scheme := k.URLScheme() + "://"
		for _, c := range []struct{ where, text, want string }{
			{"--registry help", servicesHelp, scheme},
			{"msctl registry --help", groupHelp, k.URLForm()},
			{"--registry completion", completeRegistry, scheme},
			{"registry diff --from completion", completeFrom, scheme},
			{"registry diff --to completion", completeTo, scheme},
			{"docs/registry-adapters.md", string(page), "`" + k.URLForm() + "`"},
		} {
			if !strings.Contains(c.text, c.want) {
				t.Errorf("kind %s: %s lacks %q", k.Name, c.where, c.want)
			}
		}
		for _, n := range append([]string{k.Name, k.URLScheme()}, k.Aliases...) {
			if got, ok := registry.LookupKind(strings.ToUpper(n)); !ok || got.Name != k.Name {
				t.Errorf("LookupKind(%q) = %q, %v; want kind %s", n, got.Name, ok, k.Name)
			}
		}
	}
}
