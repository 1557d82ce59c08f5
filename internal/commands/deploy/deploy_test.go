package deploy

import (
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
)

func TestPlanFlagsLayer(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *PlanOptions
	cmd := NewPlanCmd(cmdutil.New(ios), func(o *PlanOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--strategy", "canary", "--replicas", "7", "--steps", "5:1m,100", "--max-unavailable", "0", "--resources", "cpu=1"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	s, err := got.flags.spec()
	if err != nil {
		t.Fatal(err)
	}
	if s.Strategy != "canary" || s.Replicas != 7 || len(s.Steps) != 2 || s.Steps[0].Pause.D().Minutes() != 1 || s.MaxUnavailable.Value != 0 || s.MaxSurge.String() != "25%" {
		t.Errorf("spec = %+v", s)
	}
}

func TestPlanTerminalAndPlain(t *testing.T) {
	for _, tty := range []bool{false, true} {
		ios, _, out, _ := iostreams.Test()
		ios.SetTTY(tty)
		cmd := NewPlanCmd(cmdutil.New(ios), nil)
		cmd.SetArgs([]string{"--strategy", "rolling", "--replicas", "4"})
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		// Styling itself depends on the terminal's color profile; what must
		// hold in both modes is the table, the summary and the chart.
		for _, want := range []string{"rolling wave", "max surge 25% (1 pod)", "Timeline", "0/4"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("tty=%v: %q missing from %q", tty, want, out.String())
			}
		}
	}
}

func TestLintExitCode(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewLintCmd(cmdutil.New(ios), nil)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs([]string{"--replicas", "1"})
	if err := cmd.Execute(); exitcode.Of(err) != exitcode.CheckFailed {
		t.Errorf("err = %v, want exit 1", err)
	}
	cmd = NewLintCmd(cmdutil.New(ios), nil)
	cmd.SetArgs([]string{"--replicas", "1", "--fail-on", "error"})
	if err := cmd.Execute(); err != nil {
		t.Errorf("warning with --fail-on error: %v", err)
	}
}
