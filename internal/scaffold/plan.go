package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Action is what applying a plan does to one file.
type Action string

// The actions of a plan.
const (
	ActionCreate    Action = "create"
	ActionUpdate    Action = "update"
	ActionConflict  Action = "conflict"
	ActionUnchanged Action = "unchanged"
)

// Engine renders template sets.
type Engine struct {
	// Templates holds one folder per set (templates.FS()).
	Templates fs.FS
	// OverrideDir, when set, holds folders named like sets whose files
	// replace or add to the embedded ones.
	OverrideDir string
	// MsctlVersion is recorded in the lock.
	MsctlVersion string
}

// Request is one rendering of a set into a folder.
type Request struct {
	Set string
	// Dir is the target project folder; it may not exist yet.
	Dir string
	// Data is what templates see.
	Data any
	// Answers are recorded in the lock (usually the same value as Data's
	// user-facing part).
	Answers any
	// Force turns conflicts into updates: the user's edits are overwritten.
	Force bool
	// Extra are files built by Go code rather than templates (service.yaml
	// from its schema, for example); they follow the same ownership rules.
	Extra []File
	// Derive, when set, builds more files from the rendered ones (keyed by
	// output path): stubs generated from a rendered .proto, for example.
	Derive func(rendered map[string][]byte) ([]File, error)
}

// File is a file rendered outside the template set.
type File struct {
	Path    string
	Owner   Owner
	Content []byte
	// Mode defaults to 0644.
	Mode os.FileMode
}

// Change is the plan for one file.
type Change struct {
	Path   string `json:"path"`
	Owner  Owner  `json:"owner"`
	Action Action `json:"action"`
	// Reason explains a conflict or an unchanged user-owned file.
	Reason string `json:"reason,omitempty"`
	// Forced is true when Action is update only because of Force.
	Forced bool `json:"forced,omitempty"`

	old, new []byte
	mode     os.FileMode
}

// Plan is the outcome of rendering a request, before anything is written.
type Plan struct {
	Dir     string    `json:"dir"`
	Set     string    `json:"set"`
	Version int       `json:"template_version"`
	Changes []*Change `json:"files"`

	lock   *Lock
	exists bool
	force  bool
}

// ConflictError lists the files whose user edits a run would lose.
type ConflictError struct{ Changes []*Change }

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d conflict(s), nothing written:", len(e.Changes))
	for _, c := range e.Changes {
		fmt.Fprintf(&b, " %s (%s);", c.Path, c.Reason)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Existed reports whether the target folder existed before the plan.
func (p *Plan) Existed() bool { return p.exists }

// Conflicts returns the changes that block Apply.
func (p *Plan) Conflicts() []*Change {
	var out []*Change
	for _, c := range p.Changes {
		if c.Action == ActionConflict {
			out = append(out, c)
		}
	}
	return out
}

// Counts returns how many files get each action.
func (p *Plan) Counts() map[Action]int {
	m := map[Action]int{}
	for _, c := range p.Changes {
		m[c.Action]++
	}
	return m
}

// Content returns the planned content of a file (nil when not in the plan).
func (p *Plan) Content(rel string) []byte {
	for _, c := range p.Changes {
		if c.Path == rel {
			return c.new
		}
	}
	return nil
}

// Diff writes unified diffs of every file the plan creates, updates or
// conflicts on (for a conflict, what --force would write).
func (p *Plan) Diff(w io.Writer) error {
	for _, c := range p.Changes {
		if c.Action == ActionUnchanged || bytes.Equal(c.old, c.new) {
			continue
		}
		from := "a/" + c.Path
		if c.Action == ActionCreate {
			from = "/dev/null"
		}
		d := udiff.Unified(from, "b/"+c.Path, string(c.old), string(c.new))
		if _, err := io.WriteString(w, d); err != nil {
			return err
		}
	}
	return nil
}

type rendered struct {
	path    string
	owner   Owner
	mode    os.FileMode
	content []byte
}

// Plan renders the request in memory and compares it with the target.
func (e *Engine) Plan(req Request) (*Plan, error) {
	set, err := LoadSet(e.Templates, req.Set, e.OverrideDir)
	if err != nil {
		return nil, err
	}
	files, err := renderSet(set, req.Data)
	if err != nil {
		return nil, err
	}
	extra := req.Extra
	if req.Derive != nil {
		byPath := make(map[string][]byte, len(files))
		for _, f := range files {
			byPath[f.path] = f.content
		}
		derived, err := req.Derive(byPath)
		if err != nil {
			return nil, err
		}
		extra = append(append([]File{}, extra...), derived...)
	}
	if files, err = addExtra(files, extra); err != nil {
		return nil, err
	}
	answers, err := toAnswerMap(req.Answers)
	if err != nil {
		return nil, err
	}
	// Absolute, so that the staging folder goes next to the target even
	// when the target is "." (its parent, not inside it).
	dir, err := filepath.Abs(req.Dir)
	if err != nil {
		return nil, err
	}
	exists, err := checkTarget(dir)
	if err != nil {
		return nil, err
	}
	var old *Lock
	if exists {
		if old, err = ReadLock(dir); err != nil {
			return nil, err
		}
	}
	plan := &Plan{Dir: dir, Set: set.Manifest.Name, Version: set.Manifest.Version, exists: exists, force: req.Force}
	lock := &Lock{Set: set.Manifest.Name, TemplateVersion: set.Manifest.Version, MsctlVersion: e.MsctlVersion, Answers: answers}
	for _, f := range files {
		c, lf, err := planFile(dir, exists, f, old, req.Force)
		if err != nil {
			return nil, err
		}
		plan.Changes = append(plan.Changes, c)
		if lf != nil {
			lock.Files = append(lock.Files, *lf)
		}
	}
	plan.lock = lock
	return plan, nil
}

func renderSet(set *Set, data any) ([]rendered, error) {
	var out []rendered
	seen := map[string]string{}
	for _, t := range set.Templates {
		tp := strings.TrimSuffix(t.Path, ".tmpl")
		owner, when, mode := set.Manifest.rulesFor(tp)
		skip := false
		for _, w := range when {
			b, err := render(t.Source+" (when)", w, data)
			if err != nil {
				return nil, err
			}
			switch v := strings.TrimSpace(string(b)); v {
			case "true":
			case "false", "":
				skip = true
			default:
				return nil, fmt.Errorf("template %s: when %q rendered %q, not true or false", t.Source, w, v)
			}
		}
		if skip {
			continue
		}
		pb, err := render(t.Source+" (path)", tp, data)
		if err != nil {
			return nil, err
		}
		p := string(pb)
		if err := checkPath(p); err != nil {
			return nil, fmt.Errorf("template %s: %w", t.Source, err)
		}
		if prev, dup := seen[p]; dup {
			return nil, fmt.Errorf("templates %s and %s both render %s", prev, t.Source, p)
		}
		seen[p] = t.Source
		content, err := render(t.Source, t.Text, data)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(content)) == 0 {
			continue
		}
		switch owner {
		case OwnerGenerated:
			if content, err = withHeader(p, content); err != nil {
				return nil, fmt.Errorf("template %s: %w", t.Source, err)
			}
		case OwnerInsert:
			if _, err := parseRegions(content); err != nil {
				return nil, fmt.Errorf("template %s: %w", t.Source, err)
			}
		}
		out = append(out, rendered{path: p, owner: owner, mode: mode, content: content})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

func addExtra(files []rendered, extra []File) ([]rendered, error) {
	for _, f := range extra {
		if err := checkPath(f.Path); err != nil {
			return nil, err
		}
		for _, r := range files {
			if r.path == f.Path {
				return nil, fmt.Errorf("%s is both a template and an extra file", f.Path)
			}
		}
		owner := f.Owner
		if owner == "" {
			owner = OwnerGenerated
		}
		content := f.Content
		if owner == OwnerGenerated {
			var err error
			if content, err = withHeader(f.Path, content); err != nil {
				return nil, err
			}
		}
		files = append(files, rendered{path: f.Path, owner: owner, mode: f.Mode, content: content})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

// checkTarget reports whether dir exists, refusing a target that is not a
// folder or is a symbolic link.
func checkTarget(dir string) (bool, error) {
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return false, fmt.Errorf("%s is a symbolic link; name the real folder", dir)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s exists and is not a folder", dir)
	}
	return true, nil
}

// readTarget reads dir/rel without following symbolic links anywhere below
// dir. It returns nil content when the file does not exist.
func readTarget(dir, rel string) ([]byte, bool, error) {
	cur := dir
	parts := strings.Split(rel, "/")
	for i, part := range parts {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return nil, false, fmt.Errorf("%s: refusing to write through symbolic link %s", rel, path.Join(parts[:i+1]...))
		}
		if i < len(parts)-1 && !st.IsDir() {
			return nil, false, fmt.Errorf("%s: %s is a file, not a folder", rel, path.Join(parts[:i+1]...))
		}
		if i == len(parts)-1 && !st.Mode().IsRegular() {
			return nil, false, fmt.Errorf("%s exists and is not a regular file", rel)
		}
	}
	b, err := os.ReadFile(cur)
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func planFile(dir string, exists bool, f rendered, old *Lock, force bool) (*Change, *LockFile, error) {
	c := &Change{Path: f.path, Owner: f.owner, new: f.content, mode: f.mode}
	lf := &LockFile{Path: f.path, Owner: f.owner, SHA256: hash(f.content)}
	if f.owner == OwnerInsert {
		bodies, _ := regionBodies(f.content)
		lf.Regions = hashBodies(bodies)
	}
	var disk []byte
	var onDisk bool
	if exists {
		var err error
		if disk, onDisk, err = readTarget(dir, f.path); err != nil {
			return nil, nil, err
		}
	}
	prev, inLock := old.file(f.path)
	if !onDisk {
		if f.owner == OwnerOnce && inLock {
			// The user deleted a file that became theirs: respect it.
			c.Action, c.Reason = ActionUnchanged, "deleted by you; not recreated"
			return c, &prev, nil
		}
		c.Action = ActionCreate
		return c, lf, nil
	}
	c.old = disk
	switch f.owner {
	case OwnerOnce:
		c.Action, c.Reason, c.new = ActionUnchanged, "yours since it was created", disk
		if inLock {
			return c, &prev, nil
		}
		lf.SHA256 = hash(disk)
		return c, lf, nil
	case OwnerGenerated:
		switch {
		case bytes.Equal(disk, f.content):
			c.Action = ActionUnchanged
		case inLock && hash(disk) == prev.SHA256:
			c.Action = ActionUpdate
		case inLock:
			c.Action, c.Reason = ActionConflict, "edited since msctl generated it"
		default:
			c.Action, c.Reason = ActionConflict, "exists and was not generated by msctl"
		}
	case OwnerInsert:
		return planInsert(c, lf, disk, prev, inLock, force)
	}
	if c.Action == ActionConflict && force {
		c.Action, c.Forced = ActionUpdate, true
	}
	return c, lf, nil
}

// planInsert merges new region bodies into the user's file.
func planInsert(c *Change, lf *LockFile, disk []byte, prev LockFile, inLock, force bool) (*Change, *LockFile, error) {
	conflict := func(reason string) (*Change, *LockFile, error) {
		c.Action, c.Reason = ActionConflict, reason
		if force {
			c.Action, c.Forced = ActionUpdate, true
		}
		return c, lf, nil
	}
	newBodies, _ := regionBodies(c.new)
	diskBodies, err := regionBodies(disk)
	if err != nil {
		return conflict("insertion markers broken: " + err.Error())
	}
	names := make([]string, 0, len(newBodies))
	for n := range newBodies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		db, ok := diskBodies[n]
		if !ok {
			return conflict("insertion point " + n + " was removed")
		}
		if bytes.Equal(db, newBodies[n]) {
			continue
		}
		if !inLock || prev.Regions[n] != hash(db) {
			return conflict("insertion point " + n + " was edited")
		}
	}
	merged, err := replaceRegions(disk, newBodies)
	if err != nil {
		return conflict(err.Error())
	}
	c.new = merged
	lf.SHA256 = hash(merged)
	if bytes.Equal(merged, disk) {
		c.Action = ActionUnchanged
	} else {
		c.Action = ActionUpdate
	}
	return c, lf, nil
}

func hashBodies(m map[string][]byte) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = hash(v)
	}
	return out
}
