package service

import (
	"os"
	"strings"
	"testing"
)

// TestVersionsMatchMsctl keeps generated projects on the module versions
// msctl itself builds and tests with, wherever both require a module.
func TestVersionsMatchMsctl(t *testing.T) {
	b, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && strings.Contains(f[0], ".") && strings.HasPrefix(f[1], "v") {
			ours[f[0]] = f[1]
		}
	}
	for _, reqs := range directRequires {
		for _, r := range reqs {
			if v, ok := ours[r.Path]; ok && v != r.Version {
				t.Errorf("%s: generated projects pin %s, msctl uses %s", r.Path, r.Version, v)
			}
		}
	}
	if !strings.Contains(string(b), "\ngo "+GoVersion+"\n") {
		t.Errorf("GoVersion %s differs from msctl's go directive", GoVersion)
	}
}

func TestNormalize(t *testing.T) {
	for _, bad := range []Answers{
		{Name: "Orders"}, {Name: "../x"}, {Name: "a/b"}, {Name: "-x"}, {Name: ""},
		{Name: "ok", Module: "../evil"}, {Name: "ok", Protocols: []string{"soap"}},
		{Name: "ok", Registry: "zk"}, {Name: "ok", HTTPPort: 70000},
	} {
		if err := bad.Normalize(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	a := Answers{Name: "orders", Protocols: []string{"HTTP", "http"}}
	if err := a.Normalize(); err != nil || a.Module != "example.com/orders" || len(a.Protocols) != 1 || a.Registry != "consul" {
		t.Errorf("normalized %+v %v", a, err)
	}
}
