package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/msctl/msctl/internal/atomicfile"
)

// SetValue sets key to value in the configuration file at path, keeping the
// rest of the file (comments and order included) as it was. Keys are
// current_context, templates, or contexts.NAME.SETTING. The file and its
// folder are created when missing; the write is atomic and the file private
// (0600), since it may hold tokens.
func SetValue(path, key, value string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading config file %s: %w", path, err)
	}
	// Validate the file and the new value through the typed form first, so
	// that an edit never produces a file msctl cannot read back.
	f, err := Parse(path, b)
	if err != nil {
		return err
	}
	parts := strings.Split(key, ".")
	switch {
	case len(parts) == 1 && parts[0] == "current_context":
		if _, ok := f.Contexts[value]; !ok {
			return fmt.Errorf("no context named %q (known: %s)", value, strings.Join(f.ContextNames(), ", "))
		}
	case len(parts) == 1 && parts[0] == "templates":
	case len(parts) == 3 && parts[0] == "contexts":
		if parts[1] == "" {
			return fmt.Errorf("empty context name in %q", key)
		}
		var c Context
		if err := c.Set(parts[2], value); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown key %q: use current_context, templates or contexts.NAME.SETTING (settings: %s)", key, strings.Join(ContextKeys, ", "))
	}

	var doc yaml.Node
	if len(bytes.TrimSpace(b)) > 0 {
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return parseYAMLError(path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return &ParseError{Path: path, Line: root.Line, Problem: "the top level must be a mapping"}
	}
	node := root
	for _, p := range parts[:len(parts)-1] {
		node = child(node, p, true)
	}
	leaf := child(node, parts[len(parts)-1], false)
	tag := "!!str"
	if parts[len(parts)-1] == "insecure" {
		tag = "!!bool"
	}
	*leaf = yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value, HeadComment: leaf.HeadComment, LineComment: leaf.LineComment}

	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	if _, err := Parse(path, out.Bytes()); err != nil {
		return fmt.Errorf("refusing to write an unreadable config: %w", err)
	}
	return atomicfile.WriteFile(path, out.Bytes(), 0o600)
}

// child returns the value node under key in mapping m, adding it when
// missing (as a mapping when mapping is true).
func child(m *yaml.Node, key string, mapping bool) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if mapping && v.Kind != yaml.MappingNode {
				*v = yaml.Node{Kind: yaml.MappingNode}
			}
			return v
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str"}
	if mapping {
		v = &yaml.Node{Kind: yaml.MappingNode}
	}
	m.Content = append(m.Content, k, v)
	return v
}
