package registry

import (
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/config"
)

func TestKindDescriptor(t *testing.T) {
	var got config.Context
	RegisterKind(Kind{Name: "kindtest", Title: "Kind test", Scheme: "kt", Aliases: []string{"kt"}, URL: "HOST:PORT",
		DefaultAddress: "127.0.0.1:1", Open: func(c config.Context) (Registry, error) { got = c; return nil, nil }})
	if _, err := Open(config.Context{Registry: "KT"}); err != nil {
		t.Fatal(err)
	}
	if got.Address != "127.0.0.1:1" {
		t.Errorf("no address set: opened with %q, want the kind's default", got.Address)
	}
	if _, err := Open(config.Context{Registry: "kindtest", Address: "h:2"}); err != nil || got.Address != "h:2" {
		t.Errorf("an address set: opened with %q (%v)", got.Address, err)
	}
	if _, err := Open(config.Context{Registry: "nope"}); err == nil || !strings.Contains(err.Error(), "kindtest") {
		t.Errorf("unknown kind: %v, want the known kinds listed", err)
	}
	for name, k := range map[string]Kind{
		"taken alias":     {Name: "kindtest2", Title: "x", URL: "x", Aliases: []string{"kt"}, Open: got2},
		"no Open":         {Name: "kindtest3", Title: "x", URL: "x"},
		"scheme no alias": {Name: "kindtest4", Title: "x", URL: "x", Scheme: "zz", Open: got2},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: RegisterKind accepted it", name)
				}
			}()
			RegisterKind(k)
		}()
	}
}

func got2(config.Context) (Registry, error) { return nil, nil }
