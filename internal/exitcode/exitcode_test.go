package exitcode

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, OK},
		{"usage", Usagef("bad %s", "x"), Usage},
		{"wrapped usage", fmt.Errorf("reading: %w", UsageError(errors.New("boom"), "")), Usage},
		{"unreachable", UnreachableError(errors.New("dial"), "start consul"), Unreachable},
		{"check", CheckFailedError(errors.New("unhealthy")), CheckFailed},
		{"silent", WithCode(RPCBase + 5), 69},
		{"canceled", fmt.Errorf("run: %w", context.Canceled), Interrupted},
		{"plain", errors.New("other"), CheckFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestHint(t *testing.T) {
	err := fmt.Errorf("x: %w", UnreachableError(errors.New("refused"), "is consul running?"))
	if got := HintOf(err); got != "is consul running?" {
		t.Errorf("HintOf = %q", got)
	}
	if HintOf(errors.New("plain")) != "" {
		t.Error("plain error has a hint")
	}
	if !IsSilent(fmt.Errorf("w: %w", WithCode(1))) || IsSilent(errors.New("x")) {
		t.Error("IsSilent wrong")
	}
}
