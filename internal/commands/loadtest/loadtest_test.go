package loadtest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/iostreams"
	lt "github.com/msctl/msctl/internal/loadtest"
	"github.com/msctl/msctl/internal/testserver"
)

func TestFlagParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmd(cmdutil.New(ios), func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"http://x/", "--rate", "100/s:1s,200/s:1s", "-H", "A: b", "-X", "post", "-n", "5", "--http2"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Target != "http://x/" || got.Rate != "100/s:1s,200/s:1s" || got.Requests != 5 || !got.HTTP2 || got.Headers[0] != "A: b" {
		t.Errorf("options = %+v", got)
	}
}

// The same run prints a redrawn live block on a terminal and nothing but
// the report (for short runs) otherwise.
func TestLiveViewOnTerminal(t *testing.T) {
	srv, err := testserver.StartLimited(testserver.LimitedOptions{Rate: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tty := range []bool{true, false} {
		ios, _, stdout, stderr := iostreams.Test()
		ios.SetTTY(tty)
		opts := &Options{IO: ios, Target: srv.URL, Rate: "50/s", Duration: 1500 * time.Millisecond, Method: "GET", Output: "table", MaxWorkers: 100, Timeout: time.Second}
		if err := Run(opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout.String(), "uncorrected") {
			t.Errorf("tty=%v: report missing: %s", tty, stdout)
		}
		hasLive := strings.Contains(stderr.String(), "offered 50")
		if hasLive != tty {
			t.Errorf("tty=%v: live view on stderr = %q", tty, stderr)
		}
	}
}

func TestLivePlainLines(t *testing.T) {
	var buf bytes.Buffer
	p := lt.Constant(10)
	l := &lt.Live{W: &buf, Profile: &p, Every: time.Second}
	l.Update(time.Second, 5*time.Second, lt.Snapshot{Accepted: 10})
	l.Update(1500*time.Millisecond, 5*time.Second, lt.Snapshot{})
	l.Update(2*time.Second, 5*time.Second, lt.Snapshot{Accepted: 20})
	if n := strings.Count(buf.String(), "\n"); n != 2 || !strings.Contains(buf.String(), "accepted 20") {
		t.Errorf("plain lines = %q", buf.String())
	}
}
