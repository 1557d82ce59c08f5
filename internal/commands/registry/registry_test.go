package registry

import (
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
)

func factory() *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	return f
}

func run(t *testing.T, cmd *cobra.Command, args ...string) error {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	_, err := cmd.ExecuteC()
	return err
}

func TestParsing(t *testing.T) {
	f := factory()
	var w *WatchOptions
	if err := run(t, NewWatchCmd(f, func(o *WatchOptions) error { w = o; return nil }),
		"web", "--for", "10m", "--flap-count", "5", "-o", "json", "--timeout", "2s"); err != nil {
		t.Fatal(err)
	}
	if w.Service != "web" || w.For != 10*time.Minute || w.FlapCount != 5 || w.Output != "json" || w.Conn.Timeout != 2*time.Second {
		t.Errorf("watch options %+v", w)
	}
	var d *DoctorOptions
	if err := run(t, NewDoctorCmd(f, func(o *DoctorOptions) error { d = o; return nil }), "--fail-on", "warning", "--no-probe"); err != nil {
		t.Fatal(err)
	}
	if d.Service != "" || d.FailOn != "warning" || !d.NoProbe || d.ZombieAfter != time.Hour {
		t.Errorf("doctor options %+v", d)
	}
	var r *RegisterOptions
	if err := run(t, NewRegisterCmd(f, func(o *RegisterOptions) error { r = o; return nil }),
		"web", "--host", "10.0.0.1", "--port", "80", "--tag", "a", "--tag", "b", "--meta", "k=v", "--dry-run"); err != nil {
		t.Fatal(err)
	}
	if r.Reg.Service != "web" || r.Reg.Address != "10.0.0.1" || r.Reg.Port != 80 || len(r.Reg.Tags) != 2 || !r.DryRun {
		t.Errorf("register options %+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
	f := factory()
	for _, tt := range []struct {
		name string
		cmd  *cobra.Command
		args []string
	}{
		{"instances without a service", NewInstancesCmd(f, nil), nil},
		{"bad output", NewServicesCmd(f, nil), []string{"-o", "xml"}},
		{"bad fail-on", NewDoctorCmd(f, nil), []string{"--fail-on", "info"}},
		{"negative for", NewWatchCmd(f, nil), []string{"web", "--for", "-1s"}},
		{"bad meta", NewRegisterCmd(f, nil), []string{"web", "--host", "h", "--port", "1", "--meta", "novalue"}},
		{"diff without --to", NewDiffCmd(f, nil), []string{"--from", "consul://x"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t, tt.cmd, tt.args...)
			if exitcode.Of(err) != exitcode.Usage {
				t.Errorf("err %v: code %d, want 2", err, exitcode.Of(err))
			}
		})
	}
}
