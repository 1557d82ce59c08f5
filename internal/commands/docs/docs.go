// Package docs implements `msctl docs`: reference documentation generated
// from the command tree.
package docs

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/docgen"
)

// NewCmd builds `msctl docs`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:               "docs",
		Short:             "Generate reference documentation (man pages, Markdown)",
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	gen := func(use, short string, render func(*cobra.Command) (docgen.Files, error), ext string) *cobra.Command {
		return &cobra.Command{
			Use:   use + " DIR",
			Short: short,
			Args:  cmdutil.ExactArgs(1, "DIR"),
			ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return nil, cobra.ShellCompDirectiveFilterDirs
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				files, err := render(cmd.Root())
				if err != nil {
					return err
				}
				if err := docgen.Write(args[0], files, ext); err != nil {
					return err
				}
				_, err = fmt.Fprintf(f.IOStreams.ErrOut, "Wrote %d pages to %s.\n", len(files), args[0])
				return err
			},
		}
	}
	cmd.AddCommand(
		gen("man", "Write one man page per command into DIR", docgen.Man, ".1"),
		gen("markdown", "Write one Markdown page per command into DIR", docgen.Markdown, ".md"),
	)
	return cmd
}
