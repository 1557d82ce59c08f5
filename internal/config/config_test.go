package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

const sample = `# team settings
current_context: prod
contexts:
  prod:
    registry: consul
    address: consul.prod:8501 # TLS port
    token: abcdefghijklmnopqrstuvwxyz
    datacenter: eu1
  etcd:
    registry: etcd
    address: 10.0.0.1:2379
`

func flags(set map[string]string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	for _, name := range FlagNames {
		if name == "tls-skip-verify" {
			fs.Bool(name, false, "")
			continue
		}
		fs.String(name, "", "")
	}
	for k, v := range set {
		if err := fs.Set(k, v); err != nil {
			panic(err)
		}
	}
	return fs
}

func TestResolvePrecedence(t *testing.T) {
	f, err := Parse("c.yaml", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		context   string
		env       map[string]string
		flags     map[string]string
		wantKey   string
		wantValue string
		wantSrc   Source
	}{
		{"file", "prod", nil, nil, "address", "consul.prod:8501", SourceFile},
		{"default kind", "", nil, nil, "registry", "consul", SourceDefault},
		// The address has no msctl-wide default: each registry kind has its
		// own, filled in by the command layer (cmdutil.Factory.Resolve).
		{"no address", "", nil, nil, "address", "", SourceUnset},
		{"env over file", "prod", map[string]string{"MSCTL_ADDRESS": "e:1"}, nil, "address", "e:1", SourceEnv},
		{"flag over env", "prod", map[string]string{"MSCTL_ADDRESS": "e:1"}, map[string]string{"address": "f:1"}, "address", "f:1", SourceFlag},
		{"registry url", "prod", nil, map[string]string{"registry": "zk://z:2181"}, "address", "z:2181", SourceFlag},
		{"registry url kind", "prod", nil, map[string]string{"registry": "zk://z:2181"}, "registry", "zk", SourceFlag},
		{"address flag beats env registry url", "prod", map[string]string{"MSCTL_REGISTRY": "etcd://x:1"}, map[string]string{"address": "f:2"}, "address", "f:2", SourceFlag},
		{"other context", "etcd", nil, nil, "registry", "etcd", SourceFile},
		{"flag tls", "prod", nil, map[string]string{"tls-skip-verify": "true"}, "insecure", "true", SourceFlag},
		{"env token", "etcd", map[string]string{"MSCTL_TOKEN": "tok"}, nil, "token", "tok", SourceEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"MSCTL_ADDRESS", "MSCTL_REGISTRY", "MSCTL_TOKEN"} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r, err := Resolve("c.yaml", f, tt.context, flags(tt.flags))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := r.Context.Get(tt.wantKey)
			if got != tt.wantValue || r.Sources[tt.wantKey] != tt.wantSrc {
				t.Errorf("%s = %q from %q, want %q from %q", tt.wantKey, got, r.Sources[tt.wantKey], tt.wantValue, tt.wantSrc)
			}
		})
	}
}

func TestResolveUnknownContext(t *testing.T) {
	f, _ := Parse("c.yaml", []byte(sample))
	_, err := Resolve("c.yaml", f, "staging", nil)
	if err == nil || !strings.Contains(err.Error(), "known: etcd, prod") {
		t.Errorf("err = %v", err)
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{"": "", "short": "[redacted]", "abcdefghijklmnop": "abcd…[redacted]"}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	f, _ := Parse("c.yaml", []byte(sample))
	red := f.Redacted()
	if strings.Contains(red.Contexts["prod"].Token, "mnop") || f.Contexts["prod"].Token != "abcdefghijklmnopqrstuvwxyz" {
		t.Errorf("Redacted leaked or modified the original: %q / %q", red.Contexts["prod"].Token, f.Contexts["prod"].Token)
	}
}

func TestSetValueKeepsComments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SetValue(path, "contexts.prod.address", "consul.prod:8502"); err != nil {
		t.Fatal(err)
	}
	if err := SetValue(path, "contexts.new.insecure", "true"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	for _, want := range []string{"# team settings", "consul.prod:8502", "# TLS port", "insecure: true"} {
		if !strings.Contains(s, want) {
			t.Errorf("file lacks %q:\n%s", want, s)
		}
	}
	f, err := Parse(path, b)
	if err != nil || !f.Contexts["new"].Insecure {
		t.Errorf("re-read: %v %+v", err, f)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if err := SetValue(path, "contexts.new.insecure", "maybe"); err == nil {
		t.Error("bad bool accepted")
	}
	if err := SetValue(path, "current_context", "nope"); err == nil {
		t.Error("unknown context accepted")
	}
}
