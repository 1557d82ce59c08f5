package check

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/compat"
)

const v1 = `syntax = "proto3";
package orders.v1;
message Order {
  string id = 1;
  string note = 2;
}
`

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepo makes a repository whose main branch has api/orders.proto with
// a field that a feature branch deletes; main has several later commits so
// that a shallow clone of the branch lacks the merge-base.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, filepath.Join(dir, "api", "orders.proto"), v1)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "v1")
	git(t, dir, "tag", "v1.0.0")
	git(t, dir, "checkout", "-qb", "feature")
	write(t, filepath.Join(dir, "api", "orders.proto"), strings.Replace(v1, "  string note = 2;\n", "", 1))
	git(t, dir, "commit", "-qam", "drop note")
	for i := 0; i < 3; i++ {
		write(t, filepath.Join(dir, "README"), strings.Repeat("x", i+1))
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-qm", "readme")
	}
	return dir
}

func inDir(t *testing.T, dir string) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) })
}

func rulesOf(r *compat.Report) string {
	var ids []string
	for _, f := range r.Findings {
		if f.Severity == compat.Breaking {
			ids = append(ids, f.Rule)
		}
	}
	return strings.Join(ids, ",")
}

func TestGitBaselines(t *testing.T) {
	repo := newRepo(t)
	inDir(t, repo)
	before := git(t, repo, "status", "--porcelain")
	for _, against := range []string{"", "git:main", "git:v1.0.0", "git:main:api/orders.proto", "git:" + git(t, repo, "rev-parse", "main")} {
		t.Run(against, func(t *testing.T) {
			var stderr bytes.Buffer
			rep, err := Proto(context.Background(), Options{Target: "api/orders.proto", Against: against, Stderr: &stderr, Now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if got := rulesOf(rep); got != "FIELD_NO_DELETE" {
				t.Errorf("breaking rules = %q, want FIELD_NO_DELETE", got)
			}
			if rep.OK || rep.Semver == nil || !strings.Contains(rep.Semver.Message, "declare v2") {
				t.Errorf("semver = %+v, want a missing major bump naming v2", rep.Semver)
			}
			if !strings.HasPrefix(rep.Findings[0].BaselineLocation.File, "git:") {
				t.Errorf("baseline location %q should name the git revision", rep.Findings[0].BaselineLocation.File)
			}
		})
	}
	if after := git(t, repo, "status", "--porcelain"); after != before {
		t.Errorf("work tree changed: %q -> %q", before, after)
	}
}

func TestGitShallowClone(t *testing.T) {
	repo := newRepo(t)
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, repo, "checkout", "-q", "main")
	git(t, repo, "clone", "-q", "--depth", "1", "--branch", "feature", "file://"+repo, clone)
	inDir(t, clone)
	// The default baseline: merge-base with main, which the shallow,
	// single-branch clone has neither the branch nor the history for.
	var stderr bytes.Buffer
	rep, err := Proto(context.Background(), Options{Target: "api/orders.proto", Stderr: &stderr})
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr.String())
	}
	if got := rulesOf(rep); got != "FIELD_NO_DELETE" {
		t.Errorf("breaking rules = %q, want FIELD_NO_DELETE", got)
	}
	if !strings.Contains(stderr.String(), "fetched main") || !strings.Contains(stderr.String(), "shallow clone: deepened") {
		t.Errorf("stderr should say what was fetched, got %q", stderr.String())
	}
	if len(rep.Notes) == 0 {
		t.Error("notes should record the fetch")
	}
	// An explicit tag that the clone lacks is fetched too.
	stderr.Reset()
	rep, err = Proto(context.Background(), Options{Target: "api/orders.proto", Against: "git:v1.0.0", Stderr: &stderr})
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr.String())
	}
	if got := rulesOf(rep); got != "FIELD_NO_DELETE" {
		t.Errorf("tag baseline: breaking rules = %q", got)
	}
	if !strings.Contains(stderr.String(), "fetched tag v1.0.0") {
		t.Errorf("stderr = %q, want a note about the fetched tag", stderr.String())
	}
}

func TestSemverAndSuppressions(t *testing.T) {
	dir := t.TempDir()
	old, nw := filepath.Join(dir, "old.proto"), filepath.Join(dir, "new.proto")
	write(t, old, v1)
	// orders.v1 -> orders.v2 is a new major version: the deletion is
	// reported but covered by the bump, and the package is not "deleted".
	write(t, nw, strings.Replace(strings.Replace(v1, "orders.v1", "orders.v2", 1), "  string note = 2;\n", "", 1))
	rep, err := Proto(context.Background(), Options{Target: nw, Against: old})
	if err != nil {
		t.Fatal(err)
	}
	if got := rulesOf(rep); got != "FIELD_NO_DELETE" {
		t.Errorf("major rename: breaking rules = %q, want FIELD_NO_DELETE only", got)
	}
	if !rep.OK || rep.Semver.DeclaredBump != compat.BumpMajor {
		t.Errorf("major rename should pass the gate: %+v", rep.Semver)
	}
	// --no-semver: any breaking change fails.
	rep, _ = Proto(context.Background(), Options{Target: nw, Against: old, NoSemver: true})
	if rep.OK || rep.Semver != nil {
		t.Errorf("--no-semver: ok=%v semver=%v", rep.OK, rep.Semver)
	}
	// A suppression with a reason accepts the finding until it expires.
	write(t, nw, strings.Replace(v1, "  string note = 2;\n", "", 1))
	cfg, err := compat.ParseConfig("c.yaml", []byte("suppressions:\n  - rule: FIELD_NO_DELETE\n    path: orders.v1.Order.*\n    reason: unused since 2025\n    expires: 2026-12-31\n"))
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	rep, _ = Proto(context.Background(), Options{Target: nw, Against: old, Config: cfg, Now: day("2026-12-31")})
	if !rep.OK || rep.Breaking != 0 || rep.Findings[0].Suppression == nil {
		t.Errorf("suppressed: ok=%v breaking=%d", rep.OK, rep.Breaking)
	}
	rep, _ = Proto(context.Background(), Options{Target: nw, Against: old, Config: cfg, Now: day("2027-01-01")})
	if rep.OK || len(rep.Notes) == 0 || !strings.Contains(strings.Join(rep.Notes, " "), "expired") {
		t.Errorf("expired suppression: ok=%v notes=%v", rep.OK, rep.Notes)
	}
	if _, err := compat.ParseConfig("c.yaml", []byte("suppressions:\n  - rule: X\n")); err == nil || !strings.Contains(err.Error(), "reason is missing") {
		t.Errorf("a suppression without a reason must be refused, got %v", err)
	}
}

func TestGateMessages(t *testing.T) {
	tests := []struct {
		old, new string
		breaking int
		safe     int
		ok       bool
		msg      string
	}{
		{"1.4.0", "1.5.0", 1, 0, false, "breaking changes need a major version bump: 1.4.0 -> 1.5.0 is a minor bump; declare 2.0.0"},
		{"1.4.0", "2.0.0", 1, 0, true, "major bump"},
		{"1.4.0", "1.4.1", 0, 1, false, "additions and dangerous changes need a minor version bump: 1.4.0 -> 1.4.1 is a patch bump; declare 1.5.0"},
		{"0.3.0", "0.4.0", 1, 0, true, "minor bump"},
		{"v1", "v1", 1, 0, false, "declare v2"},
		{"v1", "v1", 0, 3, true, "no breaking changes"},
		{"", "", 1, 0, false, "no version was found"},
		{"2.0.0", "1.9.0", 0, 0, false, "version went down"},
		{"v1-beta1", "v1-beta1", 2, 0, true, "pre-release: breaking changes are allowed"},
		{"1.0.0-rc.1", "1.0.0", 1, 0, true, "pre-release"},
	}
	for _, tt := range tests {
		g := &compat.Gate{Old: tt.old, New: tt.new}
		r := g.Evaluate(&compat.Report{Breaking: tt.breaking, Safe: tt.safe})
		if r.OK != tt.ok || !strings.Contains(r.Message, tt.msg) {
			t.Errorf("%s -> %s: ok=%v %q, want ok=%v containing %q", tt.old, tt.new, r.OK, r.Message, tt.ok, tt.msg)
		}
	}
}

// TestOpenAPIExternalRefFromGit follows a $ref into another file at the
// baseline revision.
func TestOpenAPIExternalRefFromGit(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, filepath.Join(dir, "api", "openapi.yaml"), "openapi: 3.0.3\ninfo: {title: x, version: 1.0.0}\npaths:\n  /a:\n    get:\n      responses:\n        \"200\":\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'schemas.yaml#/Item'}\n")
	write(t, filepath.Join(dir, "api", "schemas.yaml"), "Item:\n  type: object\n  required: [id]\n  properties:\n    id: {type: string}\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "v1")
	write(t, filepath.Join(dir, "api", "schemas.yaml"), "Item:\n  type: object\n  properties:\n    id: {type: string}\n")
	inDir(t, dir)
	rep, err := OpenAPI(context.Background(), Options{Target: "api/openapi.yaml", Against: "git:main"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rulesOf(rep); got != "RESPONSE_PROPERTY_BECAME_OPTIONAL" {
		t.Errorf("breaking rules = %q", got)
	}
	if f := rep.Findings[0]; f.Location.File != "api/schemas.yaml" || f.BaselineLocation.File != "git:main:api/schemas.yaml" {
		t.Errorf("locations = %+v / %+v", f.Location, f.BaselineLocation)
	}
}
