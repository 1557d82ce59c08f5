package check

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryRule keeps docs/compat.md's rule tables in step with
// the code: CI configurations name rules by these IDs.
func TestDocsListEveryRule(t *testing.T) {
	b, err := os.ReadFile("../../../docs/compat.md")
	if err != nil {
		t.Fatal(err)
	}
	for id := range Rules() {
		if !strings.Contains(string(b), "`"+id+"`") {
			t.Errorf("docs/compat.md does not list rule %s", id)
		}
	}
}
