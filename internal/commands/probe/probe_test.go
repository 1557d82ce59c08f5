package probe

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/testserver"
	"github.com/msctl/msctl/internal/testserver/probeserver"
)

func run(t *testing.T, tty bool, args ...string) (string, string, exitcode.Code) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(tty)
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), exitcode.Of(err)
}

// TestExitCodes checks the exit code every failure class ends in, through
// the command.
func TestExitCodes(t *testing.T) {
	fx, err := testserver.StartHTTPFixture()
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	g, err := probeserver.StartGRPC(probeserver.GRPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	closed := "127.0.0.1:" + strconv.Itoa(ports[0])
	for _, tc := range []struct {
		args []string
		want exitcode.Code
	}{
		{[]string{"http", fx.Plain + "/"}, 0},
		{[]string{"http", fx.Plain + "/status/500"}, 1},
		{[]string{"http", "--expect-body", "nope", fx.Plain + "/"}, 1},
		{[]string{"http", "--max-latency", "1ns", fx.Plain + "/"}, 1},
		{[]string{"http", fx.Plain + "/hangup"}, 1},
		{[]string{"http", fx.Valid + "/"}, 3},
		{[]string{"http", "--timeout", "100ms", fx.Plain + "/sleep?d=3s"}, 3},
		{[]string{"http", "http://" + closed + "/"}, 3},
		{[]string{"tcp", "msctl-probe-test.invalid:1"}, 3},
		{[]string{"http", "--expect-body", "(", fx.Plain + "/"}, 2},
		{[]string{"grpc", "--plaintext", g.Addr, "health"}, 0},
		{[]string{"grpc", "--plaintext", g.Addr, "health", "down"}, 4},
		{[]string{"grpc", "--plaintext", g.Addr, "health", "nope"}, 64 + 5},
		{[]string{"grpc", "--plaintext", "-d", `{"response_status":{"code":3}}`, g.Addr, "invoke", "grpc.testing.TestService/UnaryCall"}, 64 + 3},
		{[]string{"grpc", "--plaintext", closed}, 3},
		{[]string{"grpc", "--plaintext", "--insecure", g.Addr}, 2},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := run(t, false, tc.args...)
			if code != tc.want {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, out, errOut)
			}
		})
	}
}

// TestStyledOnTTY checks that the result line is styled on a terminal and
// plain otherwise.
func TestStyledOnTTY(t *testing.T) {
	fx, err := testserver.StartHTTPFixture()
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	// lipgloss asks the process's own stdout for its color profile; the
	// test's is not a terminal, so pretend it is one.
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.ANSI)
	defer lipgloss.SetColorProfile(prev)
	plain, _, _ := run(t, false, "http", fx.Plain+"/")
	styled, _, _ := run(t, true, "http", fx.Plain+"/")
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("escape codes without a terminal: %q", plain)
	}
	if !strings.HasPrefix(plain, "OK   200 OK") {
		t.Errorf("plain line = %q", plain)
	}
	if !strings.Contains(styled, "\x1b[") {
		t.Errorf("no styling on a terminal: %q", styled)
	}
}
