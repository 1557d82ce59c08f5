package check

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/compat"
	"github.com/msctl/msctl/internal/exitcode"
)

// TestImportPathsAndURLBaseline compiles a file that imports another
// through -I and the well-known types, against a baseline served over
// HTTP on loopback.
func TestImportPathsAndURLBaseline(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "third_party", "money", "money.proto"), "syntax = \"proto3\";\npackage money;\nmessage Money { int64 units = 1; }\n")
	const body = `syntax = "proto3";
package orders.v1;
import "money/money.proto";
import "google/protobuf/duration.proto";
message Order {
  money.Money total = 1;
  google.protobuf.Duration ttl = 2;
}
`
	write(t, filepath.Join(dir, "api", "orders", "v1", "orders.proto"), strings.Replace(body, "money.Money total", "int64 total", 1))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/orders.proto" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	o := Options{
		Target:      filepath.Join(dir, "api", "orders", "v1", "orders.proto"),
		Against:     srv.URL + "/orders.proto",
		ImportPaths: []string{filepath.Join(dir, "api"), filepath.Join(dir, "third_party")},
	}
	rep, err := Proto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// A message field has explicit presence, an int64 has none: buf
	// reports both changes too.
	if got := rulesOf(rep); got != "FIELD_SAME_CARDINALITY,FIELD_SAME_TYPE" {
		t.Errorf("breaking rules = %q, want FIELD_SAME_CARDINALITY,FIELD_SAME_TYPE", got)
	}
	o.Against = srv.URL + "/missing.proto"
	_, err = Proto(context.Background(), o)
	if exitcode.Of(err) != exitcode.Unreachable {
		t.Errorf("missing URL: err = %v (exit %d), want exit 3", err, exitcode.Of(err))
	}
}

func TestBadInputIsExit2WithPosition(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	write(t, good, "openapi: 3.1.0\ninfo: {title: x, version: 1.0.0}\npaths: {}\n")
	write(t, bad, "openapi: 3.1.0\ninfo: {title: x, version: 1.0.0}\npaths:\n  /a: [\n")
	_, err := OpenAPI(context.Background(), Options{Target: bad, Against: good})
	if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "bad.yaml:") {
		t.Errorf("err = %v (exit %d), want exit 2 naming bad.yaml:LINE", err, exitcode.Of(err))
	}
	write(t, bad, "swagger: '2.0'\ninfo: {title: x, version: 1.0.0}\npaths: {}\n")
	_, err = OpenAPI(context.Background(), Options{Target: bad, Against: good})
	if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "Swagger 2.0 is not supported") {
		t.Errorf("swagger: err = %v", err)
	}
	gq := filepath.Join(dir, "s.graphql")
	write(t, gq, "type Query {\n  a: Strin\n}\n")
	_, err = GraphQL(context.Background(), Options{Target: gq, Against: gq})
	var pe interface{ Unwrap() error }
	if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "s.graphql:2:6") || !errors.As(err, &pe) {
		t.Errorf("graphql: err = %v", err)
	}
}

// TestGraphQLVersionDirective reads the declared versions from a schema
// @version directive.
func TestGraphQLVersionDirective(t *testing.T) {
	dir := t.TempDir()
	old, nw := filepath.Join(dir, "old.graphql"), filepath.Join(dir, "new.graphql")
	write(t, old, "schema @version(name: \"1.4.0\") { query: Query }\ntype Query { a: Int b: Int }\n")
	write(t, nw, "schema @version(name: \"2.0.0\") { query: Query }\ntype Query { a: Int }\n")
	rep, err := GraphQL(context.Background(), Options{Target: nw, Against: old})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Semver.DeclaredBump != compat.BumpMajor || rep.Breaking != 1 {
		t.Errorf("semver = %+v, breaking = %d", rep.Semver, rep.Breaking)
	}
}

// TestDeprecatedRemoval: removing what the baseline deprecated is breaking
// and says so; allow_deprecated_removal makes it dangerous (a minor bump).
func TestDeprecatedRemoval(t *testing.T) {
	corpus := filepath.Join("..", "..", "..", "testdata", "compat")
	cases := []struct {
		lang, before, after string
		run                 func(context.Context, Options) (*compat.Report, error)
	}{
		{"graphql", "graphql/FIELD_REMOVED/before/schema.graphql", "graphql/FIELD_REMOVED/after/schema.graphql", GraphQL},
	}
	dir := t.TempDir()
	old, nw := filepath.Join(dir, "old.proto"), filepath.Join(dir, "new.proto")
	write(t, old, strings.Replace(v1, "string note = 2;", "string note = 2 [deprecated = true];", 1))
	write(t, nw, strings.Replace(v1, "  string note = 2;\n", "", 1))
	for _, tt := range cases {
		for _, allow := range []bool{false, true} {
			o := Options{Target: filepath.Join(corpus, tt.after), Against: filepath.Join(corpus, tt.before),
				Config: &compat.Config{AllowDeprecatedRemoval: allow}, BaselineVersion: "1.0.0", Version: "1.1.0"}
			rep, err := tt.run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			f := rep.Findings[0]
			if !f.Deprecated || !strings.Contains(f.Message, "deprecated") {
				t.Errorf("%s: finding %+v should carry the deprecation", tt.lang, f)
			}
			if want := map[bool]compat.Severity{false: compat.Breaking, true: compat.Dangerous}[allow]; f.Severity != want || rep.OK != allow {
				t.Errorf("%s allow=%v: severity %s ok=%v", tt.lang, allow, f.Severity, rep.OK)
			}
		}
	}
	rep, err := Proto(context.Background(), Options{Target: nw, Against: old, Config: &compat.Config{AllowDeprecatedRemoval: true}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Breaking != 0 || rep.Dangerous != 1 || !rep.OK {
		t.Errorf("proto: breaking=%d dangerous=%d ok=%v %+v", rep.Breaking, rep.Dangerous, rep.OK, rep.Findings)
	}
}

// TestUnreadableReferenceIsExit2: a $ref or import that cannot be read, in
// the revision or in the baseline, is bad input (exit 2) naming the file
// and position of the reference, never a verdict.
func TestUnreadableReferenceIsExit2(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"ok.yaml":      "openapi: 3.1.0\ninfo: {title: x, version: 1.0.0}\npaths: {}\n",
		"missing.yaml": "openapi: 3.1.0\ninfo: {title: x, version: 2.0.0}\npaths:\n  /a:\n    post:\n      requestBody: {$ref: 'bodies.yaml#/Order'}\n      responses: {'200': {description: ok}}\n",
		"local.yaml":   "openapi: 3.1.0\ninfo: {title: x, version: 1.0.0}\npaths:\n  /a:\n    get:\n      responses: {'200': {$ref: '#/components/responses/nope'}}\n",
		"ok.proto":     "syntax = \"proto3\";\npackage a.v1;\nmessage A { string id = 1; }\n",
		"import.proto": "syntax = \"proto3\";\npackage a.v1;\nimport \"money/money.proto\";\nmessage A { string id = 1; }\n",
	}
	for name, body := range files {
		write(t, filepath.Join(dir, name), body)
	}
	tests := []struct {
		name, target, against, want string
		run                         func(context.Context, Options) (*compat.Report, error)
	}{
		{"openapi missing file, revision", "missing.yaml", "ok.yaml", `missing.yaml:6:27: $ref "bodies.yaml#/Order" at #/paths/~1a/post/requestBody: the referenced file`, OpenAPI},
		{"openapi missing file, baseline", "ok.yaml", "missing.yaml", `baseline `, OpenAPI},
		{"openapi local ref, revision", "local.yaml", "ok.yaml", `local.yaml:6:33: $ref "#/components/responses/nope"`, OpenAPI},
		{"openapi local ref, baseline", "ok.yaml", "local.yaml", `has nothing at #/components/responses/nope`, OpenAPI},
		{"proto missing import, revision", "import.proto", "ok.proto", `import.proto:3:8: `, Proto},
		{"proto missing import, baseline", "ok.proto", "import.proto", `baseline `, Proto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := tt.run(context.Background(), Options{Target: filepath.Join(dir, tt.target), Against: filepath.Join(dir, tt.against)})
			if exitcode.Of(err) != exitcode.Usage {
				t.Fatalf("err = %v (exit %d, report %+v), want exit 2", err, exitcode.Of(err), rep)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q, want one line containing %q", err, tt.want)
			}
			if strings.Contains(tt.name, "missing") && !strings.Contains(err.Error(), "does not exist") && !strings.Contains(err.Error(), "no such file") {
				t.Errorf("err = %q does not say the file is missing", err)
			}
		})
	}
}
