package registry

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/config"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in, def                  string
		scheme, hosts, path, qry string
	}{
		{"", "127.0.0.1:2379", "", "[127.0.0.1:2379]", "", "map[]"},
		{"127.0.0.1:8500", "127.0.0.1:2379", "", "[127.0.0.1:8500]", "", "map[]"}, // an address set is used, whatever its port
		{"h1,h2:2400", "127.0.0.1:2379", "", "[h1:2379 h2:2400]", "", "map[]"},
		{"https://h1:2379/services/x?prefix=p", "127.0.0.1:2379", "https", "[h1:2379]", "/services/x", "map[prefix:[p]]"},
		{"ns?endpoint=http://127.0.0.1:9/x", "127.0.0.1:1", "", "[ns:1]", "", "map[endpoint:[http://127.0.0.1:9/x]]"},
		{"[::1]:2181/base", "127.0.0.1:2181", "", "[[::1]:2181]", "/base", "map[]"},
		{"::1", "127.0.0.1:2181", "", "[[::1]:2181]", "", "map[]"},
	}
	for _, tt := range tests {
		a, err := ParseAddress(tt.in, tt.def)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		got := fmt.Sprintf("%s %v %s %v", a.Scheme, a.Hosts, a.Path, a.Query)
		if want := fmt.Sprintf("%s %s %s %s", tt.scheme, tt.hosts, tt.path, tt.qry); got != want {
			t.Errorf("ParseAddress(%q)\n got %s\nwant %s", tt.in, got, want)
		}
	}
	if _, err := ParseAddress("h?%zz", "h:1"); err == nil {
		t.Error("a bad query should be an error")
	}
}

func TestSummarizeAll(t *testing.T) {
	ins := []Instance{
		{Service: "b", Health: Passing, Tags: []string{"x"}, Version: "1"},
		{Service: "a", Health: Critical},
		{Service: "b", Health: Warning, Version: "2"},
		{Service: "a"},
	}
	got := fmt.Sprint(SummarizeAll(ins, Query{}))
	want := "[{a 2 map[critical:1 unknown:1] [] []} {b 2 map[passing:1 warning:1] [x] [1 2]}]"
	if got != want {
		t.Errorf("SummarizeAll\n got %s\nwant %s", got, want)
	}
	if got := SummarizeAll(ins, Query{Tag: "x"}); len(got) != 1 || got[0].Instances != 1 {
		t.Errorf("tag x: %+v", got)
	}
}

func TestWorstHealth(t *testing.T) {
	for _, tt := range []struct {
		in   []Health
		want Health
	}{
		{nil, Unknown},
		{[]Health{Passing, Unknown}, Passing},
		{[]Health{Passing, Warning}, Warning},
		{[]Health{Warning, Critical, Passing}, Critical},
	} {
		var cs []Check
		for _, h := range tt.in {
			cs = append(cs, Check{Status: h})
		}
		if got := WorstHealth(cs); got != tt.want {
			t.Errorf("WorstHealth(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestIsTLSVerification(t *testing.T) {
	for msg, want := range map[string]bool{
		"x509: certificate signed by unknown authority": true,
		"remote error: tls: bad certificate":            true,
		"dial tcp 127.0.0.1:1: connect: refused":        false,
	} {
		if got := IsTLSVerification(errors.New(msg)); got != want {
			t.Errorf("IsTLSVerification(%q) = %t", msg, got)
		}
	}
}

func TestParseEndpointScheme(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    config.Context
		want string
	}{
		{"plain", config.Context{Address: "10.0.0.1:8848"}, "http"},
		{"https address", config.Context{Address: "https://10.0.0.1:8848"}, "https"},
		{"tls settings", config.Context{Address: "10.0.0.1:8848", Insecure: true}, "https"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEndpoint(tt.c, "127.0.0.1:8848")
			if err != nil {
				t.Fatal(err)
			}
			if got := e.URLScheme(); got != tt.want {
				t.Errorf("URLScheme() = %q, want %q", got, tt.want)
			}
			if (e.TLS != nil) != tt.c.Insecure {
				t.Errorf("TLS = %v with Insecure %v", e.TLS, tt.c.Insecure)
			}
		})
	}
	if _, err := ParseEndpoint(config.Context{CertFile: "only-cert.pem"}, "127.0.0.1:8848"); err == nil {
		t.Error("a client certificate without a key was accepted")
	}
}

func TestSummarizeWithEmpty(t *testing.T) {
	ins := []Instance{{Service: "b", Health: Passing, Tags: []string{"x"}}}
	// "b" has an instance, "c" twice and "a" are empty.
	got := fmt.Sprint(SummarizeWithEmpty(ins, []string{"c", "b", "a", "c"}, Query{}))
	want := "[{a 0 map[] [] []} {b 1 map[passing:1] [x] []} {c 0 map[] [] []}]"
	if got != want {
		t.Errorf("SummarizeWithEmpty\n got %s\nwant %s", got, want)
	}
	// A tag filter lists only services with a matching instance.
	if got := SummarizeWithEmpty(ins, []string{"a"}, Query{Tag: "x"}); len(got) != 1 || got[0].Name != "b" {
		t.Errorf("tag x: %+v", got)
	}
}

func TestParseAddressRejectsMalformedHostPorts(t *testing.T) {
	for _, s := range []string{"127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1:abc", ":2181", "10.0.0.1:2181,10.0.0.2:", "127.0.0.1:-1"} {
		if _, err := ParseAddress(s, "127.0.0.1:2181"); err == nil || !strings.Contains(err.Error(), "registry address ") {
			t.Errorf("ParseAddress(%q) = %v, want an error naming the address", s, err)
		}
	}
	for _, s := range []string{"", "10.0.0.1", "10.0.0.1:1", "[::1]:65535", "zk1:2181,zk2:2181/base"} {
		if _, err := ParseAddress(s, "127.0.0.1:2181"); err != nil {
			t.Errorf("ParseAddress(%q): %v", s, err)
		}
	}
}
