package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestName is the file describing a template set, at the set's root.
const ManifestName = "set.yaml"

// Owner says who owns a generated file after it is first written.
type Owner string

// The owners a set can give a file.
const (
	OwnerGenerated Owner = "generated"
	OwnerOnce      Owner = "once"
	OwnerInsert    Owner = "insert"
)

// Rule applies an owner or a condition to the template paths it matches.
type Rule struct {
	Match string `yaml:"match"`
	Owner Owner  `yaml:"owner,omitempty"`
	When  string `yaml:"when,omitempty"`
	// Mode is the file mode as octal text ("0755"); default 0644.
	Mode string `yaml:"mode,omitempty"`
}

// Include takes templates from another set, so that two sets share one
// copy of the code they have in common. The including set's own files win,
// and its rules (owner, when, mode) apply to the included ones.
type Include struct {
	// Set is the set to take templates from.
	Set string `yaml:"set"`
	// Match selects its templates by path (without .tmpl), as rules do.
	Match []string `yaml:"match"`
}

// Manifest is a set's set.yaml.
type Manifest struct {
	Name        string    `yaml:"name"`
	Version     int       `yaml:"version"`
	Description string    `yaml:"description"`
	Include     []Include `yaml:"include,omitempty"`
	Files       []Rule    `yaml:"files"`
}

// Template is one template file of a set, after overrides are applied.
type Template struct {
	// Path is relative to the set's root, with the .tmpl suffix.
	Path string
	// Source names where the text came from, for error messages.
	Source string
	Text   string
}

// Set is a loaded template set.
type Set struct {
	Manifest  Manifest
	Templates []Template
}

// SetInfo describes an available set, for `msctl new --list`.
type SetInfo struct {
	Name        string `json:"name"`
	Version     int    `json:"version"`
	Description string `json:"description"`
}

// ListSets returns the sets found in fsys (one folder each).
func ListSets(fsys fs.FS) ([]SetInfo, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []SetInfo
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		m, err := readManifest(fsys, e.Name(), "templates/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, SetInfo{Name: m.Name, Version: m.Version, Description: m.Description})
	}
	return out, nil
}

func readManifest(fsys fs.FS, dir, source string) (*Manifest, error) {
	b, err := fs.ReadFile(fsys, path.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("template set %s: %w", source, err)
	}
	return parseManifest(source+"/"+ManifestName, b)
}

func parseManifest(source string, b []byte) (*Manifest, error) {
	var m Manifest
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if m.Name == "" || m.Version <= 0 {
		return nil, fmt.Errorf("%s: name and a positive version are required", source)
	}
	for i, r := range m.Files {
		switch r.Owner {
		case "", OwnerGenerated, OwnerOnce, OwnerInsert:
		default:
			return nil, fmt.Errorf("%s: files[%d]: owner %q is not generated, once or insert", source, i, r.Owner)
		}
		if r.Match == "" {
			return nil, fmt.Errorf("%s: files[%d]: match is empty", source, i)
		}
		if _, err := path.Match(strings.TrimSuffix(r.Match, "/**"), ""); err != nil {
			return nil, fmt.Errorf("%s: files[%d]: match %q: %w", source, i, r.Match, err)
		}
		if r.Mode != "" {
			if _, err := parseMode(r.Mode); err != nil {
				return nil, fmt.Errorf("%s: files[%d]: %w", source, i, err)
			}
		}
	}
	return &m, nil
}

func parseMode(s string) (os.FileMode, error) {
	var m uint32
	if _, err := fmt.Sscanf(s, "%o", &m); err != nil || m == 0 || m > 0o777 {
		return 0, fmt.Errorf("mode %q is not an octal permission like 0644", s)
	}
	return os.FileMode(m), nil
}

// LoadSet reads set name from fsys, replacing and adding templates from
// overrideDir/name when overrideDir is not empty. An override folder may hold
// any subset of the set's files, including set.yaml.
func LoadSet(fsys fs.FS, name, overrideDir string) (*Set, error) {
	byPath, err := loadOwn(fsys, name, overrideDir)
	if err != nil {
		return nil, err
	}
	man, ok := byPath[ManifestName]
	if !ok {
		return nil, fmt.Errorf("template set %q has no %s", name, ManifestName)
	}
	m, err := parseManifest(man.Source, []byte(man.Text))
	if err != nil {
		return nil, err
	}
	delete(byPath, ManifestName)
	for _, inc := range m.Include {
		if inc.Set == name {
			return nil, fmt.Errorf("%s: a set cannot include itself", man.Source)
		}
		// Included sets are read without their own includes: one level keeps
		// where a template comes from obvious.
		other, err := loadOwn(fsys, inc.Set, overrideDir)
		if err != nil {
			return nil, fmt.Errorf("%s: include %q: %w", man.Source, inc.Set, err)
		}
		matched := false
		for _, t := range other {
			if t.Path == ManifestName {
				continue
			}
			p := strings.TrimSuffix(t.Path, ".tmpl")
			for _, pattern := range inc.Match {
				if matchRule(pattern, p) {
					matched = true
					if _, own := byPath[t.Path]; !own {
						byPath[t.Path] = t
					}
				}
			}
		}
		if !matched {
			return nil, fmt.Errorf("%s: include %q matches no template", man.Source, inc.Set)
		}
	}
	s := &Set{Manifest: *m}
	for _, t := range byPath {
		s.Templates = append(s.Templates, t)
	}
	sort.Slice(s.Templates, func(i, j int) bool { return s.Templates[i].Path < s.Templates[j].Path })
	return s, nil
}

// loadOwn collects a set's own templates (and set.yaml) from fsys and the
// override folder, keyed by path.
func loadOwn(fsys fs.FS, name, overrideDir string) (map[string]Template, error) {
	if !validSegment(name) {
		return nil, fmt.Errorf("template set name %q is not valid", name)
	}
	byPath := map[string]Template{}
	found := false
	if st, err := fs.Stat(fsys, name); err == nil && st.IsDir() {
		found = true
		if err := collect(fsys, name, "templates/"+name, byPath); err != nil {
			return nil, err
		}
	}
	if overrideDir != "" {
		dir := filepath.Join(overrideDir, name)
		st, err := os.Stat(dir)
		switch {
		case err == nil && st.IsDir():
			found = true
			if err := collect(os.DirFS(dir), ".", dir, byPath); err != nil {
				return nil, err
			}
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("template folder: %w", err)
		}
	}
	if !found {
		return nil, fmt.Errorf("no template set %q", name)
	}
	return byPath, nil
}

func collect(fsys fs.FS, root, source string, into map[string]Template) error {
	return fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading templates: %w", err)
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("template %s/%s is a symbolic link; templates must be regular files", source, p)
		}
		rel := p
		if root != "." {
			rel = strings.TrimPrefix(p, root+"/")
		}
		if rel != ManifestName && !strings.HasSuffix(rel, ".tmpl") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("reading template: %w", err)
		}
		into[rel] = Template{Path: rel, Source: source + "/" + rel, Text: string(b)}
		return nil
	})
}

// rulesFor returns the owner, the conditions and the mode for a template path
// (without .tmpl).
func (m *Manifest) rulesFor(p string) (Owner, []string, os.FileMode) {
	owner := OwnerGenerated
	mode := os.FileMode(0o644)
	var when []string
	for _, r := range m.Files {
		if !matchRule(r.Match, p) {
			continue
		}
		if r.Owner != "" {
			owner = r.Owner
		}
		if r.When != "" {
			when = append(when, r.When)
		}
		if r.Mode != "" {
			mode, _ = parseMode(r.Mode)
		}
	}
	return owner, when, mode
}

func matchRule(pattern, p string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "/**"); ok {
		if ok, _ := path.Match(prefix, p); ok {
			return true
		}
		// Match the prefix against each leading part of the path.
		parts := strings.Split(p, "/")
		for i := 1; i < len(parts); i++ {
			if ok, _ := path.Match(prefix, strings.Join(parts[:i], "/")); ok {
				return true
			}
		}
		return false
	}
	ok, _ := path.Match(pattern, p)
	return ok
}
