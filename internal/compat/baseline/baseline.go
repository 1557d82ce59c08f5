// Package baseline reads the API that a change is compared against: a local
// file or folder, a URL, or a git revision. Git baselines are read with
// `git cat-file` and `git ls-tree`, so the work tree is never touched; in a
// shallow clone the missing history is fetched (and the user told so).
package baseline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Source reads baseline files by local path: the path the file has (or
// had) in the work tree, relative to the current folder or absolute.
type Source interface {
	// ReadFile returns a file's bytes; a missing file is fs.ErrNotExist.
	ReadFile(path string) ([]byte, error)
	// ListFiles lists files under dir whose names end in one of exts,
	// relative to dir, sorted.
	ListFiles(dir string, exts ...string) ([]string, error)
	// Label prefixes file names in findings ("git:main:" for git).
	Label() string
}

// Spec is a parsed --against value.
type Spec struct {
	// Kind is file, folder, url or git.
	Kind string
	// Path is the file, folder or URL; for git the optional PATH.
	Path string
	// Rev is the git revision; empty means the merge-base with the default
	// branch.
	Rev string
	Raw string
}

// Parse reads a --against value: git:REV[:PATH], git: (the default),
// http(s)://..., or a local file or folder.
func Parse(s string) (Spec, error) {
	sp := Spec{Raw: s}
	switch {
	case s == "" || s == "git" || s == "git:":
		sp.Kind = "git"
	case strings.HasPrefix(s, "git:"):
		sp.Kind = "git"
		rest := s[len("git:"):]
		if i := strings.Index(rest, ":"); i >= 0 {
			sp.Rev, sp.Path = rest[:i], rest[i+1:]
		} else {
			sp.Rev = rest
		}
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		sp.Kind, sp.Path = "url", s
	default:
		st, err := os.Stat(s)
		if err != nil {
			return sp, fmt.Errorf("baseline %q: %w (use a file, a folder, a URL or git:REV[:PATH])", s, err)
		}
		sp.Kind, sp.Path = "file", s
		if st.IsDir() {
			sp.Kind = "folder"
		}
	}
	return sp, nil
}

// Local reads the file system; it is the new side, and the baseline for
// file and folder baselines.
type Local struct{}

// ReadFile implements Source.
func (Local) ReadFile(p string) ([]byte, error) { return os.ReadFile(p) }

// Label implements Source.
func (Local) Label() string { return "" }

// ListFiles implements Source.
func (Local) ListFiles(dir string, exts ...string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && hasExt(p, exts) {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func hasExt(p string, exts []string) bool {
	if len(exts) == 0 {
		return true
	}
	for _, e := range exts {
		if strings.HasSuffix(p, e) {
			return true
		}
	}
	return false
}

// URL is a baseline fetched over HTTP(S): the one file at the URL stands
// for the new target; every other path is read locally (imports, $refs to
// files next to the target).
type URL struct {
	URL    string
	Target string
	Client *http.Client
	body   []byte
}

// MaxURLSize bounds what a URL baseline may return.
const MaxURLSize = 64 << 20

// Fetch downloads the URL once. TLS certificates are verified.
func (u *URL) Fetch(ctx context.Context) error {
	c := u.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.URL, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("fetching baseline: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching baseline %s: %s", u.URL, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxURLSize+1))
	if err != nil {
		return fmt.Errorf("fetching baseline %s: %w", u.URL, err)
	}
	if len(b) > MaxURLSize {
		return fmt.Errorf("baseline %s is larger than %d MiB", u.URL, MaxURLSize>>20)
	}
	u.body = b
	return nil
}

// ReadFile implements Source.
func (u *URL) ReadFile(p string) ([]byte, error) {
	if filepath.Clean(p) == filepath.Clean(u.Target) {
		return u.body, nil
	}
	return os.ReadFile(p)
}

// ListFiles implements Source: a URL is a single file.
func (u *URL) ListFiles(dir string, exts ...string) ([]string, error) {
	return nil, errors.New("a URL baseline is one file; compare a file, or use a folder or git baseline for folders")
}

// Label implements Source.
func (u *URL) Label() string { return "" }
