package openapicompat

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RefError is a $ref that cannot be resolved: its target file is missing
// or does not parse, or its JSON pointer names nothing. A compat gate that
// skipped it would compare a hole and could pass (or invent a change), so
// Load refuses the document instead.
type RefError struct {
	Ref     string // the $ref value as written
	Pointer string // JSON pointer of the object holding the $ref, in its file
	Err     error
}

func (e *RefError) Error() string {
	return fmt.Sprintf("$ref %q at %s: %v", e.Ref, e.Pointer, e.Err)
}

func (e *RefError) Unwrap() error { return e.Err }

// nameMaps are the keys whose values map names to objects: every key of
// such a map is a name (a property may be called "$ref" or "default"), and
// every value is walked.
var nameMaps = map[string]bool{
	"paths": true, "webhooks": true, "components": true, "schemas": true, "responses": true,
	"parameters": true, "examples": true, "requestBodies": true, "headers": true,
	"securitySchemes": true, "links": true, "callbacks": true, "pathItems": true,
	"content": true, "encoding": true, "properties": true, "patternProperties": true,
	"$defs": true, "definitions": true, "dependentSchemas": true, "mediaTypes": true,
}

// literalKeys hold instance values (examples, defaults, enum members), not
// OpenAPI objects: a "$ref" inside them is data, not a reference.
var literalKeys = map[string]bool{"example": true, "examples": true, "default": true, "enum": true, "const": true, "value": true}

// checkRefs walks every object reachable from the document, following
// $refs into other files, and returns the first $ref that does not
// resolve.
func (d *Doc) checkRefs() error {
	w := refWalker{d: d, seen: map[*yaml.Node]bool{}}
	return w.walk(d.top(), "#", false)
}

type refWalker struct {
	d    *Doc
	seen map[*yaml.Node]bool
}

func (w *refWalker) walk(x node, ptr string, names bool) error {
	if x.n == nil || w.seen[x.n] {
		return nil
	}
	w.seen[x.n] = true
	switch x.n.Kind {
	case yaml.SequenceNode:
		for i, c := range x.n.Content {
			if err := w.walk(node{d: x.d, n: c, file: x.file}, fmt.Sprintf("%s/%d", ptr, i), false); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(x.n.Content); i += 2 {
			k, v := x.n.Content[i], x.n.Content[i+1]
			child := node{d: x.d, n: v, file: x.file}
			if !names {
				if k.Value == "$ref" {
					if err := w.ref(x, child, ptr); err != nil {
						return err
					}
					continue
				}
				// Schema examples are a list of instances; a mapping under
				// examples is a name map of Example Objects.
				if strings.HasPrefix(k.Value, "x-") || literalKeys[k.Value] && !(k.Value == "examples" && v.Kind == yaml.MappingNode) {
					continue
				}
			}
			if err := w.walk(child, ptr+"/"+escapePointer(k.Value), !names && nameMaps[k.Value] && v.Kind == yaml.MappingNode); err != nil {
				return err
			}
		}
	}
	return nil
}

// ref resolves the $ref held by obj and walks its target, following chains
// of $ref-only objects to catch cycles that resolve to nothing.
func (w *refWalker) ref(obj, v node, ptr string) error {
	fail := func(ref string, err error) error {
		return &ParseError{Location: v.loc(), Err: &RefError{Ref: ref, Pointer: ptr, Err: err}}
	}
	if v.n.Kind != yaml.ScalarNode {
		return fail("", errors.New("$ref is not a string"))
	}
	ref := v.n.Value
	chain := map[*yaml.Node]bool{obj.n: true}
	cur := obj
	for {
		r, ok := cur.rawGet("$ref")
		if !ok || r.n.Kind != yaml.ScalarNode {
			break
		}
		target, err := cur.resolve(r.n.Value)
		if err != nil {
			if cur.n != obj.n {
				err = fmt.Errorf("via %q: %w", r.n.Value, err)
			}
			return fail(ref, err)
		}
		if chain[target.n] {
			return fail(ref, errors.New("the $ref chain is circular and resolves to no object"))
		}
		chain[target.n] = true
		cur = target
	}
	frag := ""
	if _, f, ok := strings.Cut(ref, "#"); ok {
		frag = f
	}
	if !strings.HasPrefix(frag, "/") {
		frag = "/" + frag
	}
	at := "#" + strings.TrimSuffix(frag, "/")
	if cur.file != w.d.Path {
		at = filepath.Base(cur.file) + at
	}
	return w.walk(cur, at, false)
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
