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
