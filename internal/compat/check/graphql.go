package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/msctl/msctl/internal/compat"
	"github.com/msctl/msctl/internal/compat/graphqlcompat"
)

var graphqlExts = []string{".graphql", ".graphqls", ".gql"}

// GraphQL compares GraphQL schemas (a file, or a folder of schema files);
// the declared version is a "# version: X" comment or @version directive.
func GraphQL(ctx context.Context, o Options) (*compat.Report, error) {
	st, err := os.Stat(o.Target)
	if err != nil {
		return nil, InputError(fmt.Errorf("reading %s: %w", o.Target, err))
	}
	r, err := resolve(ctx, &o)
	if err != nil {
		return nil, err
	}
	files := func(target string, isDir bool, list func(string, ...string) ([]string, error)) ([]string, error) {
		if !isDir {
			return []string{target}, nil
		}
		names, err := list(target, graphqlExts...)
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: no %v files", target, graphqlExts)
		}
		for i, n := range names {
			names[i] = filepath.Join(target, n)
		}
		return names, nil
	}
	nf, err := files(o.Target, st.IsDir(), localList)
	if err != nil {
		return nil, InputError(err)
	}
	baseDir := st.IsDir()
	if bst, err := os.Stat(r.target); err == nil && r.git == nil {
		baseDir = bst.IsDir()
	}
	of, err := files(r.target, baseDir, r.src.ListFiles)
	if err != nil {
		return nil, InputError(err)
	}
	ns, err := graphqlcompat.Load(nf, nil, "")
	if err != nil {
		return nil, InputError(err)
	}
	os_, err := graphqlcompat.Load(of, r.src.ReadFile, r.src.Label())
	if err != nil {
		return nil, InputError(fmt.Errorf("baseline %s: %w", r.describe, err))
	}
	rep := &compat.Report{Language: "graphql", Target: o.Target, Baseline: r.describe, Findings: graphqlcompat.Compare(os_, ns), Notes: r.notes}
	return finish(&o, rep, gate(ctx, &o, r, os_.Version, ns.Version, "schema version comment")), nil
}
