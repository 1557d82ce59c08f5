package baseline

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.proto")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, kind, path, rev string
		err                 bool
	}{
		{"", "git", "", "", false},
		{"git:", "git", "", "", false},
		{"git:main", "git", "", "main", false},
		{"git:v1.4.0:api/orders.proto", "git", "api/orders.proto", "v1.4.0", false},
		{"https://example.com/openapi.yaml", "url", "https://example.com/openapi.yaml", "", false},
		{file, "file", file, "", false},
		{dir, "folder", dir, "", false},
		{filepath.Join(dir, "missing"), "", "", "", true},
	}
	for _, tt := range tests {
		sp, err := Parse(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("Parse(%q) error = %v", tt.in, err)
			continue
		}
		if err == nil && (sp.Kind != tt.kind || sp.Path != tt.path || sp.Rev != tt.rev) {
			t.Errorf("Parse(%q) = %+v", tt.in, sp)
		}
	}
}
