package app

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/testserver"
)

// TestMain lets testscript run the real msctl main as a separate process
// named "msctl" inside the scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"msctl": func() { os.Exit(int(Main())) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, ScriptParams(t, filepath.Join("..", "..", "testdata", "script")))
}

// ScriptParams are the testscript settings shared by every script: an
// isolated HOME and config folder, and commands that start real servers.
func ScriptParams(t *testing.T, dir string) testscript.Params {
	p := testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("NO_COLOR", "")
			env.Setenv("MSCTL_TESTENV_BIN", testserver.BinDir())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// start-consul starts a dev agent for the script and points
			// msctl at it through MSCTL_ADDRESS; CONSUL_HTTP_ADDR and
			// CONSUL_DNS_ADDR name its ports. `start-consul acl` enables
			// ACLs with default deny and puts the management token in
			// CONSUL_MGMT_TOKEN.
			"start-consul": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg {
					ts.Fatalf("unsupported: ! start-consul")
				}
				var opts testserver.ConsulOptions
				if len(args) == 1 && args[0] == "acl" {
					const mgmt = "5e1b3c1e-6d9a-4c1b-9a43-1c2b8e0f7a11"
					opts.HCL = `acl { enabled = true
  default_policy = "deny"
  tokens { initial_management = "` + mgmt + `" } }`
					ts.Setenv("CONSUL_MGMT_TOKEN", mgmt)
				}
				c, err := testserver.StartConsulAgent(opts)
				ts.Check(err)
				ts.Defer(c.Stop)
				ts.Setenv("CONSUL_HTTP_ADDR", c.HTTPAddr)
				ts.Setenv("CONSUL_DNS_ADDR", c.DNSAddr)
				ts.Setenv("MSCTL_ADDRESS", c.HTTPAddr)
				ts.Setenv("MSCTL_REGISTRY", "consul")
			},
			// start-limited [-grpc] [key=value...] starts a token-bucket
			// limited server (see testserver.LimitedOptions: rate, burst,
			// style, status, per, capacity, delay) and sets LIMITED_URL.
			"start-limited": startLimited,
		},
	}
	for name, cmd := range registryAdapterCmds() {
		p.Cmds[name] = cmd
	}
	return p
}

// TestRunExitCodes checks the one place where errors become exit codes,
// in process.
func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help", []string{"--help"}, 0, ""},
		{"unknown command", []string{"nope"}, 2, "msctl: unknown command \"nope\" for \"msctl\"; see `msctl --help`\n"},
		{"unknown flag", []string{"version", "--nope"}, 2, "msctl: unknown flag: --nope; see `msctl version --help`\n"},
		{"bad output", []string{"version", "-o", "xml"}, 2, "msctl: unknown output format \"xml\": use one of table, json, yaml\n"},
		{"extra arg", []string{"version", "x"}, 2, "msctl: \"msctl version\" takes no arguments, got \"x\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, stderr := iostreams.Test()
			f := cmdutil.New(ios)
			f.Getenv = func(string) string { return "" }
			code := Run(context.Background(), f, tt.args)
			if int(code) != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if stderr.String() != tt.stderr {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
}

func startLimited(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! start-limited")
	}
	opts := testserver.LimitedOptions{Rate: 50, Burst: 10}
	grpcServer := false
	for _, a := range args {
		if a == "-grpc" {
			grpcServer = true
			continue
		}
		k, v, _ := strings.Cut(a, "=")
		var err error
		switch k {
		case "rate":
			opts.Rate, err = strconv.ParseFloat(v, 64)
		case "burst":
			opts.Burst, err = strconv.Atoi(v)
		case "status":
			opts.Status, err = strconv.Atoi(v)
		case "capacity":
			opts.Capacity, err = strconv.Atoi(v)
		case "delay":
			opts.Delay, err = time.ParseDuration(v)
		case "style":
			opts.Style = v
		case "per":
			opts.PerClient = v
		default:
			ts.Fatalf("start-limited: unknown option %q", a)
		}
		ts.Check(err)
	}
	start := testserver.StartLimited
	if grpcServer {
		start = testserver.StartLimitedGRPC
	}
	l, err := start(opts)
	ts.Check(err)
	ts.Defer(l.Close)
	ts.Setenv("LIMITED_URL", l.URL)
}
