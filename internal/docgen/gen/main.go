// Command gen refreshes the committed reference docs (docs/reference/) and
// shell completions (completions/) from msctl's command tree. It is run by
// `go generate ./...`; with -man DIR it writes the man pages the release
// archives ship instead (.goreleaser.yaml). The generators live here, not
// in the msctl binary: cobra's man renderer links a Markdown parser whose
// package init alone costs about a quarter of `msctl --version`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/msctl/msctl/internal/atomicfile"
	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/commands"
	"github.com/msctl/msctl/internal/docgen"
	"github.com/msctl/msctl/internal/iostreams"
)

func main() {
	root := flag.String("root", ".", "repository root")
	manDir := flag.String("man", "", "write man pages into this folder instead")
	flag.Parse()
	run := func() error { return run(*root) }
	if *manDir != "" {
		run = func() error { return man(*manDir) }
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(repo string) error {
	ios, _, _, _ := iostreams.Test()
	cmd := commands.NewRoot(cmdutil.New(ios))
	md, err := docgen.Markdown(cmd)
	if err != nil {
		return err
	}
	if err := docgen.Write(filepath.Join(repo, "docs", "reference"), md, ".md"); err != nil {
		return err
	}
	comp, err := docgen.Completions(cmd)
	if err != nil {
		return err
	}
	if err := docgen.Write(filepath.Join(repo, "completions"), comp, ""); err != nil {
		return err
	}
	adapters := filepath.Join(repo, "docs", "registry-adapters.md")
	page, err := os.ReadFile(adapters)
	if err != nil {
		return err
	}
	page, err = docgen.WithKindsTable(page)
	if err != nil {
		return fmt.Errorf("%s: %w", adapters, err)
	}
	return atomicfile.WriteFile(adapters, page, 0o644)
}

func man(dir string) error {
	ios, _, _, _ := iostreams.Test()
	pages, err := docgen.Man(commands.NewRoot(cmdutil.New(ios)))
	if err != nil {
		return err
	}
	if err := docgen.Write(dir, pages, ".1"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: wrote %d man pages to %s\n", len(pages), dir)
	return nil
}
