package registry

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/msctl/msctl/internal/exitcode"
)

func TestVersionOf(t *testing.T) {
	for _, tt := range []struct {
		tags []string
		meta map[string]string
		want string
	}{
		{nil, map[string]string{"version": "1.2"}, "1.2"},
		{[]string{"version=2.0"}, nil, "2.0"},
		{[]string{"canary", "v3.1.4"}, nil, "v3.1.4"},
		{[]string{"v1"}, nil, ""}, // a bare v1 is more often an API tag than a version
		{[]string{"primary"}, map[string]string{"app_version": "9"}, "9"},
		{nil, nil, ""},
	} {
		if got := VersionOf(tt.tags, tt.meta); got != tt.want {
			t.Errorf("VersionOf(%v, %v) = %q, want %q", tt.tags, tt.meta, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize("web", []Instance{
		{Health: Passing, Tags: []string{"b", "a"}, Version: "1"},
		{Health: Critical, Tags: []string{"a"}, Version: "2"},
		{Tags: nil},
	})
	if s.Instances != 3 || s.ByHealth[Passing] != 1 || s.ByHealth[Critical] != 1 || s.ByHealth[Unknown] != 1 {
		t.Errorf("counts %+v", s)
	}
	if fmt.Sprint(s.Tags, s.Versions) != "[a b] [1 2]" {
		t.Errorf("tags %v versions %v", s.Tags, s.Versions)
	}
	if Worst(Passing, Warning) != Warning || Worst(Critical, Warning) != Critical || Worst(Passing, Unknown) != Unknown {
		t.Error("Worst orders passing < unknown < warning < critical")
	}
}

func TestExitError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code exitcode.Code
	}{
		{&UnreachableError{Kind: "consul", Address: "x", Err: errors.New("refused")}, exitcode.Unreachable},
		{fmt.Errorf("x: %w", ErrPermissionDenied), exitcode.Usage},
		{fmt.Errorf("x: %w", ErrInvalidQuery), exitcode.Usage},
		{fmt.Errorf("x: %w", ErrServiceNotFound), exitcode.CheckFailed},
		{context.Canceled, exitcode.Interrupted},
	} {
		if got := exitcode.Of(ExitError(tt.err)); got != tt.code {
			t.Errorf("%v: code %d, want %d", tt.err, got, tt.code)
		}
	}
}
