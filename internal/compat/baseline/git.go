package baseline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Git reads files at one commit of a repository.
type Git struct {
	// Top is the repository's top-level folder (absolute).
	Top string
	// Rev is what the user asked for ("main", "" for the default); Commit
	// is the resolved commit.
	Rev, Commit string
	// Notes tell what was fetched; they are also written to Log.
	Notes []string
	Log   io.Writer

	mu    sync.Mutex
	cache map[string][]byte
}

// GitOptions tell OpenGit where and what to read.
type GitOptions struct {
	// Dir is a folder inside the repository (the new API's folder).
	Dir string
	// Rev is the revision; empty means the merge-base of HEAD with the
	// default branch.
	Rev string
	// Log receives what was fetched (stderr).
	Log io.Writer
}

// ErrNotRepo is returned when the folder is not in a git repository.
var ErrNotRepo = errors.New("not in a git repository")

// maxDeepen bounds how often a shallow clone is deepened while looking for a
// merge-base before the whole history is fetched.
const maxDeepen = 6

// OpenGit resolves the revision, fetching what a shallow or single-branch
// clone is missing.
func OpenGit(ctx context.Context, o GitOptions) (*Git, error) {
	g := &Git{Rev: o.Rev, Log: o.Log, cache: map[string][]byte{}}
	if g.Log == nil {
		g.Log = io.Discard
	}
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	top, err := g.git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotRepo)
	}
	g.Top = strings.TrimSpace(top)
	if o.Rev == "" {
		base, err := g.defaultBase(ctx)
		if err != nil {
			return nil, err
		}
		g.Commit = base
		return g, nil
	}
	c, err := g.resolve(ctx, o.Rev)
	if err != nil {
		return nil, err
	}
	g.Commit = c
	return g, nil
}

func (g *Git) git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.String(), fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out.String(), nil
}

func (g *Git) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	g.Notes = append(g.Notes, n)
	fmt.Fprintf(g.Log, "msctl: %s\n", n)
}

func (g *Git) shallow(ctx context.Context) bool {
	out, err := g.git(ctx, g.Top, "rev-parse", "--is-shallow-repository")
	return err == nil && strings.TrimSpace(out) == "true"
}

func (g *Git) remote(ctx context.Context) string {
	out, err := g.git(ctx, g.Top, "remote")
	if err != nil {
		return ""
	}
	rs := strings.Fields(out)
	for _, r := range rs {
		if r == "origin" {
			return r
		}
	}
	if len(rs) > 0 {
		return rs[0]
	}
	return ""
}

// resolve turns a revision into a commit, fetching it from the remote when
// the clone does not have it (single-branch and shallow CI clones).
func (g *Git) resolve(ctx context.Context, rev string) (string, error) {
	try := func() (string, bool) {
		for _, r := range []string{rev, "origin/" + rev} {
			if out, err := g.git(ctx, g.Top, "rev-parse", "--verify", "--quiet", r+"^{commit}"); err == nil {
				return strings.TrimSpace(out), true
			}
		}
		return "", false
	}
	if c, ok := try(); ok {
		return c, nil
	}
	remote := g.remote(ctx)
	if remote == "" {
		return "", fmt.Errorf("git revision %q not found, and the repository has no remote to fetch it from", rev)
	}
	args := []string{"fetch", "--no-tags", "--quiet"}
	if g.shallow(ctx) {
		args = append(args, "--depth=1")
	}
	// Fetch branches and tags into their usual refs so later runs find
	// them; anything else (a commit id) through FETCH_HEAD.
	refspec := rev
	if !looksLikeCommit(rev) {
		if _, err := g.git(ctx, g.Top, append(args, remote, "+refs/tags/"+rev+":refs/tags/"+rev)...); err == nil {
			g.note("fetched tag %s from %s (it was not in this clone)", rev, remote)
			if c, ok := try(); ok {
				return c, nil
			}
		}
		refspec = "+refs/heads/" + rev + ":refs/remotes/" + remote + "/" + rev
	}
	if _, err := g.git(ctx, g.Top, append(args, remote, refspec)...); err != nil {
		return "", fmt.Errorf("git revision %q not found locally, and fetching it from %s failed: %w", rev, remote, err)
	}
	g.note("fetched %s from %s (it was not in this clone)", rev, remote)
	if c, ok := try(); ok {
		return c, nil
	}
	out, err := g.git(ctx, g.Top, "rev-parse", "--verify", "FETCH_HEAD^{commit}")
	if err != nil {
		return "", fmt.Errorf("git revision %q not found after fetching it", rev)
	}
	return strings.TrimSpace(out), nil
}

func looksLikeCommit(s string) bool {
	if len(s) < 7 || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// DefaultBranch names the remote's default branch (origin/HEAD), falling
// back to main or master.
func (g *Git) DefaultBranch(ctx context.Context) string {
	remote := g.remote(ctx)
	if remote != "" {
		if out, err := g.git(ctx, g.Top, "symbolic-ref", "--quiet", "--short", "refs/remotes/"+remote+"/HEAD"); err == nil {
			return strings.TrimPrefix(strings.TrimSpace(out), remote+"/")
		}
	}
	for _, b := range []string{"main", "master"} {
		for _, r := range []string{b, remote + "/" + b} {
			if _, err := g.git(ctx, g.Top, "rev-parse", "--verify", "--quiet", r+"^{commit}"); err == nil {
				return b
			}
		}
	}
	return "main"
}

// defaultBase is the merge-base of HEAD with the default branch, deepening
// a shallow clone until the two histories meet.
func (g *Git) defaultBase(ctx context.Context) (string, error) {
	branch := g.DefaultBranch(ctx)
	g.Rev = branch
	tip, err := g.resolve(ctx, branch)
	if err != nil {
		return "", fmt.Errorf("finding the default baseline (merge-base with %s): %w; name one with --against", branch, err)
	}
	for i := 0; ; i++ {
		out, err := g.git(ctx, g.Top, "merge-base", "HEAD", tip)
		if err == nil {
			return strings.TrimSpace(out), nil
		}
		if !g.shallow(ctx) || i > maxDeepen {
			return "", fmt.Errorf("no merge-base between HEAD and %s: %w", branch, err)
		}
		remote := g.remote(ctx)
		if remote == "" {
			return "", fmt.Errorf("no merge-base between HEAD and %s in this shallow clone, and no remote to deepen from", branch)
		}
		if i == maxDeepen {
			if _, err := g.git(ctx, g.Top, "fetch", "--quiet", "--no-tags", "--unshallow", remote); err != nil {
				return "", err
			}
			g.note("shallow clone: fetched the whole history from %s to find the merge-base with %s", remote, branch)
			continue
		}
		depth := 50 << i
		if _, err := g.git(ctx, g.Top, "fetch", "--quiet", "--no-tags", fmt.Sprintf("--deepen=%d", depth), remote, "HEAD", "+refs/heads/"+branch+":refs/remotes/"+remote+"/"+branch); err != nil {
			return "", fmt.Errorf("deepening the shallow clone: %w", err)
		}
		g.note("shallow clone: deepened by %d commits from %s to find the merge-base with %s", depth, remote, branch)
	}
}

// rel turns a local path into a repository path, or ok=false when it is
// outside the repository.
func (g *Git) rel(p string) (string, bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	if r, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(r, filepath.Base(abs))
	}
	top := g.Top
	if r, err := filepath.EvalSymlinks(top); err == nil {
		top = r
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// ReadFile implements Source: the file as it was at the commit. Paths
// outside the repository (system import folders) are read from disk.
func (g *Git) ReadFile(p string) ([]byte, error) {
	rel, ok := g.rel(p)
	if !ok {
		return os.ReadFile(p)
	}
	g.mu.Lock()
	b, cached := g.cache[rel]
	g.mu.Unlock()
	if cached {
		if b == nil {
			return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
		}
		return b, nil
	}
	cmd := exec.Command("git", "-C", g.Top, "cat-file", "blob", g.Commit+":"+rel)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		g.mu.Lock()
		g.cache[rel] = nil
		g.mu.Unlock()
		return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
	}
	b = out.Bytes()
	g.mu.Lock()
	g.cache[rel] = b
	g.mu.Unlock()
	return b, nil
}

// ListFiles implements Source.
func (g *Git) ListFiles(dir string, exts ...string) ([]string, error) {
	rel, ok := g.rel(dir)
	if !ok {
		return nil, fmt.Errorf("%s is outside the repository %s", dir, g.Top)
	}
	args := []string{"ls-tree", "-r", "--name-only", g.Commit}
	if rel != "." {
		args = append(args, "--", rel+"/")
	}
	out, err := g.git(context.Background(), g.Top, args...)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" || !hasExt(l, exts) {
			continue
		}
		if rel != "." {
			l = strings.TrimPrefix(l, rel+"/")
		}
		files = append(files, l)
	}
	sort.Strings(files)
	return files, nil
}

// Label implements Source.
func (g *Git) Label() string {
	rev := g.Rev
	if rev == "" {
		rev = g.Commit[:min(len(g.Commit), 12)]
	}
	return "git:" + rev + ":"
}

// Describe names the baseline for reports.
func (g *Git) Describe(path string) string {
	d := "git:" + g.Rev
	if g.Rev == "" {
		d = "git:" + g.Commit[:min(len(g.Commit), 12)]
	}
	if path != "" {
		d += ":" + path
	}
	if c := g.Commit[:min(len(g.Commit), 12)]; g.Rev != "" && !strings.HasPrefix(g.Rev, c) {
		d += " (" + c + ")"
	}
	return d
}

// RepoPath is p relative to the repository top, for labels.
func (g *Git) RepoPath(p string) string {
	if r, ok := g.rel(p); ok {
		return r
	}
	return p
}

// LocalPath turns a repository path (git:REV:PATH) into a local path
// relative to the current folder.
func (g *Git) LocalPath(repoPath string) string {
	abs := filepath.Join(g.Top, filepath.FromSlash(repoPath))
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, abs); err == nil {
			return r
		}
	}
	return abs
}

// TagAt returns the nearest tag reachable from rev ("" when none): the
// version the baseline was released as.
func (g *Git) TagAt(ctx context.Context, rev string) string {
	out, err := g.git(ctx, g.Top, "describe", "--tags", "--abbrev=0", rev)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// ExactTag returns a tag pointing exactly at rev ("" when none).
func (g *Git) ExactTag(ctx context.Context, rev string) string {
	out, err := g.git(ctx, g.Top, "describe", "--tags", "--exact-match", rev)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}
