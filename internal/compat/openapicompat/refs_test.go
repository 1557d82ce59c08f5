package openapicompat

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const refDoc = `openapi: 3.1.0
info: {title: orders, version: 1.0.0}
paths:
  /orders:
    post:
      requestBody:
        content:
          application/json:
            schema:
              $ref: %s
      responses:
        "200": {description: ok}
components:
  schemas:
    Order: {type: object}
  responses:
    Gone: {description: gone}
`

// TestBrokenRefIsAnError: every $ref that does not resolve makes Load fail
// at the $ref's position, naming the pointer and what is missing.
func TestBrokenRefIsAnError(t *testing.T) {
	tests := []struct {
		name  string
		ref   string
		files map[string]string
		extra string    // appended to the document
		edit  [2]string // old, new: replaced in the document
		want  []string  // nil: the document loads
	}{
		{name: "missing file", ref: "schemas.yaml#/Order",
			want: []string{"openapi.yaml:10:21:", `$ref "schemas.yaml#/Order"`, "#/paths/~1orders/post/requestBody/content/application~1json/schema", "schemas.yaml does not exist"}},
		{name: "malformed file", ref: "schemas.yaml#/Order", files: map[string]string{"schemas.yaml": "Order: {type: [\n"},
			want: []string{"openapi.yaml:10:21:", "the referenced file does not parse", "schemas.yaml:"}},
		{name: "file without the pointer", ref: "schemas.yaml#/Customer", files: map[string]string{"schemas.yaml": "Order: {type: object}\n"},
			want: []string{"openapi.yaml:10:21:", "schemas.yaml has nothing at #/Customer"}},
		{name: "unresolved local schema", ref: "'#/components/schemas/Nope'",
			want: []string{"openapi.yaml:10:21:", "the file has nothing at #/components/schemas/Nope"}},
		{name: "unresolved local response", ref: "'#/components/schemas/Order'",
			edit: [2]string{`"200": {description: ok}`, `"200": {$ref: '#/components/responses/nope'}`},
			want: []string{"openapi.yaml:12:23:", `$ref "#/components/responses/nope" at #/paths/~1orders/post/responses/200`, "has nothing at #/components/responses/nope"}},
		{name: "broken ref inside a referenced file", ref: "schemas.yaml#/Order",
			files: map[string]string{"schemas.yaml": "Order:\n  type: object\n  properties:\n    lines: {$ref: 'lines.yaml#/Line'}\n"},
			want:  []string{"schemas.yaml:4:19:", `$ref "lines.yaml#/Line" at schemas.yaml#/Order/properties/lines`, "lines.yaml does not exist"}},
		{name: "circular chain", ref: "'#/components/schemas/A'",
			extra: "    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n",
			edit:  [2]string{"  responses:\n    Gone: {description: gone}\n", ""},
			want:  []string{"openapi.yaml:10:21:", "circular"}},
		{name: "a property named $ref is a name, not a reference", ref: "'#/components/schemas/Order'",
			edit: [2]string{"Order: {type: object}", "Order: {type: object, properties: {$ref: {type: string}}, example: {$ref: not-a-ref}}"}},
		{name: "remote ref", ref: "https://example.com/schemas.yaml#/Order",
			want: []string{"remote references are not fetched"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			doc := strings.Replace(refDoc, "%s", tt.ref, 1)
			if tt.edit[0] != "" {
				if !strings.Contains(doc, tt.edit[0]) {
					t.Fatalf("edit %q does not apply", tt.edit[0])
				}
				doc = strings.Replace(doc, tt.edit[0], tt.edit[1], 1)
			}
			doc += tt.extra
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "openapi.yaml")
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, nil, "")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			var re *RefError
			var pe *ParseError
			if !errors.As(err, &re) || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a ParseError holding a RefError", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
