package compat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ConfigFileName is the config file msctl compat reads from the current
// folder when --compat-config is not given.
const ConfigFileName = "msctl-compat.yaml"

// Config is msctl-compat.yaml:
//
//	category: FILE            # proto rule category (file|package|wire_json|wire)
//	except: [FILE_SAME_GO_PACKAGE]   # rules that never run
//	allow_deprecated_removal: true   # removing what was deprecated is dangerous, not breaking
//	suppressions:
//	  - rule: FIELD_NO_DELETE
//	    path: orders.v1.Order.legacy_*   # glob on the finding's path (optional)
//	    file: api/orders.proto            # glob on the file (optional)
//	    reason: "no client reads it since 2025 (INC-123)"
//	    expires: 2027-01-31               # optional; after it the finding fails again
type Config struct {
	Category string   `yaml:"category,omitempty" json:"category,omitempty"`
	Except   []string `yaml:"except,omitempty" json:"except,omitempty"`
	// AllowDeprecatedRemoval rates the removal of an element that the
	// baseline marked deprecated as dangerous (a minor bump) instead of
	// breaking: the deprecation was the notice.
	AllowDeprecatedRemoval bool          `yaml:"allow_deprecated_removal,omitempty" json:"allow_deprecated_removal,omitempty"`
	Suppressions           []Suppression `yaml:"suppressions,omitempty" json:"suppressions,omitempty"`
}

// Suppression accepts a finding on purpose, with a reason.
type Suppression struct {
	Rule    string `yaml:"rule" json:"rule"`
	Path    string `yaml:"path,omitempty" json:"path,omitempty"`
	File    string `yaml:"file,omitempty" json:"file,omitempty"`
	Reason  string `yaml:"reason" json:"reason"`
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty"`
	expires time.Time
}

// LoadConfig reads a config file. With explicit false a missing file is an
// empty config (the default file name is optional); errors say file:line.
func LoadConfig(file string, explicit bool) (*Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &Config{}, nil
		}
		return nil, fmt.Errorf("reading compat config: %w", err)
	}
	return ParseConfig(file, b)
}

// ParseConfig decodes and validates msctl-compat.yaml.
func ParseConfig(file string, b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for i := range c.Suppressions {
		s := &c.Suppressions[i]
		if s.Rule == "" {
			return nil, fmt.Errorf("%s: suppressions[%d]: rule is missing", file, i)
		}
		if strings.TrimSpace(s.Reason) == "" {
			return nil, fmt.Errorf("%s: suppressions[%d] (%s): reason is missing: say why the change is acceptable", file, i, s.Rule)
		}
		if s.Expires != "" {
			t, err := time.Parse("2006-01-02", s.Expires)
			if err != nil {
				return nil, fmt.Errorf("%s: suppressions[%d] (%s): expires %q is not a YYYY-MM-DD date", file, i, s.Rule, s.Expires)
			}
			s.expires = t
		}
		for _, g := range []string{s.Path, s.File} {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("%s: suppressions[%d] (%s): bad pattern %q", file, i, s.Rule, g)
			}
		}
	}
	return &c, nil
}

// Excluded reports whether rule id is turned off.
func (c *Config) Excluded(id string) bool {
	for _, e := range c.Except {
		if strings.EqualFold(e, id) {
			return true
		}
	}
	return false
}

// Apply drops excluded rules' findings and marks suppressed ones. It returns
// notes about suppressions that have expired (their findings count again).
func (c *Config) Apply(fs []Finding, now time.Time) ([]Finding, []string) {
	var notes []string
	expiredSeen := map[int]bool{}
	out := fs[:0]
	for _, f := range fs {
		if c.Excluded(f.Rule) {
			continue
		}
		if c.AllowDeprecatedRemoval && f.Deprecated && f.Severity == Breaking {
			f.Severity = Dangerous
			f.Message += " (allowed: it was deprecated)"
		}
		for i := range c.Suppressions {
			s := &c.Suppressions[i]
			if !s.matches(f) {
				continue
			}
			if !s.expires.IsZero() && !now.Before(s.expires.AddDate(0, 0, 1)) {
				if !expiredSeen[i] {
					expiredSeen[i] = true
					notes = append(notes, fmt.Sprintf("suppression of %s (%s) expired on %s: its findings count again", s.Rule, s.Reason, s.Expires))
				}
				continue
			}
			sc := *s
			f.Suppression = &sc
			break
		}
		out = append(out, f)
	}
	return out, notes
}

func (s *Suppression) matches(f Finding) bool {
	if !strings.EqualFold(s.Rule, f.Rule) {
		return false
	}
	if s.Path != "" {
		if ok, _ := path.Match(s.Path, f.Path); !ok && s.Path != f.Path {
			return false
		}
	}
	if s.File != "" {
		ok, _ := path.Match(s.File, f.Location.File)
		if !ok && !strings.HasSuffix(f.Location.File, "/"+s.File) && f.Location.File != s.File {
			return false
		}
	}
	return true
}
