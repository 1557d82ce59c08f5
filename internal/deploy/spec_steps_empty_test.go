package deploy

import "testing"

// An empty item in --steps is a typo, never silently dropped.
func TestParseStepsRejectsEmptyItem(t *testing.T) {
	for _, in := range []string{"5,,25", "10,", ",10", " , "} {
		if _, err := ParseSteps(in, 0, false); err == nil {
			t.Errorf("ParseSteps(%q) accepted an empty item", in)
		}
	}
	if st, err := ParseSteps("5,25", 0, false); err != nil || len(st) != 2 {
		t.Errorf("ParseSteps(5,25) = %v, %v", st, err)
	}
}
