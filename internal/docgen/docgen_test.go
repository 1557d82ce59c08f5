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
