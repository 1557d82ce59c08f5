// Package openapicompat compares two OpenAPI 3.0 or 3.1 documents and
// reports the changes that break clients: removed paths, operations,
// response codes and media types; new required parameters, headers and
// request fields; type, format, enum and constraint changes in the
// breaking direction (a request narrowed, a response widened); required
// response fields removed; security requirement changes. $ref (local and
// to other files), allOf, oneOf and anyOf are resolved; a $ref that does
// not resolve makes Load fail (see RefError).
//
// Documents are read as YAML node trees (JSON is YAML), so every finding
// carries the file:line:column of the element in the new document, or in
// the baseline for deletions.
package openapicompat

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/msctl/msctl/internal/compat"
)

// Doc is a parsed document and the files its $refs reach.
type Doc struct {
	Path    string
	Version string // info.version
	OpenAPI string // the openapi field
	root    *yaml.Node
	files   map[string]*yaml.Node
	read    func(string) ([]byte, error)
	label   string
}

// ParseError is a document that does not parse, with its position.
type ParseError struct {
	Location compat.Location
	Err      error
}

func (e *ParseError) Error() string { return e.Location.String() + ": " + e.Err.Error() }

func (e *ParseError) Unwrap() error { return e.Err }

// Load reads and parses a document; read reads files by path (nil: the
// local disk) and label prefixes file names in locations.
func Load(path string, read func(string) ([]byte, error), label string) (*Doc, error) {
	if read == nil {
		read = os.ReadFile
	}
	d := &Doc{Path: path, files: map[string]*yaml.Node{}, read: read, label: label}
	root, err := d.parse(path)
	if err != nil {
		return nil, err
	}
	d.root = root
	top := node{d: d, n: root, file: path}
	v, ok := top.get("openapi")
	if !ok || v.n.Kind != yaml.ScalarNode {
		return nil, &ParseError{Location: top.loc(), Err: errors.New("not an OpenAPI 3 document: the openapi field is missing (Swagger 2.0 is not supported)")}
	}
	d.OpenAPI = v.n.Value
	if !strings.HasPrefix(d.OpenAPI, "3.0") && !strings.HasPrefix(d.OpenAPI, "3.1") {
		return nil, &ParseError{Location: v.loc(), Err: fmt.Errorf("openapi %s is not supported: use 3.0 or 3.1", d.OpenAPI)}
	}
	if info, ok := top.get("info"); ok {
		if ver, ok := info.get("version"); ok {
			d.Version = ver.n.Value
		}
	}
	if p, ok := top.get("paths"); ok && p.n.Kind != yaml.MappingNode {
		return nil, &ParseError{Location: p.loc(), Err: errors.New("paths is not a mapping")}
	}
	if err := d.checkRefs(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Doc) parse(path string) (*yaml.Node, error) {
	if n, ok := d.files[path]; ok {
		return n, nil
	}
	b, err := d.read(path)
	if err != nil {
		return nil, &ParseError{Location: compat.Location{File: d.label + path}, Err: &readError{err}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		loc := compat.Location{File: d.label + path}
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			// yaml.v3 errors read "yaml: line N: ..."; keep the line.
			var line int
			if _, scanErr := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); scanErr == nil {
				loc.Line = line
			}
		}
		return nil, &ParseError{Location: loc, Err: err}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &ParseError{Location: compat.Location{File: d.label + path, Line: 1, Column: 1}, Err: errors.New("not a YAML or JSON object")}
	}
	d.files[path] = doc.Content[0]
	return doc.Content[0], nil
}

// readError is a file that could not be read (as opposed to parsed).
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

func (e *readError) Unwrap() error { return e.err }

// node is a YAML node with the file it is in.
type node struct {
	d    *Doc
	n    *yaml.Node
	file string
	// ref is the $ref that led here, "" when inline; schemas are matched
	// and cycles broken by it.
	ref string
}

func (x node) ok() bool { return x.n != nil }

func (x node) loc() compat.Location {
	if x.n == nil {
		return compat.Location{File: x.d.label + x.file}
	}
	return compat.Location{File: x.d.label + x.file, Line: x.n.Line, Column: x.n.Column}
}

// rawGet looks a key up without following $ref.
func (x node) rawGet(key string) (node, bool) {
	if x.n == nil || x.n.Kind != yaml.MappingNode {
		return node{}, false
	}
	for i := 0; i+1 < len(x.n.Content); i += 2 {
		if x.n.Content[i].Value == key {
			return node{d: x.d, n: x.n.Content[i+1], file: x.file}, true
		}
	}
	return node{}, false
}

// get looks a key up and follows $refs of the value.
func (x node) get(key string) (node, bool) {
	v, ok := x.rawGet(key)
	if !ok {
		return v, false
	}
	return v.deref(), true
}

// keyNode returns the node of key itself (for the position of a mapping
// entry).
func (x node) keyNode(key string) node {
	if x.n == nil || x.n.Kind != yaml.MappingNode {
		return x
	}
	for i := 0; i+1 < len(x.n.Content); i += 2 {
		if x.n.Content[i].Value == key {
			return node{d: x.d, n: x.n.Content[i], file: x.file}
		}
	}
	return x
}

// deref follows $ref chains: local (#/components/...), and relative files
// (common.yaml#/components/schemas/X). Load has checked that every $ref
// resolves (checkRefs), so a failure here cannot happen on a loaded
// document; the node is left as it is then.
func (x node) deref() node {
	for i := 0; i < 32; i++ {
		r, ok := x.rawGet("$ref")
		if !ok || r.n.Kind != yaml.ScalarNode {
			return x
		}
		target, err := x.resolve(r.n.Value)
		if err != nil {
			return x
		}
		_, frag, _ := strings.Cut(r.n.Value, "#")
		target.ref = target.file + "#" + frag
		x = target
	}
	return x
}

// resolve finds the node a $ref names; the error says what is missing.
func (x node) resolve(ref string) (node, error) {
	file, frag, _ := strings.Cut(ref, "#")
	target := x.file
	if file != "" {
		if strings.Contains(file, "://") {
			return node{}, errors.New("remote references are not fetched: download the file and refer to it by a relative path")
		}
		target = filepath.Join(filepath.Dir(x.file), file)
	}
	root, err := x.d.parse(target)
	var re *readError
	switch {
	case errors.As(err, &re) && errors.Is(err, fs.ErrNotExist):
		return node{}, fmt.Errorf("the referenced file %s does not exist", x.d.label+target)
	case errors.As(err, &re):
		return node{}, fmt.Errorf("the referenced file cannot be read: %w", re.err)
	case err != nil:
		return node{}, fmt.Errorf("the referenced file does not parse: %w", err)
	}
	cur := node{d: x.d, n: root, file: target}
	where := "the file"
	if target != x.file {
		where = x.d.label + target
	}
	walked := ""
	for _, part := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if part == "" {
			continue
		}
		walked += "/" + part
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if cur.n.Kind == yaml.SequenceNode {
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(cur.n.Content) {
				return node{}, fmt.Errorf("%s has no element at #%s", where, walked)
			}
			cur = node{d: x.d, n: cur.n.Content[i], file: target}
			continue
		}
		next, ok := cur.rawGet(part)
		if !ok {
			if full := "/" + strings.TrimPrefix(frag, "/"); full != walked {
				return node{}, fmt.Errorf("%s has nothing at #%s (#%s is missing)", where, full, walked)
			}
			return node{}, fmt.Errorf("%s has nothing at #%s", where, walked)
		}
		cur = next
	}
	return cur, nil
}

// entries lists a mapping's key/value pairs in order, values dereferenced.
func (x node) entries() []entry {
	if x.n == nil || x.n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]entry, 0, len(x.n.Content)/2)
	for i := 0; i+1 < len(x.n.Content); i += 2 {
		out = append(out, entry{key: x.n.Content[i].Value, keyNode: node{d: x.d, n: x.n.Content[i], file: x.file},
			val: node{d: x.d, n: x.n.Content[i+1], file: x.file}.deref()})
	}
	return out
}

type entry struct {
	key     string
	keyNode node
	val     node
}

// items lists a sequence's elements, dereferenced.
func (x node) items() []node {
	if x.n == nil || x.n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]node, 0, len(x.n.Content))
	for _, c := range x.n.Content {
		out = append(out, node{d: x.d, n: c, file: x.file}.deref())
	}
	return out
}

func (x node) str(key string) string {
	v, ok := x.get(key)
	if !ok || v.n.Kind != yaml.ScalarNode {
		return ""
	}
	return v.n.Value
}

func (x node) boolean(key string) bool { return x.str(key) == "true" }

// Root is the document's top node.
func (d *Doc) top() node { return node{d: d, n: d.root, file: d.Path} }
