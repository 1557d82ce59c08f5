package protocompat

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"testing"
)

// mapInput compiles every file of a map, read from memory.
func mapInput(files map[string]string) Input {
	in := Input{Read: func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}}
	for name := range files {
		in.Files = append(in.Files, name)
	}
	sort.Strings(in.Files)
	return in
}

// TestLoadErrors pins the file:line:column and message of parse and link
// errors. The expectations are what msctl printed when it compiled with
// bufbuild/protocompile v0.14.1, so switching compilers moved no position.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		loc     string // "" means the files load
		message string // substring of the error
	}{
		{"syntax error", map[string]string{"a.proto": "syntax = \"proto3\";\npackage p;\nmessage A {\n  string s = 1\n}\n"},
			"a.proto:5:1", "syntax error: expecting ';'"},
		{"unknown type", map[string]string{"a.proto": "syntax = \"proto3\";\npackage p;\nmessage A {\n  Missing m = 1;\n}\n"},
			"a.proto:4:3", "field p.A.m: unknown type Missing"},
		{"duplicate symbol", map[string]string{"a.proto": "syntax = \"proto3\";\npackage p;\nmessage A {}\nmessage A {}\n"},
			"a.proto:4:9", `symbol "p.A" already defined at a.proto:3:9`},
		{"missing import", map[string]string{"a.proto": "syntax = \"proto3\";\npackage p;\nimport \"nope/b.proto\";\n"},
			"a.proto:3:8", "nope/b.proto"},
		{"well-known import", map[string]string{"a.proto": "syntax = \"proto3\";\npackage p;\nimport \"google/protobuf/timestamp.proto\";\nmessage A { google.protobuf.Timestamp t = 1; }\n"},
			"", ""},
		// protoparse's compiler copy dropped these two edition 2023 checks;
		// Load keeps them (buf rejects both too).
		{"ctype on a non-string field", map[string]string{"a.proto": "edition = \"2023\";\npackage p;\nmessage A {\n  uint32 s = 1 [ctype = STRING_PIECE];\n}\n"},
			"a.proto:4:17", "ctype option can only be used on string and bytes fields"},
		{"ctype CORD on an extension", map[string]string{"a.proto": "edition = \"2023\";\npackage p;\nmessage A {\n  extensions 10 to 100;\n}\nextend A {\n  string ext = 10 [ctype = CORD];\n}\n"},
			"a.proto:7:20", "ctype option cannot be CORD for extension fields"},
		{"ctype in an imported file", map[string]string{"a.proto": "syntax = \"proto3\";\nimport \"b.proto\";\npackage p;\nmessage A { q.B b = 1; }\n", "b.proto": "edition = \"2023\";\npackage q;\nmessage B {\n  int64 n = 1 [ctype = CORD];\n}\n"},
			"b.proto:4:16", "ctype option can only be used on string and bytes fields"},
		{"ctype on string and bytes", map[string]string{"a.proto": "edition = \"2023\";\npackage p;\nmessage A {\n  string s = 1 [ctype = CORD];\n  bytes b = 2 [ctype = STRING_PIECE];\n}\n"},
			"", ""},
		{"ctype in proto2", map[string]string{"a.proto": "syntax = \"proto2\";\npackage p;\nmessage A {\n  optional uint32 s = 1 [ctype = CORD];\n}\n"},
			"", ""},
		// Edition 2024 stays unsupported, at the same position; the message
		// is the newer compiler's.
		{"edition 2024", map[string]string{"a.proto": "edition = \"2024\";\npackage p;\n"},
			"a.proto:1:11", `edition "2024" not yet fully supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mapInput(tt.files)
			set, err := Load(context.Background(), in)
			if tt.loc == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if len(set.Files) != len(in.Files) {
					t.Fatalf("got %d files, want %d", len(set.Files), len(in.Files))
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Load error = %v, want a *ParseError", err)
			}
			if got := pe.Location.String(); got != tt.loc {
				t.Errorf("location = %s, want %s (%v)", got, tt.loc, pe.Err)
			}
			if !strings.Contains(pe.Err.Error(), tt.message) {
				t.Errorf("message = %q, want it to contain %q", pe.Err, tt.message)
			}
		})
	}
}

// TestLoadImportCycle compiles a.proto alone: the cycle is reported where
// b.proto imports a.proto back, as bufbuild/protocompile reported it. (Given
// both files, either may report it: the compiler starts them concurrently.)
func TestLoadImportCycle(t *testing.T) {
	in := mapInput(map[string]string{
		"a.proto": "syntax = \"proto3\";\nimport \"b.proto\";\n",
		"b.proto": "syntax = \"proto3\";\nimport \"a.proto\";\n",
	})
	in.Files = []string{"a.proto"}
	_, err := Load(context.Background(), in)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Load error = %v, want a *ParseError", err)
	}
	if got, want := pe.Error(), `b.proto:2:8: cycle found in imports: "b.proto" -> "a.proto" -> "b.proto"`; got != want {
		t.Errorf("error = %s, want %s", got, want)
	}
}
