// Package compat is the shared core of `msctl compat`: the Finding every
// language checker reports (a stable rule ID, a severity, a category and a
// file:line:column), suppressions from msctl-compat.yaml, the semantic
// version gate, and the output formats (text, JSON, GitHub Actions
// annotations, JUnit and SARIF).
//
// The language checkers live in sub-packages (protocompat, openapicompat,
// graphqlcompat) and only produce findings; deciding whether a change may
// ship is done here, once, so the three languages gate the same way.
package compat

import (
	"sort"
	"strconv"
	"strings"
)

// Severity says how a change affects existing clients.
type Severity string

// The severities. Breaking changes need a major version bump, dangerous ones
// (clients may misbehave, for example on a new enum value) and additions a
// minor bump, everything else at most a patch.
const (
	Breaking  Severity = "breaking"
	Dangerous Severity = "dangerous"
	Safe      Severity = "safe"
)

func (s Severity) rank() int {
	switch s {
	case Breaking:
		return 2
	case Dangerous:
		return 1
	}
	return 0
}

// Location is a position in an API file; Line and Column count from 1 and are
// 0 when unknown.
type Location struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String renders file:line:column, leaving out what is unknown.
func (l Location) String() string {
	if l.File == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(l.File)
	if l.Line > 0 {
		b.WriteString(":" + strconv.Itoa(l.Line))
		if l.Column > 0 {
			b.WriteString(":" + strconv.Itoa(l.Column))
		}
	}
	return b.String()
}

// Rule describes one check. IDs are stable: CI configurations and
// suppressions name them.
type Rule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Categories the rule belongs to. For Protocol Buffers these are buf's
	// FILE, PACKAGE, WIRE_JSON and WIRE; OpenAPI and GraphQL rules have one
	// descriptive category each.
	Categories []string `json:"categories"`
	Summary    string   `json:"summary"`
}

// InCategory reports whether the rule belongs to category c (case-insensitive).
func (r Rule) InCategory(c string) bool {
	for _, rc := range r.Categories {
		if strings.EqualFold(rc, c) {
			return true
		}
	}
	return false
}

// Finding is one difference between the baseline and the new API.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Category string   `json:"category"`
	Message  string   `json:"message"`
	// Path names the element: a proto full name, "GET /orders", a GraphQL
	// type.field. Suppressions match it.
	Path     string   `json:"path,omitempty"`
	Location Location `json:"location"`
	// BaselineLocation is where the element was in the baseline, for
	// deletions and changes.
	BaselineLocation *Location `json:"baseline_location,omitempty"`
	// Deprecated is set when the deleted element was marked deprecated in
	// the baseline (proto deprecated option, OpenAPI deprecated: true,
	// GraphQL @deprecated).
	Deprecated bool `json:"deprecated,omitempty"`
	// Suppression is set when a suppression in the config file matched;
	// suppressed findings are reported but neither fail the check nor count
	// toward the required version bump.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// NewFinding builds a finding for rule r.
func NewFinding(r Rule, path, msg string, loc Location, base *Location) Finding {
	cat := ""
	if len(r.Categories) > 0 {
		cat = r.Categories[0]
	}
	return Finding{Rule: r.ID, Severity: r.Severity, Category: cat, Message: msg, Path: path, Location: loc, BaselineLocation: base}
}

// SortFindings orders findings by severity (breaking first), then file,
// line, column and rule, so output is stable.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.rank() != b.Severity.rank() {
			return a.Severity.rank() > b.Severity.rank()
		}
		if a.Location.File != b.Location.File {
			return a.Location.File < b.Location.File
		}
		if a.Location.Line != b.Location.Line {
			return a.Location.Line < b.Location.Line
		}
		if a.Location.Column != b.Location.Column {
			return a.Location.Column < b.Location.Column
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Path < b.Path
	})
}

// Report is the outcome of comparing one API (one language, one baseline).
type Report struct {
	// Language is proto, openapi or graphql.
	Language string `json:"language"`
	// Target is the new API file or folder; Baseline says what it was
	// compared against (a file, folder, URL or git:REV[:PATH]).
	Target   string    `json:"target"`
	Baseline string    `json:"baseline"`
	Findings []Finding `json:"findings"`
	// Counts of unsuppressed findings by severity.
	Breaking  int `json:"breaking"`
	Dangerous int `json:"dangerous"`
	Safe      int `json:"safe"`
	// Semver is the version gate's verdict; nil with --no-semver.
	Semver *SemverResult `json:"semver,omitempty"`
	// OK is false when a breaking change is not covered by a major version
	// bump (or, with --no-semver, when there is any breaking change).
	OK bool `json:"ok"`
	// Notes are things the user should know (a shallow clone was deepened,
	// a suppression expired).
	Notes []string `json:"notes,omitempty"`
}

// Result is what `msctl compat` prints: one report per API checked.
type Result struct {
	OK      bool      `json:"ok"`
	Reports []*Report `json:"reports"`
}

// Finish counts findings, applies the semver gate and sets OK. declared
// may be nil when no version is known.
func (r *Report) Finish(gate *Gate) {
	SortFindings(r.Findings)
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.Breaking, r.Dangerous, r.Safe = 0, 0, 0
	for _, f := range r.Findings {
		if f.Suppression != nil {
			continue
		}
		switch f.Severity {
		case Breaking:
			r.Breaking++
		case Dangerous:
			r.Dangerous++
		default:
			r.Safe++
		}
	}
	if gate == nil {
		r.Semver = nil
		r.OK = r.Breaking == 0
		return
	}
	r.Semver = gate.Evaluate(r)
	r.OK = r.Semver.OK
}
