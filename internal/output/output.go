// Package output renders a command's data as a table, JSON or YAML through
// one code path, so that every data command has the same -o flag, the same
// JSON conventions and the same terminal behaviour.
//
// JSON is the contract: field names come from the value's json tags and are
// documented with the command. YAML is the same document converted from
// JSON, so the two never disagree. Tables are for people: styled with
// lipgloss on a terminal, plain and tab-aligned otherwise, and fitted to the
// terminal width.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/msctl/msctl/internal/iostreams"
)

// Format is an output format chosen with -o.
type Format string

// The formats every data command accepts.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
)

// Formats lists the accepted -o values, for flag help and completion.
var Formats = []string{string(FormatTable), string(FormatJSON), string(FormatYAML)}

// ParseFormat validates an -o value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatTable, FormatJSON, FormatYAML:
		return f, nil
	case "":
		return FormatTable, nil
	}
	return "", fmt.Errorf("unknown output format %q: use one of %s", s, strings.Join(Formats, ", "))
}

// Write prints v in the chosen format. For the table format it calls table
// to build the rows; v itself is what JSON and YAML encode.
func Write(ios *iostreams.IOStreams, f Format, v any, table func() *Table) error {
	switch f {
	case FormatJSON:
		return WriteJSON(ios.Out, v)
	case FormatYAML:
		return WriteYAML(ios.Out, v)
	default:
		if table == nil {
			return WriteJSON(ios.Out, v)
		}
		return table().Render(ios)
	}
}

// WriteJSON writes v as indented JSON followed by a newline. HTML escaping is
// off: URLs and "<" in check output must stay readable.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	return nil
}

// WriteJSONLine writes v as one line of JSON (NDJSON), for streams of results.
func WriteJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	return nil
}

// WriteYAML writes v as YAML with the same field names as its JSON.
func WriteYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding YAML: %w", err)
	}
	_, err = w.Write(b)
	return err
}
