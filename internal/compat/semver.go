package compat

import (
	"fmt"
	"strconv"
	"strings"
)

// Bump is a semantic version increment.
type Bump string

// The bumps, from none to major.
const (
	BumpNone  Bump = "none"
	BumpPatch Bump = "patch"
	BumpMinor Bump = "minor"
	BumpMajor Bump = "major"
)

func (b Bump) rank() int {
	switch b {
	case BumpPatch:
		return 1
	case BumpMinor:
		return 2
	case BumpMajor:
		return 3
	}
	return 0
}

// Version is a parsed semantic version. MajorOnly is set for versions that
// can only say their major number, such as a proto package's v2 suffix.
type Version struct {
	Major, Minor, Patch int
	Pre                 string
	MajorOnly           bool
	Raw                 string
}

// ParseVersion reads "1.2.3", "v1.2.3", "1.2", "1.2.3-rc.1+build" or "v2".
func ParseVersion(s string) (Version, bool) {
	raw := s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	v := Version{Raw: raw}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		v.Pre, s = s[i+1:], s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return Version{}, false
	}
	nums := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, false
		}
		nums[i] = n
	}
	v.Major, v.Minor, v.Patch = nums[0], nums[1], nums[2]
	v.MajorOnly = len(parts) == 1
	return v, true
}

// Gate is the semantic-version gate: the declared versions of the baseline
// and of the new API, and where they came from.
type Gate struct {
	Old, New string
	// Source says where the versions were read: "info.version",
	// "proto package suffix", "--version", "git tag", "@version directive".
	Source string
}

// SemverResult is the gate's verdict, part of the JSON output.
type SemverResult struct {
	// RequiredBump is what the findings need: major for breaking changes
	// (minor while the major version is 0), minor for dangerous changes and
	// additions, none otherwise.
	RequiredBump Bump `json:"required_bump"`
	// DeclaredBump is what the versions say; empty when unknown.
	DeclaredBump Bump   `json:"declared_bump,omitempty"`
	OldVersion   string `json:"old_version,omitempty"`
	NewVersion   string `json:"new_version,omitempty"`
	Source       string `json:"source,omitempty"`
	OK           bool   `json:"ok"`
	// Message says what is missing, for example "breaking changes need a
	// major version bump: 1.4.0 -> 1.5.0 is a minor bump; declare 2.0.0".
	Message string `json:"message"`
}

// Required works out the bump that a report's unsuppressed findings need.
func Required(r *Report, oldMajor int) Bump {
	switch {
	case r.Breaking > 0 && oldMajor == 0:
		// Before 1.0.0 anything may change; by convention (Cargo, npm's
		// caret) a breaking change then bumps the minor number.
		return BumpMinor
	case r.Breaking > 0:
		return BumpMajor
	case r.Dangerous > 0 || r.Safe > 0:
		return BumpMinor
	}
	return BumpNone
}

// declared returns the bump from old to new, or ok=false when new is lower.
func declared(o, n Version) (Bump, bool) {
	switch {
	case n.Major > o.Major:
		return BumpMajor, true
	case n.Major < o.Major:
		return "", false
	case o.MajorOnly || n.MajorOnly:
		return BumpNone, true
	case n.Minor > o.Minor:
		return BumpMinor, true
	case n.Minor < o.Minor:
		return "", false
	case n.Patch > o.Patch:
		return BumpPatch, true
	case n.Patch < o.Patch:
		return "", false
	}
	return BumpNone, true
}

// suggest names the smallest version that carries bump b over o.
func suggest(o Version, b Bump) string {
	prefix := ""
	if strings.HasPrefix(strings.TrimSpace(o.Raw), "v") {
		prefix = "v"
	}
	if o.MajorOnly {
		return fmt.Sprintf("v%d", o.Major+1)
	}
	switch b {
	case BumpMajor:
		return fmt.Sprintf("%s%d.0.0", prefix, o.Major+1)
	case BumpMinor:
		return fmt.Sprintf("%s%d.%d.0", prefix, o.Major, o.Minor+1)
	}
	return fmt.Sprintf("%s%d.%d.%d", prefix, o.Major, o.Minor, o.Patch+1)
}

// Evaluate compares the bump the findings need with the declared one.
// Breaking changes always need their bump; for the minor bump that
// additions and dangerous changes need, the gate only fails when both
// versions are full semantic versions (a proto package suffix cannot say
// it).
func (g *Gate) Evaluate(r *Report) *SemverResult {
	res := &SemverResult{OldVersion: g.Old, NewVersion: g.New, Source: g.Source}
	o, okOld := ParseVersion(g.Old)
	n, okNew := ParseVersion(g.New)
	oldMajor := -1
	if okOld {
		oldMajor = o.Major
	}
	res.RequiredBump = Required(r, oldMajor)
	if !okOld || !okNew {
		what := "no version was found"
		switch {
		case g.Old != "" && !okOld:
			what = fmt.Sprintf("baseline version %q is not a semantic version", g.Old)
		case g.New != "" && !okNew:
			what = fmt.Sprintf("version %q is not a semantic version", g.New)
		case g.Old == "" && g.New != "":
			what = "the baseline declares no version"
		case g.New == "" && g.Old != "":
			what = "the new API declares no version"
		}
		if r.Breaking > 0 {
			res.Message = fmt.Sprintf("breaking changes need a major version bump, and %s (declare one with --version, or in the API)", what)
			return res
		}
		res.OK = true
		res.Message = fmt.Sprintf("no breaking changes (%s; required bump: %s)", what, res.RequiredBump)
		return res
	}
	if o.Pre != "" && r.Breaking > 0 {
		// A pre-release (1.0.0-beta.1, a v1beta1 package) promises no
		// stability, as semver and buf's unstable packages say.
		res.OK = true
		res.Message = fmt.Sprintf("%s is a pre-release: breaking changes are allowed", g.Old)
		if d, forward := declared(o, n); forward {
			res.DeclaredBump = d
		}
		return res
	}
	d, forward := declared(o, n)
	if !forward {
		res.Message = fmt.Sprintf("version went down: %s -> %s", g.Old, g.New)
		return res
	}
	res.DeclaredBump = d
	need := res.RequiredBump
	if o.MajorOnly || n.MajorOnly {
		// Only the major number is declared: check breaking changes alone.
		if need != BumpMajor {
			res.OK = true
			res.Message = fmt.Sprintf("%s -> %s: no breaking changes in the same major version", g.Old, g.New)
			return res
		}
	}
	if d.rank() >= need.rank() {
		res.OK = true
		if d == BumpMajor && r.Breaking > 0 {
			res.Message = fmt.Sprintf("%s -> %s is a major bump: breaking changes are allowed", g.Old, g.New)
		} else {
			res.Message = fmt.Sprintf("%s -> %s is a %s bump; required: %s", g.Old, g.New, d, need)
		}
		return res
	}
	why := map[Bump]string{BumpMajor: "breaking changes", BumpMinor: "additions and dangerous changes"}[need]
	if need == BumpMinor && r.Breaking > 0 {
		why = "breaking changes before 1.0.0"
	}
	res.Message = fmt.Sprintf("%s need a %s version bump: %s -> %s is %s; declare %s",
		why, need, g.Old, g.New, describeBump(d), suggest(o, need))
	return res
}

func describeBump(b Bump) string {
	if b == BumpNone {
		return "no bump"
	}
	return "a " + string(b) + " bump"
}
