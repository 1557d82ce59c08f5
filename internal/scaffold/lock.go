package scaffold

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"
)

// LockName is the lock file at the root of a generated project.
const LockName = ".msctl.lock"

// LockFile records one file as msctl last generated it.
type LockFile struct {
	Path  string `yaml:"path" json:"path"`
	Owner Owner  `yaml:"owner" json:"owner"`
	// SHA256 is the hash of the whole file as msctl wrote it.
	SHA256 string `yaml:"sha256" json:"sha256"`
	// Regions are the hashes of each insertion region's body, for
	// OwnerInsert files.
	Regions map[string]string `yaml:"regions,omitempty" json:"regions,omitempty"`
}

// Lock is .msctl.lock: what was generated, from which template version and
// with which answers, so that a later run can tell msctl's changes from the
// user's.
type Lock struct {
	Set             string         `yaml:"set" json:"set"`
	TemplateVersion int            `yaml:"template_version" json:"template_version"`
	MsctlVersion    string         `yaml:"msctl_version,omitempty" json:"msctl_version,omitempty"`
	Answers         map[string]any `yaml:"answers" json:"answers"`
	Files           []LockFile     `yaml:"files" json:"files"`
}

func (l *Lock) file(p string) (LockFile, bool) {
	if l == nil {
		return LockFile{}, false
	}
	for _, f := range l.Files {
		if f.Path == p {
			return f, true
		}
	}
	return LockFile{}, false
}

// DecodeAnswers fills v (a pointer to the answers struct the set was
// rendered with) from the recorded answers.
func (l *Lock) DecodeAnswers(v any) error {
	b, err := yaml.Marshal(l.Answers)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: answers: %w", LockName, err)
	}
	return nil
}

// ReadLock reads dir/.msctl.lock; it returns nil and no error when the
// folder has none.
func ReadLock(dir string) (*Lock, error) {
	p := filepath.Join(dir, LockName)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock: %w", err)
	}
	var l Lock
	if err := yaml.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &l, nil
}

func marshalLock(l *Lock) ([]byte, error) {
	sort.Slice(l.Files, func(i, j int) bool { return l.Files[i].Path < l.Files[j].Path })
	var buf bytes.Buffer
	buf.WriteString("# Written by msctl new: what msctl generated, so that running it again\n" +
		"# never overwrites your edits. Commit it; do not edit it.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(l); err != nil {
		return nil, fmt.Errorf("encoding lock: %w", err)
	}
	return buf.Bytes(), nil
}

// toAnswerMap converts an answers struct into the generic map the lock
// stores, through YAML so that the struct's yaml tags name the keys.
func toAnswerMap(v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding answers: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encoding answers: %w", err)
	}
	return m, nil
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
