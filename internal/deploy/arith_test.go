package deploy

import (
	"math"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestResolveFencepostsMatchesIntstr checks the rolling-update arithmetic
// against apimachinery's own rounding over many values, with the
// controller's rule that both zero makes unavailable one.
func TestResolveFencepostsMatchesIntstr(t *testing.T) {
	for desired := 0; desired <= 120; desired++ {
		for v := 0; v <= 110; v++ {
			for _, pct := range []bool{false, true} {
				for _, u := range []int{0, 1, 3, 10, 25, 33, 50, 100} {
					surge := IntOrPercent{Value: v, Percent: pct}
					unav := IntOrPercent{Value: u, Percent: !pct}
					gotS, gotU := ResolveFenceposts(surge, unav, desired)
					wantS := scaled(t, surge, desired, true)
					wantU := scaled(t, unav, desired, false)
					if wantS == 0 && wantU == 0 {
						wantU = 1
					}
					if gotS != wantS || gotU != wantU {
						t.Fatalf("desired=%d surge=%s unavailable=%s: got (%d,%d), want (%d,%d)", desired, surge, unav, gotS, gotU, wantS, wantU)
					}
				}
			}
		}
	}
}

func scaled(t *testing.T, v IntOrPercent, total int, up bool) int {
	t.Helper()
	is := intstr.FromInt32(int32(v.Value))
	if v.Percent {
		is = intstr.FromString(v.String())
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(&is, total, up)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestResolveFencepostsExamples(t *testing.T) {
	tests := []struct {
		replicas    int
		surge, unav string
		s, u        int
	}{
		{10, "25%", "25%", 3, 2},
		{1, "25%", "25%", 1, 0},
		{3, "0", "25%", 0, 1},  // 0.75 rounds down to 0, then becomes 1
		{3, "0%", "10%", 0, 1}, // both zero after rounding
		{100, "1", "0", 1, 0},
		{7, "50%", "50%", 4, 3},
	}
	for _, tt := range tests {
		s, u := ResolveFenceposts(mustIP(tt.surge), mustIP(tt.unav), tt.replicas)
		if s != tt.s || u != tt.u {
			t.Errorf("%d replicas, surge %s, unavailable %s: got %d/%d, want %d/%d", tt.replicas, tt.surge, tt.unav, s, u, tt.s, tt.u)
		}
	}
}

func mustIP(s string) IntOrPercent {
	v, err := ParseIntOrPercent(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestParseIntOrPercent(t *testing.T) {
	for _, bad := range []string{"-1", "x", "", "25%%", "-5%"} {
		if _, err := ParseIntOrPercent(bad); err == nil {
			t.Errorf("ParseIntOrPercent(%q) accepted", bad)
		}
	}
	if v := mustIP("25%"); v.Value != 25 || !v.Percent {
		t.Errorf("25%% parsed as %+v", v)
	}
}

// TestBasicCanaryCounts pins the replica-weighted canary to Argo Rollouts'
// documented and tested results.
func TestBasicCanaryCounts(t *testing.T) {
	tests := []struct {
		replicas, weight, surge int
		canary, stable          int
	}{
		{10, 15, 3, 2, 9}, // 2/11 = 18.2% is closer to 15% than 2/10 or 1/10
		{10, 15, 0, 2, 8}, // tie between 1 and 2 goes to the larger canary
		{10, 10, 1, 1, 9}, // exact
		{10, 5, 1, 1, 10}, // 0.5 ties; 1/11 beats 1/10, never zero for 1-99
		{1, 5, 1, 1, 1},   // surge lets both exist
		{1, 95, 1, 1, 1},  // same at the top
		{1, 50, 0, 1, 0},  // one replica, no surge: zero is allowed
		{3, 50, 0, 2, 1},  // 1.5 ties, larger canary
		{4, 50, 1, 2, 2},  // exact
		{5, 90, 0, 0, 5},  // Argo fallback: 4.5 ties and rounding up leaves no stable
		{3, 99, 0, 2, 1},  // from Argo tests: stable keeps one
		{10, 20, 2, 2, 8}, // exact
		{10, 0, 3, 0, 10}, // weight 0
		{10, 100, 3, 10, 0},
		{2, 1, 1, 1, 2},
		{0, 50, 1, 0, 0},
	}
	for _, tt := range tests {
		c, s := BasicCanaryCounts(tt.replicas, tt.weight, tt.surge)
		if c != tt.canary || s != tt.stable {
			t.Errorf("replicas=%d weight=%d surge=%d: got canary %d stable %d, want %d/%d", tt.replicas, tt.weight, tt.surge, c, s, tt.canary, tt.stable)
		}
	}
}

// TestBasicCanaryProperties checks, for every replica count and weight, that
// neither side reaches zero for weights 1-99 (beyond the single replica
// without surge), that the total is spec or spec+1 only with surge, and that
// no candidate the controller considers is closer to the weight.
func TestBasicCanaryProperties(t *testing.T) {
	for r := 1; r <= 60; r++ {
		for w := 0; w <= 100; w++ {
			for _, surge := range []int{0, 1, 5} {
				c, s := BasicCanaryCounts(r, w, surge)
				if w > 0 && w < 100 && !(r == 1 && surge == 0) && !CanaryFallback(r, w, surge) && (c == 0 || s == 0) {
					t.Fatalf("r=%d w=%d surge=%d: %d/%d has a zero side", r, w, surge, c, s)
				}
				if tot := c + s; tot != r && !(tot == r+1 && surge > 0) {
					t.Fatalf("r=%d w=%d surge=%d: total %d", r, w, surge, tot)
				}
				got := math.Abs(float64(c*100)/float64(c+s) - float64(w))
				exact := float64(r*w) / 100
				if w > 0 && w < 100 && r > 1 && !CanaryFallback(r, w, surge) && got > 100/float64(r)+1e-9 && math.Mod(exact, 1) != 0 {
					t.Fatalf("r=%d w=%d: weight off by %.2f points", r, w, got)
				}
			}
		}
	}
}

func TestRoutedCanaryCount(t *testing.T) {
	for _, tt := range []struct{ r, w, want int }{{10, 15, 2}, {10, 10, 1}, {3, 1, 1}, {10, 0, 0}, {10, 100, 10}} {
		if got := RoutedCanaryCount(tt.r, tt.w); got != tt.want {
			t.Errorf("RoutedCanaryCount(%d,%d) = %d, want %d", tt.r, tt.w, got, tt.want)
		}
	}
}
