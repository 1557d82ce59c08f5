package deploy

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func canaryPlan(t *testing.T) *Plan {
	t.Helper()
	s := DefaultSpec()
	s.Strategy, s.Replicas = Canary, 10
	s.Steps, _ = ParseSteps("15,50,100", Duration(time.Minute), true)
	p, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSVGIsWellFormed parses the SVG and checks one old and one new bar per
// step and a traffic point per step.
func TestSVGIsWellFormed(t *testing.T) {
	p := canaryPlan(t)
	dec := xml.NewDecoder(strings.NewReader(SVG(p)))
	bars := map[string]int{}
	points := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range se.Attr {
			if a.Name.Local == "class" {
				bars[a.Value]++
			}
			if a.Name.Local == "points" {
				points = len(strings.Fields(a.Value))
			}
		}
	}
	if bars["old"] != len(p.Steps) || bars["new"] != len(p.Steps) || bars["traffic"] != 1 || points != len(p.Steps) {
		t.Errorf("bars %v, %d traffic points, for %d steps", bars, points, len(p.Steps))
	}
}

func TestChart(t *testing.T) {
	p := canaryPlan(t)
	var b bytes.Buffer
	WriteChart(&b, false, p)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 1+len(p.Steps) {
		t.Fatalf("%d lines for %d steps:\n%s", len(lines), len(p.Steps), b.String())
	}
	// Step 1: 9 old and 2 new pods on a scale of the 13-pod peak, 18.2%.
	if !strings.Contains(lines[1], "9/2") || !strings.Contains(lines[1], "18.2%") || strings.Contains(b.String(), "\x1b[") {
		t.Errorf("step line %q", lines[1])
	}
	if got := strings.Count(lines[3], "▒"); got != 40*10/p.Summary.PeakPods {
		t.Errorf("last step has %d new cells, want %d", got, 40*10/p.Summary.PeakPods)
	}
}

func TestFormatQuantities(t *testing.T) {
	for in, want := range map[int64]string{500: "500m", 2000: "2", 2500: "2.5", 0: "0"} {
		if got := FormatCPU(in); got != want {
			t.Errorf("FormatCPU(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{256 << 20: "256Mi", 3 << 29: "1.5Gi", 512: "512"} {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", in, got, want)
		}
	}
}
