package probe

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/giop"
	"github.com/msctl/msctl/internal/testserver"
)

// startOmniNames starts a real omniNames with contexts a and a/b, and a
// name "ghost" bound to an object of omniNames' POA that does not exist.
func startOmniNames(t *testing.T) *testserver.OmniNames {
	t.Helper()
	o, err := testserver.StartOmniNames()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Stop)
	for _, args := range [][]string{{"bind_new_context", "a"}, {"bind_new_context", "a/b"}} {
		if _, err := o.Nameclt(args...); err != nil {
			t.Fatal(err)
		}
	}
	root, err := giop.ParseIOR(o.IOR)
	if err != nil {
		t.Fatal(err)
	}
	ghost := *root
	p := *ghost.Profiles[0].IIOP
	p.ObjectKey = []byte("no-such-object")
	ghost.Profiles = []giop.Profile{{Tag: giop.TagInternetIOP, IIOP: &p}}
	ghost.TypeID = "IDL:msctl/Ghost:1.0"
	if _, err := o.Nameclt("bind", "ghost", ghost.Stringify(binary.BigEndian)); err != nil {
		t.Fatal(err)
	}
	return o
}

// garbageServer answers every connection with an HTTP error.
func garbageServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	return l.Addr().String()
}

// giop10Only is a proxy to omniNames that answers MessageError to any
// GIOP message above 1.0, as an ORB that predates 1.1 does, so that the
// fallback is exercised against the real server behind it.
func giop10Only(t *testing.T, backend string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				for {
					m, err := giop.ReadMessage(c)
					if err != nil {
						return
					}
					if m.Version.Minor > 0 {
						c.Write(giop.Frame(m.Version, binary.BigEndian, giop.MsgMessageError, nil))
						continue
					}
					b.Write(giop.Frame(m.Version, m.Order, m.Type, m.Body))
					reply, err := giop.ReadMessage(b)
					if err != nil {
						return
					}
					c.Write(giop.Frame(reply.Version, reply.Order, reply.Type, reply.Body))
				}
			}()
		}
	}()
	return l.Addr().String()
}

func TestCorbaProbeOmniNames(t *testing.T) {
	o := startOmniNames(t)
	old := giop10Only(t, o.Addr)
	tests := []struct {
		name       string
		opts       CorbaOptions
		wantClass  ErrorClass
		wantPhase  string
		wantStatus string
		wantExit   int
		giop       string
	}{
		{name: "NameService is here", opts: CorbaOptions{Target: o.Corbaloc}, wantStatus: "OBJECT_HERE", giop: "1.2"},
		{name: "is a NamingContext", opts: CorbaOptions{Target: o.Corbaloc, IsA: giop.NamingContextID}, wantStatus: "OBJECT_HERE"},
		{name: "is not a Ghost", opts: CorbaOptions{Target: o.Corbaloc, IsA: "IDL:msctl/Ghost:1.0"},
			wantClass: ClassStatus, wantPhase: PhaseCall, wantExit: 1},
		{name: "IOR from the log", opts: CorbaOptions{Target: o.IOR}, wantStatus: "OBJECT_HERE"},
		{name: "corbaname context", opts: CorbaOptions{Target: "corbaname::" + o.Addr + "#a/b"}, wantStatus: "OBJECT_HERE"},
		{name: "corbaname not bound", opts: CorbaOptions{Target: "corbaname::" + o.Addr + "#nope"},
			wantClass: ClassStatus, wantPhase: PhaseResolve, wantStatus: "NotFound", wantExit: 1},
		{name: "bound to an object that does not exist", opts: CorbaOptions{Target: "corbaname::" + o.Addr + "#ghost"},
			wantClass: ClassStatus, wantPhase: PhaseCall, wantStatus: "OBJECT_NOT_EXIST", wantExit: 1},
		{name: "OBJECT_NOT_EXIST expected", opts: CorbaOptions{Target: "corbaname::" + o.Addr + "#ghost", ExpectStatus: StatusMatcher{"OBJECT_NOT_EXIST"}},
			wantStatus: "OBJECT_NOT_EXIST"},
		{name: "unknown key", opts: CorbaOptions{Target: "corbaloc::" + o.Addr + "/Nope"},
			wantClass: ClassStatus, wantPhase: PhaseCall, wantStatus: "OBJECT_NOT_EXIST", wantExit: 1},
		{name: "second address answers", opts: CorbaOptions{Target: "corbaloc::127.0.0.1:" + closedPort(t) + ",:" + o.Addr + "/NameService"}, wantStatus: "OBJECT_HERE"},
		{name: "GIOP 1.0 after MessageError", opts: CorbaOptions{Target: "corbaloc::" + old + "/NameService"}, wantStatus: "OBJECT_HERE", giop: "1.0"},
		{name: "wrong port", opts: CorbaOptions{Target: "corbaloc::127.0.0.1:" + closedPort(t) + "/NameService"},
			wantClass: ClassConnect, wantPhase: PhaseConnect, wantExit: 3},
		{name: "garbage", opts: CorbaOptions{Target: "corbaloc::" + garbageServer(t) + "/NameService"},
			wantClass: ClassProtocol, wantPhase: PhaseLocate, wantExit: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewCorba(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			results, err := Run(context.Background(), p, RunOptions{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			r := results[0]
			if r.ErrorClass != tt.wantClass || r.FailedPhase != tt.wantPhase {
				t.Fatalf("class %q in %q, want %q in %q (error %q)", r.ErrorClass, r.FailedPhase, tt.wantClass, tt.wantPhase, r.Error)
			}
			if got := ExitCode(results); got != tt.wantExit {
				t.Errorf("exit code %d, want %d", got, tt.wantExit)
			}
			if tt.wantStatus != "" {
				want(t, "status", r.Status, tt.wantStatus)
			}
			if tt.giop != "" {
				want(t, "giop", r.Corba.GIOP, tt.giop)
			}
		})
	}
}

func TestCorbaListOmniNames(t *testing.T) {
	o := startOmniNames(t)
	for _, n := range []string{"c1", "c2", "c3"} {
		if _, err := o.Nameclt("bind_new_context", "a/"+n); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	// how_many 1 makes list return one binding and the iterator the rest.
	bs, err := CorbaList(ctx, o.Corbaloc, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bs {
		got = append(got, b.Name.String()+":"+b.Type)
	}
	if strings.Join(got, ",") != "a:context,ghost:object" && strings.Join(got, ",") != "ghost:object,a:context" {
		t.Fatalf("root bindings %v", got)
	}
	bs, err = CorbaList(ctx, "corbaname::"+o.Addr+"#a", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 4 {
		t.Fatalf("a holds %d bindings, want b c1 c2 c3: %+v", len(bs), bs)
	}
}

// msctl's decoding of omniNames' own IOR agrees with omniORB's catior on
// type id, version, address, key and components.
func TestCorbaDecodeMatchesCatior(t *testing.T) {
	o := startOmniNames(t)
	cat, err := testserver.Catior(o.IOR)
	if err != nil {
		t.Fatal(err)
	}
	ior, err := giop.ParseIOR(o.IOR)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteIOR(&b, ior); err != nil {
		t.Fatal(err)
	}
	mine := b.String()
	host, port, _ := net.SplitHostPort(o.Addr)
	for _, line := range []string{
		`Type ID: "IDL:omg.org/CosNaming/NamingContextExt:1.0"`,
		`1. IIOP 1.2 ` + host + ` ` + port + ` "NameService"`,
	} {
		if !strings.Contains(cat, line) {
			t.Fatalf("catior does not print %q:\n%s", line, cat)
		}
		if !strings.Contains(mine, line) {
			t.Errorf("msctl does not print %q (catior does):\n%s", line, mine)
		}
	}
	for _, pair := range [][2]string{{"TAG_ORB_TYPE omniORB", "TAG_ORB_TYPE omniORB"}, {"ISO-8859-1", "char native ISO-8859-1"}, {"UTF-16", "wchar native UTF-16"}, {"TAG_OMNIORB_PERSISTENT_ID 0x", "TAG_OMNIORB_PERSISTENT_ID 0x"}} {
		if !strings.Contains(cat, pair[0]) || !strings.Contains(mine, pair[1]) {
			t.Errorf("catior %q / msctl %q disagree:\ncatior:\n%s\nmsctl:\n%s", pair[0], pair[1], cat, mine)
		}
	}
}
