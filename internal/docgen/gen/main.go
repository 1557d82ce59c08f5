// Command gen refreshes the committed reference docs (docs/reference/) and
// shell completions (completions/) from msctl's command tree. It is run by
// `go generate ./...`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/commands"
	"github.com/msctl/msctl/internal/docgen"
	"github.com/msctl/msctl/internal/iostreams"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	if err := run(*root); err != nil {
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
	return docgen.Write(filepath.Join(repo, "completions"), comp, "")
}
