package scaffold

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"
)

// A region is the text between a "msctl:begin NAME" line and its
// "msctl:end NAME" line, both excluded. The markers sit in a comment of
// any style (//, #, --, <!--).
var markerRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*(?://|#|--|<!--)\s*msctl:(begin|end)\s+([A-Za-z0-9_.-]+)`)
})

type region struct {
	name string
	// start and end are byte offsets of the region's body in the file.
	start, end int
}

// parseRegions finds the insertion regions of content, in order.
func parseRegions(content []byte) ([]region, error) {
	var out []region
	var open *region
	seen := map[string]bool{}
	off := 0
	line := 1
	for off < len(content) {
		next := bytes.IndexByte(content[off:], '\n')
		lineEnd := len(content)
		if next >= 0 {
			lineEnd = off + next + 1
		}
		if m := markerRE().FindSubmatch(content[off:lineEnd]); m != nil {
			kind, name := string(m[1]), string(m[2])
			switch {
			case kind == "begin" && open != nil:
				return nil, fmt.Errorf("line %d: msctl:begin %s inside region %s", line, name, open.name)
			case kind == "begin":
				if seen[name] {
					return nil, fmt.Errorf("line %d: region %s appears twice", line, name)
				}
				seen[name] = true
				open = &region{name: name, start: lineEnd}
			case open == nil || open.name != name:
				return nil, fmt.Errorf("line %d: msctl:end %s without its msctl:begin", line, name)
			default:
				open.end = off
				out = append(out, *open)
				open = nil
			}
		}
		off = lineEnd
		line++
	}
	if open != nil {
		return nil, fmt.Errorf("region %s has no msctl:end line", open.name)
	}
	return out, nil
}

func regionBodies(content []byte) (map[string][]byte, error) {
	rs, err := parseRegions(content)
	if err != nil {
		return nil, err
	}
	m := make(map[string][]byte, len(rs))
	for _, r := range rs {
		m[r.name] = content[r.start:r.end]
	}
	return m, nil
}

// replaceRegions returns content with each region's body replaced by
// bodies[name]; regions not in bodies keep theirs.
func replaceRegions(content []byte, bodies map[string][]byte) ([]byte, error) {
	rs, err := parseRegions(content)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	prev := 0
	for _, r := range rs {
		out.Write(content[prev:r.start])
		if b, ok := bodies[r.name]; ok {
			out.Write(b)
		} else {
			out.Write(content[r.start:r.end])
		}
		prev = r.end
	}
	out.Write(content[prev:])
	return out.Bytes(), nil
}
