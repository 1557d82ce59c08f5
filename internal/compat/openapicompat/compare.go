package openapicompat

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/msctl/msctl/internal/compat"
)

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

type checker struct {
	old, new *Doc
	out      []compat.Finding
	// seen breaks cycles in recursive schemas.
	seen map[string]bool
}

// Compare reports the differences from old to new.
func Compare(old, new *Doc) []compat.Finding {
	c := &checker{old: old, new: new, seen: map[string]bool{}}
	op, _ := old.top().get("paths")
	np, _ := new.top().get("paths")
	npaths := map[string]entry{}
	for _, e := range np.entries() {
		npaths[templateKey(e.key)] = e
	}
	opaths := map[string]bool{}
	for _, oe := range op.entries() {
		key := templateKey(oe.key)
		opaths[key] = true
		ne, ok := npaths[key]
		if !ok {
			c.add(PathRemoved, oe.key, fmt.Sprintf("path %s was removed", oe.key), np, oe.keyNode)
			continue
		}
		c.comparePath(oe, ne)
	}
	for _, ne := range np.entries() {
		if !opaths[templateKey(ne.key)] {
			c.add(PathAdded, ne.key, fmt.Sprintf("path %s was added", ne.key), ne.keyNode, node{})
		}
	}
	return c.out
}

var paramName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{[^}]*\}`) })

// templateKey makes /orders/{id} and /orders/{orderId} the same path.
func templateKey(p string) string { return paramName().ReplaceAllString(p, "{}") }

func (c *checker) add(rule compat.Rule, path, msg string, at, base node) {
	var bl *compat.Location
	if base.ok() {
		l := base.loc()
		bl = &l
	}
	if !at.ok() {
		at = base
	}
	if !at.ok() {
		at = c.new.top()
	}
	loc := at.loc()
	c.out = append(c.out, compat.NewFinding(rule, path, msg, loc, bl))
}

// addDeleted is add for a removal; dep says the element was deprecated.
func (c *checker) addDeleted(dep bool, rule compat.Rule, path, msg string, at, base node) {
	if dep {
		msg += " (it was deprecated)"
	}
	c.add(rule, path, msg, at, base)
	c.out[len(c.out)-1].Deprecated = dep
}

func (c *checker) comparePath(oe, ne entry) {
	for _, m := range methods {
		oo, ok := oe.val.get(m)
		if !ok {
			continue
		}
		id := strings.ToUpper(m) + " " + ne.key
		no, ok := ne.val.get(m)
		if !ok {
			c.addDeleted(oo.boolean("deprecated"), OperationRemoved, id, fmt.Sprintf("operation %s was removed", id), ne.keyNode, oe.val.keyNode(m))
			continue
		}
		c.compareOperation(id, oe.key, ne.key, oe.val, oo, ne.val, no)
	}
	for _, m := range methods {
		if no, ok := ne.val.get(m); ok {
			if _, had := oe.val.get(m); !had {
				id := strings.ToUpper(m) + " " + ne.key
				c.add(OperationAdded, id, fmt.Sprintf("operation %s was added", id), ne.val.keyNode(m), node{})
				_ = no
			}
		}
	}
}

// params merges path-level and operation-level parameters by in+name.
// Path parameters are keyed by their position in the template, so renaming
// {id} to {orderId} changes nothing for clients.
func params(template string, pathItem, op node) map[string]node {
	pos := map[string]int{}
	for i, m := range paramName().FindAllString(template, -1) {
		pos[strings.Trim(m, "{}")] = i
	}
	out := map[string]node{}
	for _, src := range []node{pathItem, op} {
		ps, _ := src.get("parameters")
		for _, p := range ps.items() {
			in := strings.ToLower(p.str("in"))
			key := in + ":" + p.str("name")
			if in == "header" {
				key = in + ":" + strings.ToLower(p.str("name"))
			}
			if i, ok := pos[p.str("name")]; ok && in == "path" {
				key = fmt.Sprintf("path:#%d", i)
			}
			out[key] = p
		}
	}
	return out
}

func (c *checker) compareOperation(id, otpl, ntpl string, opi, oo, npi, no node) {
	if !oo.boolean("deprecated") && no.boolean("deprecated") {
		c.add(OperationDeprecated, id, fmt.Sprintf("operation %s was deprecated", id), no, oo)
	}
	// Parameters and headers.
	op, np := params(otpl, opi, oo), params(ntpl, npi, no)
	for _, k := range sortedKeys(np) {
		p := np[k]
		what := fmt.Sprintf("%s parameter %q", p.str("in"), p.str("name"))
		required := p.boolean("required") || p.str("in") == "path"
		o, had := op[k]
		switch {
		case !had && required:
			c.add(ParamRequiredAdded, id, fmt.Sprintf("%s: required %s was added", id, what), p, node{})
		case !had:
			c.add(ParamAdded, id, fmt.Sprintf("%s: optional %s was added", id, what), p, node{})
		case required && !(o.boolean("required") || o.str("in") == "path"):
			c.add(ParamBecameRequired, id, fmt.Sprintf("%s: %s became required", id, what), p, o)
		}
		if had {
			os, _ := o.get("schema")
			ns, _ := p.get("schema")
			c.compareSchema(id+" "+what, os, ns, true, 0)
		}
	}
	for _, k := range sortedKeys(op) {
		if _, ok := np[k]; !ok {
			o := op[k]
			c.addDeleted(o.boolean("deprecated"), ParamRemoved, id, fmt.Sprintf("%s: %s parameter %q was removed", id, o.str("in"), o.str("name")), no, o)
		}
	}
	// Request body.
	ob, oHas := oo.get("requestBody")
	nb, nHas := no.get("requestBody")
	switch {
	case nHas && !oHas && nb.boolean("required"):
		c.add(BodyRequiredAdded, id, fmt.Sprintf("%s: a required request body was added", id), nb, node{})
	case nHas && oHas && nb.boolean("required") && !ob.boolean("required"):
		c.add(BodyBecameRequired, id, fmt.Sprintf("%s: the request body became required", id), nb, ob)
	}
	if nHas && oHas {
		oc, _ := ob.get("content")
		nc, _ := nb.get("content")
		for _, e := range oc.entries() {
			ne, ok := nc.get(e.key)
			if !ok {
				c.add(RequestMediaTypeRemoved, id, fmt.Sprintf("%s: request media type %s is no longer accepted", id, e.key), nc, e.keyNode)
				continue
			}
			os, _ := e.val.get("schema")
			ns, _ := ne.get("schema")
			c.compareSchema(id+" request body", os, ns, true, 0)
		}
	}
	// Responses.
	ors, _ := oo.get("responses")
	nrs, _ := no.get("responses")
	nr := map[string]node{}
	for _, e := range nrs.entries() {
		nr[e.key] = e.val
	}
	or := map[string]bool{}
	for _, e := range ors.entries() {
		or[e.key] = true
		n, ok := nr[e.key]
		if !ok {
			rule := ResponseErrorCodeRemoved
			if strings.HasPrefix(e.key, "2") {
				rule = ResponseCodeRemoved
			}
			c.add(rule, id, fmt.Sprintf("%s: response %s was removed", id, e.key), nrs, e.keyNode)
			continue
		}
		c.compareResponse(fmt.Sprintf("%s response %s", id, e.key), id, e.val, n)
	}
	for _, e := range nrs.entries() {
		if !or[e.key] {
			c.add(ResponseCodeAdded, id, fmt.Sprintf("%s: response %s was added", id, e.key), e.keyNode, node{})
		}
	}
	c.compareSecurity(id, oo, no)
}

func (c *checker) compareResponse(what, id string, o, n node) {
	oc, _ := o.get("content")
	nc, _ := n.get("content")
	for _, e := range oc.entries() {
		ne, ok := nc.get(e.key)
		if !ok {
			c.add(ResponseMediaTypeRemoved, id, fmt.Sprintf("%s: media type %s was removed", what, e.key), nc, e.keyNode)
			continue
		}
		os, _ := e.val.get("schema")
		ns, _ := ne.get("schema")
		c.compareSchema(what, os, ns, false, 0)
	}
	oh, _ := o.get("headers")
	nh, _ := n.get("headers")
	for _, e := range oh.entries() {
		h, ok := nh.get(e.key)
		if !ok {
			if e.val.boolean("required") {
				c.add(ResponseHeaderRemoved, id, fmt.Sprintf("%s: required header %s was removed", what, e.key), nh, e.keyNode)
			}
			continue
		}
		if e.val.boolean("required") && !h.boolean("required") {
			c.add(ResponseHeaderRemoved, id, fmt.Sprintf("%s: header %s is no longer required", what, e.key), h, e.val)
		}
	}
}

// requirements returns an operation's security alternatives: each a set
// of scheme -> scopes. nil means no security.
func requirements(doc *Doc, op node) []map[string][]string {
	sec, ok := op.get("security")
	if !ok {
		sec, ok = doc.top().get("security")
	}
	if !ok {
		return nil
	}
	var out []map[string][]string
	for _, alt := range sec.items() {
		m := map[string][]string{}
		for _, e := range alt.entries() {
			var scopes []string
			for _, s := range e.val.items() {
				scopes = append(scopes, s.n.Value)
			}
			m[e.key] = scopes
		}
		out = append(out, m)
	}
	return out
}

// satisfies reports whether a client that meets have also meets need:
// every scheme of need is in have, with no scope have lacks.
func satisfies(have, need map[string][]string) bool {
	for s, scopes := range need {
		hs, ok := have[s]
		if !ok {
			return false
		}
		for _, sc := range scopes {
			found := false
			for _, h := range hs {
				found = found || h == sc
			}
			if !found {
				return false
			}
		}
	}
	return true
}

func (c *checker) compareSecurity(id string, oo, no node) {
	oreq, nreq := requirements(c.old, oo), requirements(c.new, no)
	anon := func(reqs []map[string][]string) bool {
		if len(reqs) == 0 {
			return true
		}
		for _, r := range reqs {
			if len(r) == 0 {
				return true
			}
		}
		return false
	}
	at, ok := no.get("security")
	if !ok {
		at = no
	}
	if anon(nreq) {
		if !anon(oreq) {
			c.add(SecurityRemoved, id, fmt.Sprintf("%s: security requirements were removed", id), at, node{})
		}
		return
	}
	olds := oreq
	if anon(oreq) {
		c.add(SecurityChanged, id, fmt.Sprintf("%s: now requires authentication (%s)", id, fmtReqs(nreq)), at, node{})
		return
	}
	for _, o := range olds {
		ok := false
		for _, n := range nreq {
			ok = ok || satisfies(o, n)
		}
		if !ok {
			c.add(SecurityChanged, id, fmt.Sprintf("%s: security changed from %s to %s", id, fmtReqs(oreq), fmtReqs(nreq)), at, node{})
			return
		}
	}
}

func fmtReqs(reqs []map[string][]string) string {
	var alts []string
	for _, r := range reqs {
		var parts []string
		for _, k := range sortedKeys(r) {
			s := k
			if len(r[k]) > 0 {
				s += "[" + strings.Join(r[k], " ") + "]"
			}
			parts = append(parts, s)
		}
		alts = append(alts, strings.Join(parts, "+"))
	}
	return strings.Join(alts, " or ")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func num(x node, key string) (float64, bool) {
	v, ok := x.get(key)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.n.Value, 64)
	return f, err == nil
}
