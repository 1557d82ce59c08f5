package giop

import (
	"reflect"
	"testing"
)

func TestParseCorbaloc(t *testing.T) {
	ref, err := ParseCorbaloc("corbaloc::1.1@a.local:3000,iiop:b.local,:[::1]:4000/Name%20Service")
	if err != nil {
		t.Fatal(err)
	}
	want := []Endpoint{{Host: "a.local", Port: 3000, Major: 1, Minor: 1}, {Host: "b.local", Port: DefaultPort, Major: 1, Minor: 2}, {Host: "::1", Port: 4000, Major: 1, Minor: 2}}
	if !reflect.DeepEqual(ref.Endpoints, want) {
		t.Fatalf("endpoints %+v, want %+v", ref.Endpoints, want)
	}
	if string(ref.Key) != "Name Service" {
		t.Errorf("key %q", ref.Key)
	}
	for _, bad := range []string{"corbaloc::host", "corbaloc:rir:/NameService", "corbaloc::2.0@h/k", "corbaloc::h:99999/k", "corbaloc:http:h/k", "iiop://h/k", "corbaloc::/k"} {
		if _, err := ParseCorbaloc(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseCorbaname(t *testing.T) {
	cn, err := ParseCorbaname("corbaname::ns:2900#billing/Invoices.obj")
	if err != nil {
		t.Fatal(err)
	}
	if string(cn.Context.Key) != "NameService" || cn.Context.Endpoints[0].Port != 2900 {
		t.Fatalf("context %+v", cn.Context)
	}
	want := Name{{ID: "billing"}, {ID: "Invoices", Kind: "obj"}}
	if !reflect.DeepEqual(cn.Name, want) {
		t.Fatalf("name %+v, want %+v", cn.Name, want)
	}
	if got := cn.Name.String(); got != "billing/Invoices.obj" {
		t.Errorf("String() = %q", got)
	}
	n, err := ParseName(`a\/b/c\.d.k`)
	if err != nil || !reflect.DeepEqual(n, Name{{ID: "a/b"}, {ID: "c.d", Kind: "k"}}) {
		t.Fatalf("escaped name %+v %v", n, err)
	}
	for _, bad := range []string{"a//b", `a\`, "a.b.c"} {
		if _, err := ParseName(bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}
