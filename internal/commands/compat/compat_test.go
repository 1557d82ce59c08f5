package compat

import (
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
)

func TestFlagParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	var got *Options
	cmd := NewCmd(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"proto", "api/", "-I", "third_party", "-I", "vendor", "--against", "git:main", "--category", "wire",
		"--no-semver", "--format", "sarif", "--compat-config", "c.yaml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Language != "proto" || got.Target != "api/" || strings.Join(got.ImportPaths, ",") != "third_party,vendor" ||
		got.Against != "git:main" || got.Category != "wire" || !got.NoSemver || got.Format != "sarif" || got.ConfigFile != "c.yaml" {
		t.Errorf("options = %+v", got)
	}
}

func TestFormatFlags(t *testing.T) {
	tests := []struct {
		output, format, want string
		code                 exitcode.Code
	}{
		{"", "", "text", 0},
		{"json", "", "json", 0},
		{"yaml", "", "yaml", 0},
		{"", "junit", "junit", 0},
		{"json", "json", "json", 0},
		{"json", "junit", "", exitcode.Usage},
		{"", "xml", "", exitcode.Usage},
		{"xml", "", "", exitcode.Usage},
	}
	for _, tt := range tests {
		got, err := resolveFormat(&Options{Output: tt.output, Format: tt.format})
		if got != tt.want || exitcode.Of(err) != tt.code {
			t.Errorf("-o %q --format %q: %q, %v; want %q, exit %d", tt.output, tt.format, got, err, tt.want, tt.code)
		}
	}
}
