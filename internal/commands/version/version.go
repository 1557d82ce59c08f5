// Package version implements `msctl version`.
package version

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/buildinfo"
	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
)

// Options are the parsed flags of `msctl version`.
type Options struct {
	IO     *iostreams.IOStreams
	Output string
}

// NewCmd builds `msctl version`. runF, when not nil, replaces the run
// function so that tests can check flag parsing alone.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print msctl's version, commit, build date and Go version",
		Example: `  msctl version
  msctl version -o json | jq -r .version`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// Run prints the build information.
func Run(opts *Options) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	info := buildinfo.Get()
	if format == output.FormatTable {
		return WriteText(opts.IO.Out, info)
	}
	return output.Write(opts.IO, format, info, nil)
}

// WriteText prints info as `msctl --version` does.
func WriteText(w io.Writer, info buildinfo.Info) error {
	_, err := fmt.Fprintf(w, "msctl %s\ncommit: %s\nbuilt: %s\ngo: %s %s\n",
		info.Version, info.Commit, info.Date, info.GoVersion, info.Platform)
	return err
}
