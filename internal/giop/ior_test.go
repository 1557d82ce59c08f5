package giop

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestParseIOROmniNames(t *testing.T) {
	ior, err := ParseIOR(omniNamesIOR)
	if err != nil {
		t.Fatal(err)
	}
	if ior.TypeID != "IDL:omg.org/CosNaming/NamingContextExt:1.0" {
		t.Errorf("type id %q", ior.TypeID)
	}
	ps := ior.IIOP()
	if len(ps) != 1 {
		t.Fatalf("%d IIOP profiles", len(ps))
	}
	p := ps[0]
	if p.Major != 1 || p.Minor != 2 || p.Host != "127.0.0.1" || p.Port != 28123 || p.KeyText != "NameService" {
		t.Fatalf("profile %+v", p)
	}
	var names []string
	for _, c := range p.Components {
		names = append(names, c.Name+"="+c.Text)
	}
	got := strings.Join(names, " | ")
	for _, want := range []string{"TAG_ORB_TYPE=omniORB (0x41545400)", "TAG_CODE_SETS=char native ISO-8859-1 conversion UTF-8; wchar native UTF-16 conversion UTF-16", "TAG_OMNIORB_PERSISTENT_ID=0xa30c136b0100320f"} {
		if !strings.Contains(got, want) {
			t.Errorf("components %q lack %q", got, want)
		}
	}
}

// An IOR written big-endian and one written little-endian decode to the
// same thing, and re-encoding reproduces omniNames' bytes.
func TestIORBothOrders(t *testing.T) {
	ior, err := ParseIOR(omniNamesIOR)
	if err != nil {
		t.Fatal(err)
	}
	if got := ior.Stringify(binary.LittleEndian); got != omniNamesIOR {
		t.Fatalf("re-encoded little-endian:\n%s\nwant\n%s", got, omniNamesIOR)
	}
	be, err := ParseIOR(ior.Stringify(binary.BigEndian))
	if err != nil {
		t.Fatal(err)
	}
	if be.TypeID != ior.TypeID || be.IIOP()[0].Address() != "127.0.0.1:28123" || be.IIOP()[0].KeyText != "NameService" {
		t.Fatalf("big-endian copy %+v", be.IIOP()[0])
	}
	for _, bad := range []string{"IOR:zz", "IOR:", "corbaloc::h/k", "IOR:02"} {
		if _, err := ParseIOR(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
