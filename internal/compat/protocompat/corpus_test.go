package protocompat

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/compat"
	"github.com/msctl/msctl/internal/testserver"
)

const corpusDir = "../../../testdata/compat/proto"

type corpusCase struct {
	name     string
	dir      string
	category string
	want     []string
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		c := corpusCase{name: e.Name(), dir: filepath.Join(corpusDir, e.Name())}
		f, err := os.Open(filepath.Join(c.dir, "want"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			switch {
			case l == "" || strings.HasPrefix(l, "#"):
			case strings.HasPrefix(l, "category:"):
				c.category = strings.TrimSpace(strings.TrimPrefix(l, "category:"))
			default:
				c.want = append(c.want, l)
			}
		}
		f.Close()
		cases = append(cases, c)
	}
	return cases
}

func compareDirs(t *testing.T, before, after, category string) []compat.Finding {
	t.Helper()
	load := func(dir string) *Set {
		files, err := FindFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Load(context.Background(), Input{ImportPaths: []string{dir}, Files: files})
		if err != nil {
			t.Fatalf("loading %s: %v", dir, err)
		}
		return s
	}
	return Compare(load(before), load(after), Options{Category: category}).Findings
}

func ruleSet(fs []compat.Finding, sev ...compat.Severity) []string {
	seen := map[string]bool{}
	for _, f := range fs {
		if len(sev) > 0 && f.Severity != sev[0] {
			continue
		}
		seen[f.Rule] = true
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// TestCorpus checks every before/after pair for exactly its expected rules,
// and every safe pair for no breaking finding and none of those rules.
func TestCorpus(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			got := ruleSet(compareDirs(t, filepath.Join(c.dir, "before"), filepath.Join(c.dir, "after"), c.category))
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("rules = %v, want %v", got, c.want)
			}
			safe := compareDirs(t, filepath.Join(c.dir, "safe", "before"), filepath.Join(c.dir, "safe", "after"), c.category)
			if b := ruleSet(safe, compat.Breaking); len(b) > 0 {
				t.Errorf("safe pair: breaking rules fired: %v", b)
			}
			for _, r := range ruleSet(safe) {
				for _, w := range c.want {
					if r == w && r == c.name {
						t.Errorf("safe pair: %s fired", r)
					}
				}
			}
		})
		for _, w := range c.want {
			covered[w] = true
		}
	}
	for _, r := range Rules() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no corpus pair", r.ID)
		}
	}
}

// bufCannot lists corpus pairs buf cannot compare, with the reason; they
// are listed in docs/compat.md too.
var bufCannot = map[string]string{
	"MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT": "buf refuses to build MessageSet messages (a proto1 feature) at all",
}

// bufMisses lists breaking pairs that buf v1.75 does not report although
// its own rule says it should (deleting an enum or an extension from a
// package breaks every client that names it); msctl reports them. The safe
// pairs of these rules are still compared with buf.
var bufMisses = map[string]string{
	"PACKAGE_ENUM_NO_DELETE":      "buf's PACKAGE_ENUM_NO_DELETE does not fire when the last enum of a package is deleted",
	"PACKAGE_EXTENSION_NO_DELETE": "buf's PACKAGE_EXTENSION_NO_DELETE does not fire when an extension is deleted from a package",
}

// TestAgreesWithBuf runs `buf breaking` on every corpus pair and checks that
// it agrees with msctl on breaking versus not breaking. buf is installed by
// scripts/testenv.sh.
func TestAgreesWithBuf(t *testing.T) {
	buf, err := testserver.Find("buf")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	for _, c := range loadCorpus(t) {
		if _, ok := bufCannot[c.name]; ok {
			continue
		}
		for _, pair := range []string{"", "safe"} {
			if _, ok := bufMisses[c.name]; ok && pair == "" {
				continue
			}
			before, after := filepath.Join(c.dir, pair, "before"), filepath.Join(c.dir, pair, "after")
			mine := len(ruleSet(compareDirs(t, before, after, c.category), compat.Breaking)) > 0
			cmd := exec.Command(buf, "breaking", after, "--against", before,
				"--config", `{"version":"v2","breaking":{"use":["`+c.category+`"]}}`, "--error-format", "text")
			cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+home, "HOME="+home)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			theirs := false
			switch {
			case err == nil:
			case errors.As(err, &ee) && ee.ExitCode() == 100:
				theirs = true
			default:
				t.Fatalf("%s %s: buf: %v\n%s", c.name, pair, err, out)
			}
			if mine != theirs {
				t.Errorf("%s %s (%s): msctl breaking=%v, buf breaking=%v\nbuf says:\n%s", c.name, pair, c.category, mine, theirs, out)
			}
		}
	}
}
