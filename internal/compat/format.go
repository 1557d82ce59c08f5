package compat

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/msctl/msctl/internal/output"
)

// Formats lists the --format values: text for people (grouped by severity,
// colored on a terminal), json (the same document as -o json),
// github-actions workflow annotations, junit XML and SARIF 2.1.0.
var Formats = []string{"text", "json", "github-actions", "junit", "sarif"}

// Write prints res in format f. style colors the text format; rules (by
// ID) give SARIF its rule descriptions.
func Write(w io.Writer, f string, res *Result, style output.Style, rules map[string]Rule) error {
	switch f {
	case "json":
		return output.WriteJSON(w, res)
	case "github-actions":
		return writeGitHub(w, res)
	case "junit":
		return writeJUnit(w, res)
	case "sarif":
		return writeSARIF(w, res, rules)
	}
	return writeText(w, res, style)
}

func writeText(w io.Writer, res *Result, st output.Style) error {
	var b strings.Builder
	for i, r := range res.Reports {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s against %s\n", st.Bold(r.Language), r.Target, r.Baseline)
		groups := []struct {
			title string
			sev   Severity
			color func(string) string
		}{{"Breaking", Breaking, st.Red}, {"Dangerous", Dangerous, st.Yellow}, {"Safe", Safe, st.Green}}
		for _, g := range groups {
			var fs []Finding
			for _, f := range r.Findings {
				if f.Severity == g.sev && f.Suppression == nil {
					fs = append(fs, f)
				}
			}
			if len(fs) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n%s\n", g.color(fmt.Sprintf("%s (%d)", g.title, len(fs))))
			for _, f := range fs {
				fmt.Fprintf(&b, "  %s: %s %s\n", f.Location.String(), st.Bold(f.Rule), f.Message)
			}
		}
		var sup []Finding
		for _, f := range r.Findings {
			if f.Suppression != nil {
				sup = append(sup, f)
			}
		}
		if len(sup) > 0 {
			fmt.Fprintf(&b, "\n%s\n", st.Faint(fmt.Sprintf("Suppressed (%d)", len(sup))))
			for _, f := range sup {
				exp := ""
				if f.Suppression.Expires != "" {
					exp = ", until " + f.Suppression.Expires
				}
				fmt.Fprintf(&b, "  %s: %s %s %s\n", f.Location.String(), f.Rule, f.Message, st.Faint("("+f.Suppression.Reason+exp+")"))
			}
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "\nnote: %s\n", n)
		}
		if r.Semver != nil {
			verdict := st.Green("ok")
			if !r.Semver.OK {
				verdict = st.Red("missing bump")
			}
			fmt.Fprintf(&b, "\nsemver: %s: %s\n", verdict, r.Semver.Message)
		}
		status := st.Green("compatible")
		if !r.OK {
			status = st.Red("FAIL")
		} else if r.Breaking > 0 && r.Semver != nil {
			status = st.Yellow("allowed by the version")
		}
		fmt.Fprintf(&b, "%s: %d breaking, %d dangerous, %d safe", status, r.Breaking, r.Dangerous, r.Safe)
		if len(sup) > 0 {
			fmt.Fprintf(&b, ", %d suppressed", len(sup))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ghEscape escapes workflow command data and properties.
func ghEscape(s string, prop bool) string {
	s = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
	if prop {
		s = strings.NewReplacer(":", "%3A", ",", "%2C").Replace(s)
	}
	return s
}

// writeGitHub writes ::error/::warning/::notice workflow commands, which
// GitHub Actions shows as annotations on the pull request's files.
func writeGitHub(w io.Writer, res *Result) error {
	var b strings.Builder
	for _, r := range res.Reports {
		for _, f := range r.Findings {
			if f.Suppression != nil {
				continue
			}
			level := "notice"
			switch f.Severity {
			case Breaking:
				level = "error"
				if r.OK {
					// Covered by a major bump: worth a look, not a failure.
					level = "warning"
				}
			case Dangerous:
				level = "warning"
			}
			props := []string{"file=" + ghEscape(f.Location.File, true)}
			if f.Location.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Location.Line))
			}
			if f.Location.Column > 0 {
				props = append(props, fmt.Sprintf("col=%d", f.Location.Column))
			}
			props = append(props, "title="+ghEscape(f.Rule, true))
			fmt.Fprintf(&b, "::%s %s::%s\n", level, strings.Join(props, ","), ghEscape(f.Message, false))
		}
		if r.Semver != nil && !r.Semver.OK {
			fmt.Fprintf(&b, "::error title=SEMVER::%s\n", ghEscape(r.Target+": "+r.Semver.Message, false))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitFailure `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// writeJUnit makes one test suite per API; each breaking or dangerous
// finding is a test case (failing when it fails the gate), plus one case for
// the semver gate, so CI test reports show exactly what broke.
func writeJUnit(w io.Writer, res *Result) error {
	doc := junitSuites{}
	for _, r := range res.Reports {
		s := junitSuite{Name: r.Language + " " + r.Target}
		for _, f := range r.Findings {
			if f.Severity == Safe && f.Suppression == nil {
				continue
			}
			c := junitCase{Name: f.Rule + " " + f.Path, Classname: r.Language + "." + f.Rule, File: f.Location.File, Line: f.Location.Line}
			switch {
			case f.Suppression != nil:
				c.Skipped = &junitFailure{Message: "suppressed: " + f.Suppression.Reason}
				s.Skipped++
			case f.Severity == Breaking && (r.Semver == nil || !r.Semver.OK):
				c.Failure = &junitFailure{Message: f.Message, Type: string(f.Severity), Text: f.Location.String() + ": " + f.Message}
				s.Failures++
			default:
				c.SystemOut = f.Location.String() + ": " + string(f.Severity) + ": " + f.Message
			}
			s.Cases = append(s.Cases, c)
		}
		if r.Semver != nil {
			c := junitCase{Name: "semver", Classname: r.Language + ".SEMVER", SystemOut: r.Semver.Message}
			if !r.Semver.OK {
				c.Failure = &junitFailure{Message: r.Semver.Message, Type: "semver"}
				c.SystemOut = ""
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// writeSARIF writes SARIF 2.1.0, which code-scanning dashboards read.
func writeSARIF(w io.Writer, res *Result, rules map[string]Rule) error {
	type msg struct {
		Text string `json:"text"`
	}
	type region struct {
		StartLine   int `json:"startLine,omitempty"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	type physical struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *region `json:"region,omitempty"`
	}
	type location struct {
		PhysicalLocation physical `json:"physicalLocation"`
	}
	type result struct {
		RuleID       string              `json:"ruleId"`
		Level        string              `json:"level"`
		Message      msg                 `json:"message"`
		Locations    []location          `json:"locations"`
		Properties   map[string]any      `json:"properties,omitempty"`
		Suppressions []map[string]string `json:"suppressions,omitempty"`
	}
	type rule struct {
		ID               string         `json:"id"`
		ShortDescription msg            `json:"shortDescription"`
		Properties       map[string]any `json:"properties"`
	}
	var results []result
	used := map[string]bool{}
	for _, r := range res.Reports {
		for _, f := range r.Findings {
			level := "note"
			switch f.Severity {
			case Breaking:
				level = "error"
			case Dangerous:
				level = "warning"
			}
			var loc location
			loc.PhysicalLocation.ArtifactLocation.URI = f.Location.File
			if f.Location.Line > 0 {
				loc.PhysicalLocation.Region = &region{StartLine: f.Location.Line, StartColumn: f.Location.Column}
			}
			out := result{RuleID: f.Rule, Level: level, Message: msg{f.Message}, Locations: []location{loc},
				Properties: map[string]any{"severity": string(f.Severity), "category": f.Category, "path": f.Path, "language": r.Language}}
			if f.Suppression != nil {
				out.Suppressions = []map[string]string{{"kind": "external", "justification": f.Suppression.Reason}}
			}
			results = append(results, out)
			used[f.Rule] = true
		}
	}
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var rs []rule
	for _, id := range ids {
		r := rules[id]
		rs = append(rs, rule{ID: id, ShortDescription: msg{r.Summary}, Properties: map[string]any{"severity": string(r.Severity), "categories": r.Categories}})
	}
	if results == nil {
		results = []result{}
	}
	if rs == nil {
		rs = []rule{}
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool":    map[string]any{"driver": map[string]any{"name": "msctl compat", "informationUri": "https://github.com/msctl/msctl/blob/main/docs/compat.md", "rules": rs}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
