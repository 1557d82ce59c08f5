package gateway

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The route grammar, shared with the generated gateway's internal/route
// package (TestGeneratedProjects parses the generated defaults with it):
//
//	route:     PREFIX=SERVICE[/PATH]        /orders=orders, /api/users=users/v1
//	composite: PATH=PART[,PART...]          /dashboard=orders/v1/items,users/v1/items
//	part:      [KEY:]SERVICE/PATH           recent:orders/v1/items
//
// The patterns compile on first use: compiled at package init, their counted
// repeats cost every msctl command start-up time.
var (
	prefixRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/$|^(/[A-Za-z0-9._~-]+)+$`) })
	serviceRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`) })
	pathRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+/?$|^/$`) })
	keyRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,62}$`) })
)

// Route sends requests under Prefix to Service, replacing Prefix with Path
// (empty: the prefix is stripped).
type Route struct {
	Prefix  string `json:"prefix"`
	Service string `json:"service"`
	Path    string `json:"path,omitempty"`
}

// Part is one backend call of a composite route.
type Part struct {
	Key     string `json:"key"`
	Service string `json:"service"`
	Path    string `json:"path"`
}

// Composite answers GET Path with the JSON of every part, merged into one
// object keyed by Part.Key.
type Composite struct {
	Path  string `json:"path"`
	Parts []Part `json:"parts"`
}

// ParseRoute parses PREFIX=SERVICE[/PATH].
func ParseRoute(spec string) (Route, error) {
	bad := func(why string) (Route, error) {
		return Route{}, fmt.Errorf("route %q: %s; use PREFIX=SERVICE[/PATH], e.g. /orders=orders", spec, why)
	}
	prefix, target, ok := strings.Cut(spec, "=")
	if !ok {
		return bad("no '='")
	}
	if !prefixRE().MatchString(prefix) || dotSegment(prefix) {
		return bad("the prefix must be a path like /orders (letters, digits, . _ ~ -)")
	}
	svc, p, err := splitTarget(target)
	if err != nil {
		return bad(err.Error())
	}
	return Route{Prefix: prefix, Service: svc, Path: p}, nil
}

// splitTarget splits SERVICE[/PATH].
func splitTarget(target string) (svc, p string, err error) {
	svc, rest, hasPath := strings.Cut(target, "/")
	if !serviceRE().MatchString(svc) {
		return "", "", fmt.Errorf("service %q must be lower-case letters, digits and dashes", svc)
	}
	if hasPath {
		p = "/" + rest
		if !pathRE().MatchString(p) || dotSegment(p) {
			return "", "", fmt.Errorf("backend path %q is not a clean path", p)
		}
	}
	return svc, p, nil
}

// ParseComposite parses PATH=[KEY:]SERVICE/PATH[,...].
func ParseComposite(spec string) (Composite, error) {
	bad := func(why string) (Composite, error) {
		return Composite{}, fmt.Errorf("composite %q: %s; use PATH=[KEY:]SERVICE/PATH,..., e.g. /dashboard=orders/v1/items,users/v1/users", spec, why)
	}
	path, parts, ok := strings.Cut(spec, "=")
	if !ok {
		return bad("no '='")
	}
	if path == "/" || !prefixRE().MatchString(path) || dotSegment(path) {
		return bad("the path must be like /dashboard")
	}
	c := Composite{Path: path}
	seen := map[string]bool{}
	for _, ps := range strings.Split(parts, ",") {
		key, target, hasKey := strings.Cut(ps, ":")
		if !hasKey {
			target, key = ps, ""
		}
		svc, p, err := splitTarget(target)
		if err != nil {
			return bad(err.Error())
		}
		if p == "" {
			return bad(fmt.Sprintf("part %q needs a backend path (SERVICE/PATH)", ps))
		}
		if key == "" {
			key = svc
		}
		if !keyRE().MatchString(key) {
			return bad(fmt.Sprintf("key %q must be a word (letters, digits, _ and -)", key))
		}
		if key == "errors" {
			return bad(`key "errors" is reserved for the parts that failed`)
		}
		if seen[key] {
			return bad(fmt.Sprintf("key %q appears twice; name the parts KEY:SERVICE/PATH", key))
		}
		seen[key] = true
		c.Parts = append(c.Parts, Part{Key: key, Service: svc, Path: p})
	}
	return c, nil
}

// dotSegment reports whether p has a "." or ".." segment, which would let a
// route escape its prefix.
func dotSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
