package ratelimit

import (
	"testing"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
)

func TestFindFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *FindOptions
	cmd := newFindCmd(cmdutil.New(ios), func(o *FindOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"http://x/", "--identity", "K: a", "--identity", "K: b; L: c", "--draft", "10", "--max-duration", "30s"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Target != "http://x/" || len(got.Identities) != 2 || got.Flags.Draft != 10 || got.Flags.MaxDuration.Seconds() != 30 {
		t.Errorf("options = %+v", got)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	tests := [][]string{
		{"http://x/"},
		{"http://x/", "--limit", "fast"},
		{"ftp://x/", "--limit", "10/s"},
		{"http://x/", "--limit", "10/s", "--tolerance", "2"},
		{"http://x/", "--from", "missing.yaml"},
	}
	for _, args := range tests {
		ios, _, _, _ := iostreams.Test()
		cmd := newVerifyCmd(cmdutil.New(ios), nil)
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		if err := cmd.Execute(); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
}
