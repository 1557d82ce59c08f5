package registry

import (
	"sort"
	"strings"
)

// versionMetaKeys are the metadata keys, in order of preference, that
// registries and frameworks commonly use for an instance's version.
var versionMetaKeys = []string{"version", "Version", "app_version", "service_version", "VERSION"}

// VersionOf extracts an instance's declared version from its metadata, or
// from a tag of the form version=X, version:X or vX.Y.Z. It returns "" when
// nothing declares one. Adapters call it so that every registry reports
// versions the same way.
func VersionOf(tags []string, meta map[string]string) string {
	for _, k := range versionMetaKeys {
		if v := meta[k]; v != "" {
			return v
		}
	}
	for _, t := range tags {
		for _, p := range []string{"version=", "version:"} {
			if v, ok := strings.CutPrefix(t, p); ok && v != "" {
				return v
			}
		}
	}
	for _, t := range tags {
		if len(t) > 1 && t[0] == 'v' && t[1] >= '0' && t[1] <= '9' && strings.Contains(t, ".") {
			return t
		}
	}
	return ""
}

// Worst returns the more severe of two health states.
func Worst(a, b Health) Health {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

func rank(h Health) int {
	switch h {
	case Passing:
		return 0
	case Unknown:
		return 1
	case Warning:
		return 2
	case Critical:
		return 3
	}
	return 1
}

// Summarize builds a Service from its instances: counts by health, and the
// sorted, de-duplicated tags and versions seen. Adapters that read
// instances in bulk use it so that summaries agree across registries.
func Summarize(name string, instances []Instance) Service {
	s := Service{Name: name, ByHealth: map[Health]int{}}
	tags := map[string]bool{}
	versions := map[string]bool{}
	for _, in := range instances {
		s.Instances++
		h := in.Health
		if h == "" {
			h = Unknown
		}
		s.ByHealth[h]++
		for _, t := range in.Tags {
			tags[t] = true
		}
		if in.Version != "" {
			versions[in.Version] = true
		}
	}
	s.Tags = sortedKeys(tags)
	s.Versions = sortedKeys(versions)
	return s
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// HasTag reports whether tags contains t.
func HasTag(tags []string, t string) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}
