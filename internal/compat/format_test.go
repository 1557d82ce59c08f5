package compat

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
)

func sample() *Result {
	rep := &Report{Language: "proto", Target: "api/orders.proto", Baseline: "git:main", Findings: []Finding{
		{Rule: "FIELD_NO_DELETE", Severity: Breaking, Category: "FILE", Message: "field 2 \"note\" was deleted, 100%", Path: "orders.v1.Order.note",
			Location: Location{File: "api/orders.proto", Line: 4, Column: 1}},
		{Rule: "FIELD_ADDED", Severity: Safe, Category: "FILE", Message: "field 3 was added", Location: Location{File: "api/orders.proto", Line: 6, Column: 3}},
		{Rule: "ENUM_VALUE_NO_DELETE", Severity: Breaking, Message: "gone", Location: Location{File: "api/orders.proto", Line: 9}, Suppression: &Suppression{Rule: "ENUM_VALUE_NO_DELETE", Reason: "unused"}},
	}}
	rep.Finish(&Gate{Old: "v1", New: "v1"})
	return &Result{OK: rep.OK, Reports: []*Report{rep}}
}

func TestFormats(t *testing.T) {
	res := sample()
	if res.OK || res.Reports[0].Breaking != 1 || res.Reports[0].Safe != 1 {
		t.Fatalf("finish: %+v", res.Reports[0])
	}
	var b bytes.Buffer
	if err := Write(&b, "github-actions", res, output.Style{}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "::error file=api/orders.proto,line=4,col=1,title=FIELD_NO_DELETE::field 2 \"note\" was deleted, 100%25\n") {
		t.Errorf("github-actions:\n%s", b.String())
	}
	if strings.Contains(b.String(), "ENUM_VALUE_NO_DELETE") {
		t.Error("suppressed findings must not be annotated")
	}
	b.Reset()
	if err := Write(&b, "junit", res, output.Style{}, nil); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(b.Bytes(), &suites); err != nil || suites.Failures != 2 || suites.Suites[0].Skipped != 1 {
		t.Errorf("junit: err=%v %+v\n%s", err, suites, b.String())
	}
	b.Reset()
	if err := Write(&b, "sarif", res, output.Style{}, map[string]Rule{"FIELD_NO_DELETE": {ID: "FIELD_NO_DELETE", Summary: "fields are not deleted"}}); err != nil {
		t.Fatal(err)
	}
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID       string           `json:"ruleId"`
				Level        string           `json:"level"`
				Suppressions []map[string]any `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs[0].Results) != 3 ||
		sarif.Runs[0].Results[0].Level != "error" || len(sarif.Runs[0].Results[1].Suppressions) != 1 {
		t.Errorf("sarif: err=%v\n%s", err, b.String())
	}
}

func TestTextColorsOnlyOnATerminal(t *testing.T) {
	// The test's own stdout is no terminal: tell lipgloss what a color
	// terminal would support.
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(prev)
	for _, tty := range []bool{false, true} {
		ios, _, out, _ := iostreams.Test()
		ios.SetTTY(tty)
		if err := Write(out, "text", sample(), output.NewStyle(ios), nil); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if has := strings.Contains(s, "\x1b["); has != tty {
			t.Errorf("tty=%v: escape codes present=%v\n%s", tty, has, s)
		}
		for _, want := range []string{"api/orders.proto:4:1:", "FIELD_NO_DELETE", "Suppressed (1)", "declare v2"} {
			if !strings.Contains(s, want) {
				t.Errorf("tty=%v: missing %q in\n%s", tty, want, s)
			}
		}
	}
}
