package loadtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/atomicfile"
	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	lt "github.com/msctl/msctl/internal/loadtest"
	"github.com/msctl/msctl/internal/output"
)

// MergeOptions are the parsed flags of `msctl loadtest merge`.
type MergeOptions struct {
	IO     *iostreams.IOStreams
	Files  []string
	Output string
	Save   string
	Force  bool
}

func newMergeCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &MergeOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Combine the results of runs made on several machines, exactly",
		Long: `Combine loadtest results (files written by --save or -o json; a file may
hold several results one after another, as kubectl logs of a distributed run
does). Counts and HDR histograms add exactly, so the merged percentiles are
those of all requests together; rates are over the longest run; per-second
series add second by second from each run's start.

The output has the same JSON schema as msctl loadtest.`,
		Example: `  msctl loadtest merge a.json b.json
  kubectl logs -l job-name=msctl-loadtest --tail=-1 > all.json && msctl loadtest merge all.json -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return exitcode.Usagef("%q needs at least one result file", cmd.CommandPath())
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"json"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return RunMerge(opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	cmd.Flags().StringVar(&opts.Save, "save", "", "also write the merged result to this file")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing --save file")
	_ = cmd.MarkFlagFilename("save", "json")
	return cmd
}

// RunMerge merges the files.
func RunMerge(opts *MergeOptions) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	var results []*lt.Result
	for _, path := range opts.Files {
		rs, err := readResults(path)
		if err != nil {
			return exitcode.UsageError(err, "")
		}
		results = append(results, rs...)
	}
	merged, err := lt.Merge(results)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	if opts.Save != "" {
		if _, err := os.Stat(opts.Save); err == nil && !opts.Force {
			return exitcode.UsageError(fmt.Errorf("%s already exists", opts.Save), "use --force to overwrite it")
		}
		b, err := json.MarshalIndent(merged, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(opts.Save, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if format == output.FormatTable {
		return lt.WriteReport(opts.IO, merged)
	}
	return output.Write(opts.IO, format, merged, nil)
}

// readResults reads one or more concatenated JSON results from a file.
func readResults(path string) ([]*lt.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var out []*lt.Result
	for i := 1; ; i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: result %d: %w", path, i, err)
		}
		r, err := lt.DecodeResult(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: result %d: %w", path, i, err)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no results", path)
	}
	return out, nil
}
