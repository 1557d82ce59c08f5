package cmdutil

import (
	"errors"
	"testing"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/registry"
)

// opened records the settings the test adapter was opened with.
var opened config.Context

func init() {
	registry.RegisterKind(registry.Kind{Name: "cmdutiltest", Title: "test", URL: "HOST:PORT", Open: func(c config.Context) (registry.Registry, error) {
		opened = c
		return nil, nil
	}})
}

func TestOpenRegistry(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := New(ios)
	dir := t.TempDir()
	f.Getenv = func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return dir
		}
		return ""
	}
	cmd := &cobra.Command{Use: "x"}
	AddRegistryFlags(cmd)
	if err := cmd.Flags().Parse([]string{"--registry", "cmdutiltest", "--address", "flag:1"}); err != nil {
		t.Fatal(err)
	}

	if _, err := f.RegistryOpener(cmd)(); err != nil {
		t.Fatalf("RegistryOpener: %v", err)
	}
	if opened.Registry != "cmdutiltest" || opened.Address != "flag:1" {
		t.Errorf("opened with %s %s, want the flags' cmdutiltest flag:1", opened.Registry, opened.Address)
	}

	_, err := f.OpenRegistry(cmd.Flags(), func(c *config.Context) error {
		c.Address = "edited:2"
		return nil
	})
	if err != nil || opened.Address != "edited:2" {
		t.Errorf("after edit: err %v, address %s, want edited:2", err, opened.Address)
	}

	editErr := errors.New("bad URL")
	if _, err := f.OpenRegistry(cmd.Flags(), func(*config.Context) error { return editErr }); !errors.Is(err, editErr) {
		t.Errorf("edit error: got %v, want %v", err, editErr)
	}

	_, err = f.OpenRegistry(cmd.Flags(), func(c *config.Context) error {
		c.Registry = "no-such-kind"
		return nil
	})
	if exitcode.Of(err) != exitcode.Usage {
		t.Errorf("unknown kind: got %v (exit %d), want a usage error", err, exitcode.Of(err))
	}
}

// TestResolveKindDefaultAddress: with no address anywhere, the settings in
// effect carry the selected kind's own default, marked as the default.
func TestResolveKindDefaultAddress(t *testing.T) {
	registry.RegisterKind(registry.Kind{Name: "cmdutildefault", Title: "test", URL: "HOST:PORT", DefaultAddress: "127.0.0.1:9",
		Open: func(c config.Context) (registry.Registry, error) { return nil, nil }})
	ios, _, _, _ := iostreams.Test()
	f := New(ios)
	dir := t.TempDir()
	f.Getenv = func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return dir
		}
		return ""
	}
	for _, tt := range []struct{ kind, want string }{{"cmdutildefault", "127.0.0.1:9"}, {"cmdutiltest", ""}} {
		cmd := &cobra.Command{Use: "x"}
		AddRegistryFlags(cmd)
		if err := cmd.Flags().Parse([]string{"--registry", tt.kind}); err != nil {
			t.Fatal(err)
		}
		r, err := f.Resolve(cmd.Flags())
		if err != nil {
			t.Fatal(err)
		}
		if r.Context.Address != tt.want {
			t.Errorf("%s: address %q, want %q", tt.kind, r.Context.Address, tt.want)
		}
		if tt.want != "" && r.Sources["address"] != config.SourceDefault {
			t.Errorf("%s: address source %q, want default", tt.kind, r.Sources["address"])
		}
	}
}
