// Package check runs one compatibility check end to end: it resolves the
// baseline (file, folder, URL or git revision), loads both sides with the
// language's checker, applies msctl-compat.yaml and the semantic-version
// gate, and returns a compat.Report. The command package only parses flags
// into Options.
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/compat"
	"github.com/msctl/msctl/internal/compat/baseline"
	"github.com/msctl/msctl/internal/exitcode"
)

// Options are what every language's check takes.
type Options struct {
	// Target is the new API file or folder.
	Target string
	// Against is the baseline: a file, folder, URL or git:REV[:PATH];
	// empty means the merge-base with the default branch.
	Against string
	// ImportPaths are proto -I folders.
	ImportPaths []string
	// Category is the proto rule category.
	Category string
	Config   *compat.Config
	// NoSemver turns the version gate off.
	NoSemver bool
	// Version and BaselineVersion override the declared versions.
	Version, BaselineVersion string
	Now                      time.Time
	// Stderr receives notes (a shallow clone was deepened).
	Stderr io.Writer
}

// InputError is bad input: a file that does not parse, a baseline that
// cannot be read. It maps to exit code 2.
func InputError(err error) error { return exitcode.UsageError(err, "") }

// resolved is the baseline as the language loaders need it.
type resolved struct {
	src baseline.Source
	// target is the path in src that stands for the new target.
	target string
	// describe names the baseline in reports.
	describe string
	git      *baseline.Git
	notes    []string
}

func resolve(ctx context.Context, o *Options) (*resolved, error) {
	sp, err := baseline.Parse(o.Against)
	if err != nil {
		return nil, InputError(err)
	}
	switch sp.Kind {
	case "file", "folder":
		return &resolved{src: baseline.Local{}, target: sp.Path, describe: sp.Path}, nil
	case "url":
		u := &baseline.URL{URL: sp.Path, Target: sp.Path}
		if err := u.Fetch(ctx); err != nil {
			return nil, exitcode.UnreachableError(err, "check the URL, or use a file or git baseline")
		}
		return &resolved{src: u, target: sp.Path, describe: sp.Path}, nil
	}
	dir := o.Target
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	g, err := baseline.OpenGit(ctx, baseline.GitOptions{Dir: dir, Rev: sp.Rev, Log: o.Stderr})
	if err != nil {
		if errors.Is(err, baseline.ErrNotRepo) {
			return nil, InputError(fmt.Errorf("%w: the default baseline is the merge-base with the default branch; name one with --against FILE|FOLDER|URL|git:REV[:PATH]", err))
		}
		return nil, InputError(err)
	}
	r := &resolved{src: g, git: g, target: o.Target}
	if sp.Path != "" {
		r.target = g.LocalPath(sp.Path)
	}
	r.describe = g.Describe(g.RepoPath(r.target))
	r.notes = g.Notes
	return r, nil
}

// gate builds the semver gate from flags, the API's own versions, then git
// tags.
func gate(ctx context.Context, o *Options, r *resolved, oldV, newV, source string) *compat.Gate {
	if o.NoSemver {
		return nil
	}
	g := &compat.Gate{Old: oldV, New: newV, Source: source}
	if o.BaselineVersion != "" {
		g.Old, g.Source = o.BaselineVersion, "--baseline-version"
	}
	if o.Version != "" {
		g.New = o.Version
		if o.BaselineVersion == "" && g.Old != "" {
			g.Source = source + " and --version"
		} else {
			g.Source = "--version"
		}
	}
	if (g.Old == "" || g.New == "") && r != nil && r.git != nil {
		if g.Old == "" {
			g.Old = r.git.TagAt(ctx, r.git.Commit)
		}
		if g.New == "" {
			g.New = r.git.ExactTag(ctx, "HEAD")
		}
		if g.Old != "" || g.New != "" {
			g.Source = strings.TrimPrefix(g.Source+", git tags", ", ")
		}
	}
	return g
}

// finish applies the config and the gate.
func finish(o *Options, rep *compat.Report, g *compat.Gate) *compat.Report {
	cfg := o.Config
	if cfg == nil {
		cfg = &compat.Config{}
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	var notes []string
	rep.Findings, notes = cfg.Apply(rep.Findings, now)
	rep.Notes = append(rep.Notes, notes...)
	rep.Finish(g)
	return rep
}
