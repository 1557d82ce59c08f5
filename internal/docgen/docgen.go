// Package docgen generates msctl's reference documentation (Markdown and man
// pages) and shell completion scripts from the command tree, so that they
// can never describe a different msctl than the one built.
//
// The committed copies under docs/reference/ and completions/ are refreshed
// by `go generate ./...`; a test fails when they drift.
package docgen

//go:generate go run ./gen -root ../..

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/msctl/msctl/internal/atomicfile"
	"github.com/msctl/msctl/internal/registry"
)

// Files is a set of generated files by name.
type Files map[string][]byte

// Markdown renders one Markdown page per command.
func Markdown(root *cobra.Command) (Files, error) {
	out := Files{}
	link := func(name string) string { return name }
	err := walk(root, func(c *cobra.Command) error {
		var b bytes.Buffer
		if err := doc.GenMarkdownCustom(c, &b, link); err != nil {
			return fmt.Errorf("markdown for %s: %w", c.CommandPath(), err)
		}
		out[strings.ReplaceAll(c.CommandPath(), " ", "_")+".md"] = b.Bytes()
		return nil
	})
	return out, err
}

// Man renders one man page (section 1) per command.
func Man(root *cobra.Command) (Files, error) {
	out := Files{}
	header := &doc.GenManHeader{Title: "MSCTL", Section: "1", Source: "msctl", Manual: "msctl manual"}
	err := walk(root, func(c *cobra.Command) error {
		var b bytes.Buffer
		h := *header
		if err := doc.GenMan(c, &h, &b); err != nil {
			return fmt.Errorf("man page for %s: %w", c.CommandPath(), err)
		}
		out[strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"] = b.Bytes()
		return nil
	})
	return out, err
}

// Completions renders the bash, zsh, fish and PowerShell scripts.
func Completions(root *cobra.Command) (Files, error) {
	name := root.Name()
	var bash, zsh, fish, ps bytes.Buffer
	if err := root.GenBashCompletionV2(&bash, true); err != nil {
		return nil, err
	}
	if err := root.GenZshCompletion(&zsh); err != nil {
		return nil, err
	}
	if err := root.GenFishCompletion(&fish, true); err != nil {
		return nil, err
	}
	if err := root.GenPowerShellCompletionWithDesc(&ps); err != nil {
		return nil, err
	}
	return Files{
		name + ".bash": bash.Bytes(),
		"_" + name:     zsh.Bytes(),
		name + ".fish": fish.Bytes(),
		name + ".ps1":  ps.Bytes(),
	}, nil
}

func walk(c *cobra.Command, fn func(*cobra.Command) error) error {
	if !c.IsAvailableCommand() && c.HasParent() {
		return nil
	}
	if err := fn(c); err != nil {
		return err
	}
	for _, sub := range c.Commands() {
		if err := walk(sub, fn); err != nil {
			return err
		}
	}
	return nil
}

// Write writes files into dir atomically, one by one, and removes files of
// the same kind (by extension) that are no longer generated, so that a
// removed command does not leave a stale page behind. It never removes
// anything else.
func Write(dir string, files Files, staleExt string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for name, b := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	if staleExt == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	for _, e := range ents {
		if _, ok := files[e.Name()]; !ok && !e.IsDir() && strings.HasSuffix(e.Name(), staleExt) && strings.HasPrefix(e.Name(), "msctl") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("removing stale %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// The registry table of docs/registry-adapters.md sits between these
// markers; the rest of the page is written by hand.
const (
	kindsBegin = "<!-- registry kinds: generated from internal/registry descriptors by `go generate ./...` -->\n"
	kindsEnd   = "<!-- end of registry kinds -->\n"
)

// KindsTable is the Markdown table of every registered registry kind.
func KindsTable() string {
	var b strings.Builder
	b.WriteString("| Registry | URL | Default address | Aliases |\n|---|---|---|---|\n")
	for _, k := range registry.AllKinds() {
		var aliases []string
		for _, a := range append([]string{k.Name}, k.Aliases...) {
			if a != k.URLScheme() {
				aliases = append(aliases, "`"+a+"`")
			}
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", k.Title, k.URLForm(), k.DefaultText(), strings.Join(aliases, ", "))
	}
	return b.String()
}

// WithKindsTable returns page with the text between the kinds markers
// replaced by KindsTable.
func WithKindsTable(page []byte) ([]byte, error) {
	s := string(page)
	i, j := strings.Index(s, kindsBegin), strings.Index(s, kindsEnd)
	if i < 0 || j < i {
		return nil, fmt.Errorf("the registry kinds markers are missing (%q ... %q)", strings.TrimSpace(kindsBegin), strings.TrimSpace(kindsEnd))
	}
	return []byte(s[:i+len(kindsBegin)] + KindsTable() + s[j:]), nil
}
