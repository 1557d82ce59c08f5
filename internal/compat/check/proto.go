package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/msctl/msctl/internal/compat"
	"github.com/msctl/msctl/internal/compat/protocompat"
)

// Proto compares Protocol Buffers files.
func Proto(ctx context.Context, o Options) (*compat.Report, error) {
	st, err := os.Stat(o.Target)
	if err != nil {
		return nil, InputError(fmt.Errorf("reading %s: %w", o.Target, err))
	}
	cat, ok := protocompat.ParseCategory(o.Category)
	if !ok {
		return nil, InputError(fmt.Errorf("invalid category %q: use one of %s", o.Category, strings.Join(protocompat.Categories, ", ")))
	}
	r, err := resolve(ctx, &o)
	if err != nil {
		return nil, err
	}
	newIn, err := protoInput(o.Target, st.IsDir(), o.ImportPaths, func(dir string) ([]string, error) { return protocompat.FindFiles(dir) })
	if err != nil {
		return nil, InputError(err)
	}
	baseDir := st.IsDir()
	if r.target != o.Target {
		if bst, err := os.Stat(r.target); err == nil {
			baseDir = bst.IsDir()
		} else if r.git != nil {
			baseDir = !strings.HasSuffix(r.target, ".proto")
		}
	}
	oldIn, err := protoInput(r.target, baseDir, o.ImportPaths, func(dir string) ([]string, error) { return r.src.ListFiles(dir, ".proto") })
	if err != nil {
		return nil, InputError(err)
	}
	oldIn.Read = r.src.ReadFile
	oldIn.Label = r.src.Label()
	newSet, err := protocompat.Load(ctx, newIn)
	if err != nil {
		return nil, InputError(err)
	}
	oldSet, err := protocompat.Load(ctx, oldIn)
	if err != nil {
		var pe *protocompat.ParseError
		if errors.As(err, &pe) {
			return nil, InputError(fmt.Errorf("baseline %s: %w", r.describe, err))
		}
		return nil, InputError(err)
	}
	cmp := protocompat.Compare(oldSet, newSet, protocompat.Options{Category: cat, PairSingle: !st.IsDir() && !baseDir})
	rep := &compat.Report{Language: "proto", Target: o.Target, Baseline: r.describe, Findings: cmp.Findings, Notes: r.notes}
	if len(cmp.Renamed) > 0 {
		for from, to := range cmp.Renamed {
			rep.Notes = append(rep.Notes, fmt.Sprintf("package %s is the new major version of %s: compared as such, not as a deletion", to, from))
		}
	}
	rep.Notes = append(rep.Notes, "category "+cat)
	return finish(&o, rep, gate(ctx, &o, r, cmp.OldVersion, cmp.NewVersion, "proto package suffix")), nil
}

// protoInput names the files to compile for a target file or folder. A
// file's name is relative to the -I folder that holds it, or to its own
// folder; a folder's files are relative to the folder, which becomes the
// first import path.
func protoInput(target string, isDir bool, imports []string, list func(string) ([]string, error)) (protocompat.Input, error) {
	in := protocompat.Input{}
	if isDir {
		files, err := list(target)
		if err != nil {
			return in, err
		}
		if len(files) == 0 {
			return in, fmt.Errorf("%s: no .proto files", target)
		}
		in.ImportPaths = append([]string{target}, imports...)
		in.Files = files
		return in, nil
	}
	for _, ip := range imports {
		if rel, err := filepath.Rel(ip, target); err == nil && !strings.HasPrefix(rel, "..") {
			in.ImportPaths = append([]string{ip}, without(imports, ip)...)
			in.Files = []string{filepath.ToSlash(rel)}
			return in, nil
		}
	}
	in.ImportPaths = append([]string{filepath.Dir(target)}, imports...)
	in.Files = []string{filepath.Base(target)}
	return in, nil
}

func without(ss []string, s string) []string {
	var out []string
	for _, x := range ss {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
