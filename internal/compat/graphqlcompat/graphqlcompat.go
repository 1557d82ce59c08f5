// Package graphqlcompat compares two GraphQL schemas (parsed and validated
// with vektah/gqlparser) and reports removed types, fields, arguments and
// enum values, nullability tightened on inputs or loosened on outputs,
// type changes and new required arguments. A removed field that was
// deprecated is reported with its deprecation reason.
package graphqlcompat

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/msctl/msctl/internal/compat"
)

func r(id string, sev compat.Severity, cat, summary string) compat.Rule {
	return compat.Rule{ID: id, Severity: sev, Categories: []string{cat}, Summary: summary}
}

// The rules. IDs are stable.
var (
	TypeRemoved          = r("TYPE_REMOVED", compat.Breaking, "TYPE", "a type was removed")
	TypeKindChanged      = r("TYPE_KIND_CHANGED", compat.Breaking, "TYPE", "a type changed kind (object, interface, input, enum, ...)")
	TypeAdded            = r("TYPE_ADDED", compat.Safe, "TYPE", "a type was added")
	FieldRemoved         = r("FIELD_REMOVED", compat.Breaking, "FIELD", "a field was removed (with its deprecation, if any)")
	FieldAdded           = r("FIELD_ADDED", compat.Safe, "FIELD", "a field was added")
	FieldTypeChanged     = r("FIELD_TYPE_CHANGED", compat.Breaking, "FIELD", "an output field's type changed or became nullable")
	FieldDeprecated      = r("FIELD_DEPRECATED", compat.Safe, "FIELD", "a field was deprecated")
	InputFieldRequired   = r("INPUT_FIELD_REQUIRED_ADDED", compat.Breaking, "INPUT", "a required input field (non-null, no default) was added")
	InputFieldTypeChange = r("INPUT_FIELD_TYPE_CHANGED", compat.Breaking, "INPUT", "an input field's type changed or became non-null")
	ArgRemoved           = r("ARGUMENT_REMOVED", compat.Breaking, "ARGUMENT", "an argument was removed")
	ArgRequiredAdded     = r("ARGUMENT_REQUIRED_ADDED", compat.Breaking, "ARGUMENT", "a required argument (non-null, no default) was added")
	ArgAdded             = r("ARGUMENT_ADDED", compat.Safe, "ARGUMENT", "an optional argument was added")
	ArgTypeChanged       = r("ARGUMENT_TYPE_CHANGED", compat.Breaking, "ARGUMENT", "an argument's type changed or became non-null")
	ArgDefaultChanged    = r("ARGUMENT_DEFAULT_CHANGED", compat.Dangerous, "ARGUMENT", "an argument's default value changed")
	EnumValueRemoved     = r("ENUM_VALUE_REMOVED", compat.Breaking, "ENUM", "an enum value was removed")
	EnumValueAdded       = r("ENUM_VALUE_ADDED", compat.Dangerous, "ENUM", "an enum value was added (clients may not handle it)")
	UnionMemberRemoved   = r("UNION_MEMBER_REMOVED", compat.Breaking, "UNION", "a union member was removed")
	UnionMemberAdded     = r("UNION_MEMBER_ADDED", compat.Dangerous, "UNION", "a union member was added (clients may not handle it)")
	InterfaceRemoved     = r("OBJECT_INTERFACE_REMOVED", compat.Breaking, "TYPE", "an object no longer implements an interface")
)

// Rules lists every GraphQL rule.
func Rules() []compat.Rule {
	return []compat.Rule{TypeRemoved, TypeKindChanged, TypeAdded, FieldRemoved, FieldAdded, FieldTypeChanged,
		FieldDeprecated, InputFieldRequired, InputFieldTypeChange, ArgRemoved, ArgRequiredAdded, ArgAdded,
		ArgTypeChanged, ArgDefaultChanged, EnumValueRemoved, EnumValueAdded, UnionMemberRemoved, UnionMemberAdded,
		InterfaceRemoved}
}

// Schema is a loaded schema and the version it declares.
type Schema struct {
	*ast.Schema
	Version string
	label   string
}

// ParseError is a schema that does not parse or validate.
type ParseError struct {
	Location compat.Location
	Err      error
}

func (e *ParseError) Error() string { return e.Location.String() + ": " + e.Err.Error() }

func (e *ParseError) Unwrap() error { return e.Err }

var versionRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)(?:^#\s*@?version:?\s+(\S+)\s*$|@version\(\s*\w+\s*:\s*"([^"]+)"\s*\))`)
})

// Load parses the named files (one schema may span several); read is nil
// for the local disk.
func Load(files []string, read func(string) ([]byte, error), label string) (*Schema, error) {
	if read == nil {
		read = os.ReadFile
	}
	var srcs []*ast.Source
	version := ""
	for _, f := range files {
		b, err := read(f)
		if err != nil {
			return nil, &ParseError{Location: compat.Location{File: label + f}, Err: err}
		}
		if m := versionRe().FindStringSubmatch(string(b)); m != nil && version == "" {
			version = m[1] + m[2]
		}
		// A @version directive is msctl's, not the schema's: declare it
		// so validation accepts it.
		srcs = append(srcs, &ast.Source{Name: label + f, Input: string(b)})
	}
	if version != "" && !strings.Contains(concat(srcs), "directive @version") {
		srcs = append(srcs, &ast.Source{Name: "msctl-version.graphql", Input: "directive @version(name: String!) on SCHEMA\n", BuiltIn: true})
	}
	s, err := gqlparser.LoadSchema(srcs...)
	if err != nil {
		var ge *gqlerror.Error
		var gl gqlerror.List
		if errors.As(err, &gl) && len(gl) > 0 {
			ge = gl[0]
		} else {
			errors.As(err, &ge)
		}
		if ge != nil {
			loc := compat.Location{}
			if fn, ok := ge.Extensions["file"].(string); ok {
				loc.File = fn
			}
			if len(ge.Locations) > 0 {
				loc.Line, loc.Column = ge.Locations[0].Line, ge.Locations[0].Column
			}
			if loc.File == "" && len(files) > 0 {
				loc.File = label + files[0]
			}
			return nil, &ParseError{Location: loc, Err: errors.New(ge.Message)}
		}
		return nil, &ParseError{Location: compat.Location{File: label + strings.Join(files, ",")}, Err: err}
	}
	return &Schema{Schema: s, Version: version, label: label}, nil
}

func concat(srcs []*ast.Source) string {
	var b strings.Builder
	for _, s := range srcs {
		b.WriteString(s.Input)
	}
	return b.String()
}

func loc(p *ast.Position) compat.Location {
	if p == nil {
		return compat.Location{}
	}
	l := compat.Location{Line: p.Line, Column: p.Column}
	if p.Src != nil {
		l.File = p.Src.Name
	}
	return l
}

type checker struct{ out []compat.Finding }

func (c *checker) add(rule compat.Rule, path, msg string, at, base *ast.Position) {
	var bl *compat.Location
	if base != nil {
		l := loc(base)
		bl = &l
	}
	l := loc(at)
	if at == nil && base != nil {
		l = loc(base)
	}
	c.out = append(c.out, compat.NewFinding(rule, path, msg, l, bl))
}

func deprecation(d ast.DirectiveList) (string, bool) {
	dep := d.ForName("deprecated")
	if dep == nil {
		return "", false
	}
	reason := "No longer supported"
	if a := dep.Arguments.ForName("reason"); a != nil && a.Value != nil {
		reason = a.Value.Raw
	}
	return reason, true
}

// Compare reports the differences from old to new.
func Compare(old, new *Schema) []compat.Finding {
	c := &checker{}
	names := make([]string, 0, len(old.Types))
	for n := range old.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ot := old.Types[n]
		if ot.BuiltIn {
			continue
		}
		nt, ok := new.Types[n]
		if !ok {
			c.add(TypeRemoved, n, fmt.Sprintf("type %s was removed", n), nil, ot.Position)
			continue
		}
		if ot.Kind != nt.Kind {
			c.add(TypeKindChanged, n, fmt.Sprintf("type %s changed from %s to %s", n, ot.Kind, nt.Kind), nt.Position, ot.Position)
			continue
		}
		c.compareType(ot, nt)
	}
	added := make([]string, 0)
	for n, nt := range new.Types {
		if _, ok := old.Types[n]; !ok && !nt.BuiltIn {
			added = append(added, n)
		}
	}
	sort.Strings(added)
	for _, n := range added {
		c.add(TypeAdded, n, fmt.Sprintf("type %s was added", n), new.Types[n].Position, nil)
	}
	return c.out
}

func (c *checker) compareType(ot, nt *ast.Definition) {
	input := ot.Kind == ast.InputObject
	for _, of := range ot.Fields {
		path := ot.Name + "." + of.Name
		nf := nt.Fields.ForName(of.Name)
		if nf == nil {
			msg := fmt.Sprintf("field %s was removed", path)
			reason, dep := deprecation(of.Directives)
			if dep {
				msg += fmt.Sprintf(" (it was deprecated: %q)", reason)
			}
			c.add(FieldRemoved, path, msg, nt.Position, of.Position)
			c.out[len(c.out)-1].Deprecated = dep
			continue
		}
		if input {
			if !inputCompatible(of.Type, nf.Type) {
				c.add(InputFieldTypeChange, path, fmt.Sprintf("input field %s changed type from %s to %s", path, of.Type, nf.Type), nf.Position, of.Position)
			}
		} else if !outputCompatible(of.Type, nf.Type) {
			c.add(FieldTypeChanged, path, fmt.Sprintf("field %s changed type from %s to %s", path, of.Type, nf.Type), nf.Position, of.Position)
		}
		if _, was := deprecation(of.Directives); !was {
			if reason, is := deprecation(nf.Directives); is {
				c.add(FieldDeprecated, path, fmt.Sprintf("field %s was deprecated: %q", path, reason), nf.Position, of.Position)
			}
		}
		c.compareArgs(path, of, nf)
	}
	for _, nf := range nt.Fields {
		if ot.Fields.ForName(nf.Name) != nil {
			continue
		}
		path := nt.Name + "." + nf.Name
		if input && nf.Type.NonNull && nf.DefaultValue == nil {
			c.add(InputFieldRequired, path, fmt.Sprintf("required input field %s was added", path), nf.Position, nil)
		} else {
			c.add(FieldAdded, path, fmt.Sprintf("field %s was added", path), nf.Position, nil)
		}
	}
	for _, ov := range ot.EnumValues {
		path := ot.Name + "." + ov.Name
		if nt.EnumValues.ForName(ov.Name) == nil {
			msg := fmt.Sprintf("enum value %s was removed", path)
			reason, dep := deprecation(ov.Directives)
			if dep {
				msg += fmt.Sprintf(" (it was deprecated: %q)", reason)
			}
			c.add(EnumValueRemoved, path, msg, nt.Position, ov.Position)
			c.out[len(c.out)-1].Deprecated = dep
		}
	}
	for _, nv := range nt.EnumValues {
		if ot.EnumValues.ForName(nv.Name) == nil {
			c.add(EnumValueAdded, nt.Name+"."+nv.Name, fmt.Sprintf("enum value %s.%s was added", nt.Name, nv.Name), nv.Position, nil)
		}
	}
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	for _, m := range ot.Types {
		if !has(nt.Types, m) {
			c.add(UnionMemberRemoved, ot.Name, fmt.Sprintf("union %s no longer includes %s", ot.Name, m), nt.Position, ot.Position)
		}
	}
	for _, m := range nt.Types {
		if !has(ot.Types, m) {
			c.add(UnionMemberAdded, nt.Name, fmt.Sprintf("union %s now includes %s", nt.Name, m), nt.Position, nil)
		}
	}
	for _, i := range ot.Interfaces {
		if !has(nt.Interfaces, i) {
			c.add(InterfaceRemoved, ot.Name, fmt.Sprintf("type %s no longer implements %s", ot.Name, i), nt.Position, ot.Position)
		}
	}
}

func (c *checker) compareArgs(path string, of, nf *ast.FieldDefinition) {
	for _, oa := range of.Arguments {
		apath := path + "(" + oa.Name + ")"
		na := nf.Arguments.ForName(oa.Name)
		if na == nil {
			c.add(ArgRemoved, apath, fmt.Sprintf("argument %s was removed", apath), nf.Position, oa.Position)
			continue
		}
		if !inputCompatible(oa.Type, na.Type) {
			c.add(ArgTypeChanged, apath, fmt.Sprintf("argument %s changed type from %s to %s", apath, oa.Type, na.Type), na.Position, oa.Position)
		}
		if ov, nv := valueString(oa.DefaultValue), valueString(na.DefaultValue); ov != nv {
			c.add(ArgDefaultChanged, apath, fmt.Sprintf("argument %s changed default from %s to %s", apath, ov, nv), na.Position, oa.Position)
		}
	}
	for _, na := range nf.Arguments {
		if of.Arguments.ForName(na.Name) != nil {
			continue
		}
		apath := path + "(" + na.Name + ")"
		if na.Type.NonNull && na.DefaultValue == nil {
			c.add(ArgRequiredAdded, apath, fmt.Sprintf("required argument %s was added", apath), na.Position, nil)
		} else {
			c.add(ArgAdded, apath, fmt.Sprintf("optional argument %s was added", apath), na.Position, nil)
		}
	}
}

func valueString(v *ast.Value) string {
	if v == nil {
		return "none"
	}
	return v.String()
}

// outputCompatible: clients reading the field still get what they expect;
// a nullable field may become non-null, never the other way.
func outputCompatible(o, n *ast.Type) bool {
	if o.NonNull && !n.NonNull {
		return false
	}
	if (o.Elem == nil) != (n.Elem == nil) {
		return false
	}
	if o.Elem != nil {
		return outputCompatible(o.Elem, n.Elem)
	}
	return o.NamedType == n.NamedType
}

// inputCompatible: values clients send stay valid; a non-null input may
// become nullable, never the other way.
func inputCompatible(o, n *ast.Type) bool {
	if !o.NonNull && n.NonNull {
		return false
	}
	if (o.Elem == nil) != (n.Elem == nil) {
		return false
	}
	if o.Elem != nil {
		return inputCompatible(o.Elem, n.Elem)
	}
	return o.NamedType == n.NamedType
}
