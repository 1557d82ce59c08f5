package graphqlcompat

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/compat"
)

const corpusDir = "../../../testdata/compat/graphql"

func rules(fs []compat.Finding, sev ...compat.Severity) []string {
	seen := map[string]bool{}
	for _, f := range fs {
		if len(sev) == 0 || f.Severity == sev[0] {
			seen[f.Rule] = true
		}
	}
	var out []string
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func compareFiles(t *testing.T, before, after string) []compat.Finding {
	t.Helper()
	o, err := Load([]string{before}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := Load([]string{after}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return Compare(o, n)
}

// TestCorpus checks each pair for exactly its expected rules and each safe
// pair for no breaking finding and no firing of its rule.
func TestCorpus(t *testing.T) {
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, e := range ents {
		dir := filepath.Join(corpusDir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "want"))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				want = append(want, l)
				covered[l] = true
			}
		}
		t.Run(e.Name(), func(t *testing.T) {
			f := func(sub, side string) string { return filepath.Join(dir, sub, side, "schema.graphql") }
			if got := rules(compareFiles(t, f("", "before"), f("", "after"))); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("rules = %v, want %v", got, want)
			}
			safe := compareFiles(t, f("safe", "before"), f("safe", "after"))
			if br := rules(safe, compat.Breaking); len(br) > 0 {
				t.Errorf("safe pair: breaking rules fired: %v", br)
			}
			for _, r := range rules(safe) {
				if r == e.Name() {
					t.Errorf("safe pair: %s fired", r)
				}
			}
		})
	}
	for _, r := range Rules() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no corpus pair", r.ID)
		}
	}
}

func TestDeprecatedFieldRemovalNamesTheDeprecation(t *testing.T) {
	fs := compareFiles(t, filepath.Join(corpusDir, "FIELD_REMOVED", "before", "schema.graphql"), filepath.Join(corpusDir, "FIELD_REMOVED", "after", "schema.graphql"))
	if len(fs) != 1 || !strings.Contains(fs[0].Message, `deprecated: "use comment"`) || fs[0].Location.Line == 0 {
		t.Errorf("findings = %+v", fs)
	}
}
