package openapicompat

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/msctl/msctl/internal/compat"
)

// flat is a schema with its allOf parts merged in.
type flat struct {
	at        node
	types     map[string]bool // empty: any type; "null" when nullable
	format    string
	enum      []string
	hasEnum   bool
	props     map[string]node
	propKeys  map[string]node
	required  map[string]bool
	items     node
	alts      []node
	readOnly  bool
	writeOnly bool
	nums      map[string]float64
	pattern   string
}

func flatten(x node, depth int) flat {
	f := flat{at: x, types: map[string]bool{}, props: map[string]node{}, propKeys: map[string]node{}, required: map[string]bool{}, nums: map[string]float64{}}
	if !x.ok() || depth > 16 {
		return f
	}
	if t, ok := x.get("type"); ok {
		if t.n.Kind == yaml.SequenceNode {
			for _, it := range t.n.Content {
				f.types[it.Value] = true
			}
		} else {
			f.types[t.n.Value] = true
		}
	}
	if x.boolean("nullable") && len(f.types) > 0 {
		f.types["null"] = true
	}
	f.format = x.str("format")
	f.pattern = x.str("pattern")
	f.readOnly, f.writeOnly = x.boolean("readOnly"), x.boolean("writeOnly")
	if e, ok := x.get("enum"); ok {
		f.hasEnum = true
		for _, it := range e.n.Content {
			f.enum = append(f.enum, it.Value)
		}
	}
	for _, k := range []string{"maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems", "maxProperties", "minProperties"} {
		if v, ok := num(x, k); ok {
			f.nums[k] = v
		}
	}
	if ps, ok := x.get("properties"); ok {
		for _, e := range ps.entries() {
			f.props[e.key], f.propKeys[e.key] = e.val, e.keyNode
		}
	}
	if rq, ok := x.get("required"); ok {
		for _, it := range rq.n.Content {
			f.required[it.Value] = true
		}
	}
	if it, ok := x.get("items"); ok && it.n.Kind == yaml.MappingNode {
		f.items = it
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if alts, ok := x.get(k); ok {
			f.alts = append(f.alts, alts.items()...)
		}
	}
	if all, ok := x.get("allOf"); ok {
		for _, part := range all.items() {
			p := flatten(part, depth+1)
			if len(p.types) > 0 {
				if len(f.types) == 0 {
					f.types = p.types
				} else {
					for t := range f.types {
						if !p.types[t] {
							delete(f.types, t)
						}
					}
				}
			}
			if f.format == "" {
				f.format = p.format
			}
			if f.pattern == "" {
				f.pattern = p.pattern
			}
			if !f.hasEnum && p.hasEnum {
				f.hasEnum, f.enum = true, p.enum
			}
			for k, v := range p.props {
				if _, ok := f.props[k]; !ok {
					f.props[k], f.propKeys[k] = v, p.propKeys[k]
				}
			}
			for k := range p.required {
				f.required[k] = true
			}
			for k, v := range p.nums {
				if _, ok := f.nums[k]; !ok {
					f.nums[k] = v
				}
			}
			if !f.items.ok() {
				f.items = p.items
			}
			f.alts = append(f.alts, p.alts...)
		}
	}
	return f
}

func typeList(m map[string]bool) string {
	if len(m) == 0 {
		return "any"
	}
	var ts []string
	for t := range m {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return strings.Join(ts, "|")
}

// lost returns the members of a missing from b; integer counts as
// contained in number.
func lost(a, b map[string]bool) bool {
	if len(b) == 0 {
		return false // b accepts anything
	}
	if len(a) == 0 {
		return true
	}
	for t := range a {
		if !b[t] && !(t == "integer" && b["number"]) {
			return true
		}
	}
	return false
}

// compareSchema compares a request (request=true) or response schema.
// Requests may only widen what they accept; responses may only narrow what
// they return.
func (c *checker) compareSchema(what string, o, n node, request bool, depth int) {
	if !o.ok() || !n.ok() || depth > 64 {
		return
	}
	if o.ref != "" && n.ref != "" {
		key := fmt.Sprint(request, "|", o.ref, "|", n.ref)
		if c.seen[key] {
			return
		}
		c.seen[key] = true
	}
	of, nf := flatten(o, 0), flatten(n, 0)
	rule := func(req, resp compat.Rule) compat.Rule {
		if request {
			return req
		}
		return resp
	}
	// Types (nullable included as "null").
	if request && lost(of.types, nf.types) {
		c.add(RequestTypeChanged, what, fmt.Sprintf("%s: type changed from %s to %s", what, typeList(of.types), typeList(nf.types)), n, o)
	}
	if !request && lost(nf.types, of.types) {
		c.add(ResponseTypeChanged, what, fmt.Sprintf("%s: type changed from %s to %s", what, typeList(of.types), typeList(nf.types)), n, o)
	}
	// Formats: a request may drop a format, a response may add one.
	if of.format != nf.format && (request && nf.format != "" || !request && of.format != "") {
		c.add(rule(RequestFormatChanged, ResponseFormatChanged), what, fmt.Sprintf("%s: format changed from %q to %q", what, of.format, nf.format), n, o)
	}
	// Enums.
	if request && nf.hasEnum {
		if missing := minus(of.enum, nf.enum); !of.hasEnum || len(missing) > 0 {
			msg := fmt.Sprintf("%s: enum values %s are no longer accepted", what, strings.Join(missing, ", "))
			if !of.hasEnum {
				msg = fmt.Sprintf("%s: values are now limited to %s", what, strings.Join(nf.enum, ", "))
			}
			c.add(RequestEnumNarrowed, what, msg, n, o)
		}
	}
	if !request && of.hasEnum {
		if added := minus(nf.enum, of.enum); !nf.hasEnum || len(added) > 0 {
			msg := fmt.Sprintf("%s: enum values %s were added", what, strings.Join(added, ", "))
			if !nf.hasEnum {
				msg = fmt.Sprintf("%s: the enum was removed: any value may come back", what)
			}
			c.add(ResponseEnumWidened, what, msg, n, o)
		}
	}
	c.compareConstraints(what, of, nf, request, n, o)
	// Properties.
	for _, name := range sortedKeys(nf.props) {
		np := nf.props[name]
		op, had := of.props[name]
		pwhat := what + "." + name
		if request && flatten(np, 0).readOnly || !request && flatten(np, 0).writeOnly {
			continue
		}
		switch {
		case request && nf.required[name] && !had:
			c.add(RequestPropRequiredAdded, pwhat, fmt.Sprintf("%s: required property %q was added", what, name), nf.propKeys[name], node{})
		case request && nf.required[name] && !of.required[name]:
			c.add(RequestPropBecameRequired, pwhat, fmt.Sprintf("%s: property %q became required", what, name), nf.propKeys[name], of.propKeys[name])
		case !had && request:
			c.add(RequestPropAdded, pwhat, fmt.Sprintf("%s: optional property %q was added", what, name), nf.propKeys[name], node{})
		case !had:
			c.add(ResponsePropAdded, pwhat, fmt.Sprintf("%s: property %q was added", what, name), nf.propKeys[name], node{})
		case !request && of.required[name] && !nf.required[name]:
			c.add(ResponsePropBecameOpt, pwhat, fmt.Sprintf("%s: property %q is no longer required", what, name), nf.propKeys[name], of.propKeys[name])
		}
		if had {
			c.compareSchema(pwhat, op, np, request, depth+1)
		}
	}
	for _, name := range sortedKeys(of.props) {
		if _, ok := nf.props[name]; ok {
			continue
		}
		pwhat := what + "." + name
		op := flatten(of.props[name], 0)
		dep := of.props[name].boolean("deprecated")
		switch {
		case request && !op.readOnly:
			c.addDeleted(dep, RequestPropRemoved, pwhat, fmt.Sprintf("%s: property %q was removed", what, name), n, of.propKeys[name])
		case !request && op.writeOnly:
		case !request && of.required[name]:
			c.addDeleted(dep, ResponseRequiredPropGone, pwhat, fmt.Sprintf("%s: required property %q was removed", what, name), n, of.propKeys[name])
		case !request:
			c.addDeleted(dep, ResponseOptionalPropGone, pwhat, fmt.Sprintf("%s: optional property %q was removed", what, name), n, of.propKeys[name])
		}
	}
	if of.items.ok() && nf.items.ok() {
		c.compareSchema(what+"[]", of.items, nf.items, request, depth+1)
	}
	c.compareAlternatives(what, of, nf, request, depth)
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

var upper = map[string]bool{"maxLength": true, "maximum": true, "maxItems": true, "maxProperties": true}

func (c *checker) compareConstraints(what string, of, nf flat, request bool, n, o node) {
	for _, k := range []string{"maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems", "maxProperties", "minProperties"} {
		ov, oHas := of.nums[k]
		nv, nHas := nf.nums[k]
		if oHas == nHas && ov == nv {
			continue
		}
		// tighter: the new value accepts less than the old one.
		var tighter bool
		switch {
		case !oHas:
			tighter = true
		case !nHas:
			tighter = false
		case upper[k]:
			tighter = nv < ov
		default:
			tighter = nv > ov
		}
		desc := func(has bool, v float64) string {
			if !has {
				return "none"
			}
			return fmt.Sprint(v)
		}
		msg := fmt.Sprintf("%s: %s changed from %s to %s", what, k, desc(oHas, ov), desc(nHas, nv))
		if request && tighter {
			c.add(RequestConstraintNarrowed, what, msg, n, o)
		}
		if !request && !tighter {
			c.add(ResponseConstraintWidened, what, msg, n, o)
		}
	}
	if of.pattern != nf.pattern {
		msg := fmt.Sprintf("%s: pattern changed from %q to %q", what, of.pattern, nf.pattern)
		if request && nf.pattern != "" {
			c.add(RequestConstraintNarrowed, what, msg, n, o)
		}
		if !request && of.pattern != "" {
			c.add(ResponseConstraintWidened, what, msg, n, o)
		}
	}
}

// compareAlternatives matches oneOf/anyOf alternatives by $ref, else by
// position.
func (c *checker) compareAlternatives(what string, of, nf flat, request bool, depth int) {
	if len(of.alts) == 0 && len(nf.alts) == 0 {
		return
	}
	key := func(i int, x node) string {
		if x.ref != "" {
			return x.ref[strings.LastIndex(x.ref, "/")+1:]
		}
		return fmt.Sprint("#", i)
	}
	nm := map[string]node{}
	for i, a := range nf.alts {
		nm[key(i, a)] = a
	}
	om := map[string]node{}
	for i, a := range of.alts {
		k := key(i, a)
		om[k] = a
		na, ok := nm[k]
		if !ok {
			if request {
				c.add(RequestAlternativeRemoved, what, fmt.Sprintf("%s: alternative %s was removed", what, k), nf.at, a)
			}
			continue
		}
		c.compareSchema(what+" ("+k+")", a, na, request, depth+1)
	}
	if !request && len(of.alts) > 0 {
		for i, a := range nf.alts {
			if _, ok := om[key(i, a)]; !ok {
				c.add(ResponseAlternativeAdded, what, fmt.Sprintf("%s: alternative %s was added", what, key(i, a)), a, node{})
			}
		}
	}
}
