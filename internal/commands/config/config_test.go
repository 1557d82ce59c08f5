package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/iostreams"
)

func TestGetContextsTerminalAndPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("current_context: a\ncontexts:\n  a:\n    address: h:1\n    token: 0123456789abcdefXYZ\n  b:\n    registry: etcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tty := range []bool{false, true} {
		ios, _, out, _ := iostreams.Test()
		ios.SetTTY(tty)
		f := cmdutil.New(ios)
		f.Getenv = func(string) string { return "" }
		f.ConfigFlag = path
		cmd := NewCmd(f)
		cmd.SetArgs([]string{"get-contexts"})
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if !strings.Contains(s, "NAME") || !strings.Contains(s, "h:1") || !strings.Contains(s, "etcd") {
			t.Errorf("tty=%v: table lacks data:\n%s", tty, s)
		}
		if strings.Contains(s, "XYZ") {
			t.Errorf("tty=%v: token leaked:\n%s", tty, s)
		}
	}
}

func TestViewFlagParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	var got *ViewOptions
	cmd := newViewCmd(f, func(o *ViewOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--resolved", "-o", "json", "--registry", "consul://x:1"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.Resolved || got.Output != "json" {
		t.Errorf("parsed %+v", got)
	}
	if v, _ := cmd.Flags().GetString("registry"); v != "consul://x:1" {
		t.Errorf("registry flag = %q", v)
	}
}
