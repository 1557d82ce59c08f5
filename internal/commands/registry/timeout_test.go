package registry

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/testserver"
)

// isolatedFactory reads no configuration file of the machine.
func isolatedFactory(t *testing.T) *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	dir := t.TempDir()
	f.Getenv = func(k string) string {
		if k == "XDG_CONFIG_HOME" || k == "HOME" {
			return dir
		}
		return ""
	}
	return f
}

// TestSilentRegistry: against a listener that accepts connections and
// never answers, every registry command of every adapter that talks TCP
// exits 3 within --timeout plus one second, whatever the number of calls
// it would make to a live registry (doctor makes many).
func TestSilentRegistry(t *testing.T) {
	silent := testserver.ServeTCP(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	const timeout = time.Second
	commands := map[string]func(*cmdutil.Factory) *cobra.Command{
		"services":   func(f *cmdutil.Factory) *cobra.Command { return NewServicesCmd(f, nil) },
		"instances":  func(f *cmdutil.Factory) *cobra.Command { return NewInstancesCmd(f, nil) },
		"doctor":     func(f *cmdutil.Factory) *cobra.Command { return NewDoctorCmd(f, nil) },
		"watch":      func(f *cmdutil.Factory) *cobra.Command { return NewWatchCmd(f, nil) },
		"register":   func(f *cmdutil.Factory) *cobra.Command { return NewRegisterCmd(f, nil) },
		"deregister": func(f *cmdutil.Factory) *cobra.Command { return NewDeregisterCmd(f, nil) },
		"diff":       func(f *cmdutil.Factory) *cobra.Command { return NewDiffCmd(f, nil) },
	}
	type run struct{ kind, name string }
	cases := map[run][]string{}
	for _, kind := range []string{"consul", "etcd", "zookeeper", "nacos", "eureka", "serf"} {
		url := kind + "://" + silent
		for name, args := range map[string][]string{
			"services":     {"services"},
			"instances":    {"instances", "web"},
			"doctor":       {"doctor"},
			"doctor web":   {"doctor", "web"},
			"watch (for)":  {"watch", "web", "--for", "500ms"},
			"watch (long)": {"watch", "web", "--for", "1m"},
			"register":     {"register", "web", "--host", "10.0.0.1", "--port", "80", "--yes"},
			"diff":         {"diff", "--from", url, "--to", url},
		} {
			cases[run{kind, name}] = append(args, "--registry", url, "--timeout", timeout.String())
		}
		switch kind {
		case "serf": // no writes: a usage error before any call
			delete(cases, run{kind, "register"})
		case "nacos": // checks the ID's form before any call
			cases[run{kind, "deregister"}] = []string{"deregister", "web", "10.0.0.1#80#DEFAULT#DEFAULT_GROUP@@web", "--yes", "--registry", url, "--timeout", timeout.String()}
		default:
			cases[run{kind, "deregister"}] = []string{"deregister", "web", "x", "--yes", "--registry", url, "--timeout", timeout.String()}
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for r, args := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := commands[args[0]](isolatedFactory(t))
			start := time.Now()
			err := runQuiet(cmd, args[1:]...)
			took := time.Since(start)
			if code := exitcode.Of(err); code != exitcode.Unreachable || took > timeout+time.Second {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%s %s: exit %d after %s: %v", r.kind, r.name, code, took.Round(10*time.Millisecond), err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("want exit 3 within %s:\n%s", timeout+time.Second, strings.Join(failures, "\n"))
	}
}

// TestMalformedAddresses: an address no registry can have is an input
// error (exit 2) that names it, not a dial failure (exit 3).
func TestMalformedAddresses(t *testing.T) {
	for _, reg := range []string{"consul://127.0.0.1:", "consul://127.0.0.1:99999", "consul://:8500",
		"etcd://127.0.0.1:99999", "zookeeper://127.0.0.1:", "nacos://127.0.0.1:0", "eureka://127.0.0.1:abc", "serf://127.0.0.1:70000"} {
		err := runQuiet(NewServicesCmd(isolatedFactory(t), nil), "--registry", reg, "--timeout", "1s")
		if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "address ") {
			t.Errorf("%s: exit %d, %v; want exit 2 naming the address", reg, exitcode.Of(err), err)
		}
	}
}

func runQuiet(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	_, err := cmd.ExecuteC()
	return err
}
