// Package config reads and writes msctl's configuration file and resolves
// the settings a command runs with.
//
// The file holds named contexts, as kubectl's does: each names a registry
// (kind and address), its datacenter/namespace/partition, credentials and
// TLS settings. A setting's value comes from, in order of precedence: a
// command-line flag, an MSCTL_* environment variable, the selected context
// in the file, and msctl's default. Layering is done with a viper.Viper built
// for each run, never a global one.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Context is one named set of connection settings. Its field names (YAML and
// JSON alike) are the keys of `msctl config set` and, upper-cased with an
// MSCTL_ prefix, the environment variables that override them.
type Context struct {
	Registry   string `yaml:"registry,omitempty" json:"registry,omitempty"`
	Address    string `yaml:"address,omitempty" json:"address,omitempty"`
	Datacenter string `yaml:"datacenter,omitempty" json:"datacenter,omitempty"`
	Namespace  string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Partition  string `yaml:"partition,omitempty" json:"partition,omitempty"`
	Token      string `yaml:"token,omitempty" json:"token,omitempty"`
	TokenFile  string `yaml:"token_file,omitempty" json:"token_file,omitempty"`
	CAFile     string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	CertFile   string `yaml:"cert_file,omitempty" json:"cert_file,omitempty"`
	KeyFile    string `yaml:"key_file,omitempty" json:"key_file,omitempty"`
	Insecure   bool   `yaml:"insecure,omitempty" json:"insecure,omitempty"`
}

// File is the whole configuration file.
type File struct {
	CurrentContext string              `yaml:"current_context,omitempty" json:"current_context,omitempty"`
	Contexts       map[string]*Context `yaml:"contexts,omitempty" json:"contexts,omitempty"`
	// Templates is a folder whose files override msctl new's embedded
	// templates.
	Templates string `yaml:"templates,omitempty" json:"templates,omitempty"`
}

// ContextKeys are the settings a context holds, in display order.
var ContextKeys = []string{
	"registry", "address", "datacenter", "namespace", "partition",
	"token", "token_file", "ca_file", "cert_file", "key_file", "insecure",
}

// Defaults are msctl's built-in values, the lowest layer of precedence.
// An address has no default here: each registry kind's descriptor has its
// own (internal/registry, Kind.DefaultAddress), which the command layer
// fills in once the kind is known.
var Defaults = map[string]string{
	"registry": "consul",
}

// secretKeys are never printed in full.
var secretKeys = map[string]bool{"token": true}

// Redact hides a secret: a short prefix stays so that a user can tell two
// tokens apart, the rest is masked. Empty stays empty.
func Redact(s string) string {
	if s == "" {
		return ""
	}
	if len(s) < 12 {
		return "[redacted]"
	}
	return s[:4] + "…[redacted]"
}

// Redacted returns a copy of c with secrets masked.
func (c Context) Redacted() Context {
	c.Token = Redact(c.Token)
	return c
}

// Get returns the value of key in c as text.
func (c *Context) Get(key string) (string, error) {
	switch key {
	case "registry":
		return c.Registry, nil
	case "address":
		return c.Address, nil
	case "datacenter":
		return c.Datacenter, nil
	case "namespace":
		return c.Namespace, nil
	case "partition":
		return c.Partition, nil
	case "token":
		return c.Token, nil
	case "token_file":
		return c.TokenFile, nil
	case "ca_file":
		return c.CAFile, nil
	case "cert_file":
		return c.CertFile, nil
	case "key_file":
		return c.KeyFile, nil
	case "insecure":
		return strconv.FormatBool(c.Insecure), nil
	}
	return "", fmt.Errorf("unknown context key %q (known: %s)", key, strings.Join(ContextKeys, ", "))
}

// Set assigns value to key in c.
func (c *Context) Set(key, value string) error {
	switch key {
	case "registry":
		c.Registry = value
	case "address":
		c.Address = value
	case "datacenter":
		c.Datacenter = value
	case "namespace":
		c.Namespace = value
	case "partition":
		c.Partition = value
	case "token":
		c.Token = value
	case "token_file":
		c.TokenFile = value
	case "ca_file":
		c.CAFile = value
	case "cert_file":
		c.CertFile = value
	case "key_file":
		c.KeyFile = value
	case "insecure":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("insecure must be true or false, not %q", value)
		}
		c.Insecure = b
	default:
		return fmt.Errorf("unknown context key %q (known: %s)", key, strings.Join(ContextKeys, ", "))
	}
	return nil
}

// ReadToken returns the context's token, reading token_file when no token is
// set inline. Surrounding whitespace in the file is ignored.
func (c *Context) ReadToken() (string, error) {
	if c.Token != "" || c.TokenFile == "" {
		return c.Token, nil
	}
	b, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return "", fmt.Errorf("reading token file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// DefaultPath is where the configuration file lives when neither --config
// nor MSCTL_CONFIG names one: $XDG_CONFIG_HOME/msctl/config.yaml, falling
// back to ~/.config/msctl/config.yaml.
func DefaultPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "msctl", "config.yaml")
}

// ParseError is a configuration file that cannot be read as msctl's format.
// Its message names the file, the line and the problem, on one line.
type ParseError struct {
	Path    string
	Line    int
	Problem string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config file %s: line %d: %s", e.Path, e.Line, e.Problem)
	}
	return fmt.Sprintf("config file %s: %s", e.Path, e.Problem)
}

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`) })

// parseYAMLError turns a yaml.v3 error into a ParseError. yaml.v3 reports
// "yaml: line N: problem" for syntax errors and a list of such lines for
// type errors; the first is the one a user fixes first.
func parseYAMLError(path string, err error) *ParseError {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimSpace(strings.SplitN(msg, "\n", 2)[0])
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		problem := strings.Replace(m[2], "not found in type config.Context", "is not a context setting (known: "+strings.Join(ContextKeys, ", ")+")", 1)
		problem = strings.Replace(problem, "not found in type config.File", "is not a top-level setting (known: current_context, contexts, templates)", 1)
		return &ParseError{Path: path, Line: n, Problem: problem}
	}
	return &ParseError{Path: path, Problem: strings.TrimPrefix(msg, "yaml: ")}
}

// Load reads the configuration file at path. A file that does not exist is
// an empty configuration, reported through exists=false, so that a caller
// can tell an explicit --config that names nothing.
func Load(path string) (f *File, exists bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading config file %s: %w", path, err)
	}
	f, err = Parse(path, b)
	return f, true, err
}

// Parse decodes configuration from b; path is used only in errors. Unknown
// keys are errors, so that a typo does not silently lose a setting.
func Parse(path string, b []byte) (*File, error) {
	f := &File{}
	if len(bytes.TrimSpace(b)) == 0 {
		return f, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return nil, parseYAMLError(path, err)
	}
	for name, c := range f.Contexts {
		if c == nil {
			f.Contexts[name] = &Context{}
		}
	}
	return f, nil
}

// ContextNames returns the names of the contexts, sorted.
func (f *File) ContextNames() []string {
	names := make([]string, 0, len(f.Contexts))
	for n := range f.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Redacted returns a deep copy of f with every secret masked.
func (f *File) Redacted() *File {
	out := &File{CurrentContext: f.CurrentContext, Templates: f.Templates}
	if len(f.Contexts) > 0 {
		out.Contexts = make(map[string]*Context, len(f.Contexts))
		for n, c := range f.Contexts {
			r := c.Redacted()
			out.Contexts[n] = &r
		}
	}
	return out
}
