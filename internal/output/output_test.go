package output

import (
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/iostreams"
)

type svc struct {
	Name      string `json:"name"`
	Instances int    `json:"instances"`
}

func TestWriteFormats(t *testing.T) {
	v := []svc{{"orders", 3}, {"users", 1}}
	table := func() *Table {
		tb := NewTable("name", "instances")
		for _, s := range v {
			tb.AddRow(s.Name, s.Instances)
		}
		return tb
	}
	tests := []struct {
		format Format
		want   string
	}{
		{FormatJSON, "[\n  {\n    \"name\": \"orders\",\n    \"instances\": 3\n  },\n  {\n    \"name\": \"users\",\n    \"instances\": 1\n  }\n]\n"},
		{FormatYAML, "- instances: 3\n  name: orders\n- instances: 1\n  name: users\n"},
		{FormatTable, "NAME    INSTANCES\norders  3\nusers   1\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			if err := Write(ios, tt.format, v, table); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", out.String(), tt.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatTable, "JSON": FormatJSON, "yaml": FormatYAML, "table": FormatTable} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "table, json, yaml") {
		t.Errorf("want an error listing the formats, got %v", err)
	}
}

func TestTableFitsWidth(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetWidth(40)
	tb := NewTable("service", "check output")
	tb.AddRow("orders", strings.Repeat("x", 100))
	if err := tb.Render(ios); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if w := len([]rune(line)); w > 40 {
			t.Errorf("line is %d columns wide, terminal is 40: %q", w, line)
		}
	}
	if !strings.Contains(out.String(), "…") {
		t.Errorf("truncated cell has no ellipsis: %q", out.String())
	}
	if !strings.Contains(out.String(), "orders") {
		t.Errorf("short column was truncated: %q", out.String())
	}
}

func TestTableStyledOnlyOnTerminal(t *testing.T) {
	tb := NewTable("name", "status")
	tb.AddRow("orders", "critical")

	ios, _, out, _ := iostreams.Test()
	if err := tb.Render(ios); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("escape codes written to a non-terminal: %q", out.String())
	}

	ios, _, out, _ = iostreams.Test()
	ios.SetTTY(true)
	ios.SetColorDisabled(true)
	if err := tb.Render(ios); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("escape codes written with color disabled: %q", out.String())
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello world", 6, "hello…"},
		{"héllo wörld", 4, "hél…"},
		{"abc", 1, "…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.w); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

func TestStateColor(t *testing.T) {
	for _, s := range []string{"passing", "Warning", "critical", "left"} {
		if _, ok := StateColor(s); !ok {
			t.Errorf("%q is not colored", s)
		}
	}
	if _, ok := StateColor("orders"); ok {
		t.Error("a plain word is colored")
	}
}

func TestTableMultilineCellsAndWidth(t *testing.T) {
	for _, tty := range []bool{false, true} {
		ios, _, out, _ := iostreams.Test()
		ios.SetTTY(tty)
		ios.SetWidth(30)
		tb := NewTable("check", "output")
		tb.AddRow("http", "HTTP GET http://x:1/healthz:\n200 OK\nOutput: fine")
		if err := tb.Render(ios); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
		if len(lines) != 2 {
			t.Errorf("tty=%v: a multi-line cell broke the row: %q", tty, out.String())
		}
		for _, l := range lines {
			if w := len([]rune(l)); w > 30 {
				t.Errorf("tty=%v: line is %d wide on a 30-column terminal: %q", tty, w, l)
			}
		}
	}
}
