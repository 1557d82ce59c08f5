package app

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/giop"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/testserver"
	"github.com/msctl/msctl/internal/testserver/probeserver"
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
			"start-http-fixture": startHTTPFixture,
			"start-grpc-servers": startGRPCServers,
			"start-ws-server": func(ts *testscript.TestScript, neg bool, args []string) {
				// WS_URL is ws://127.0.0.1:PORT with /echo, /greet, /silent
				// and /plain (see probeserver.StartWS).
				s := probeserver.StartWS()
				ts.Defer(s.Close)
				ts.Setenv("WS_URL", s.URL)
			},
			"start-brokers": func(ts *testscript.TestScript, neg bool, args []string) {
				// NATS_URL (embedded nats-server), KAFKA_URL (kfake) and
				// THRIFT_ADDR (binary/framed apache/thrift server).
				n, err := probeserver.StartNATS()
				ts.Check(err)
				ts.Defer(n.Stop)
				k, err := probeserver.StartKafka()
				ts.Check(err)
				ts.Defer(k.Stop)
				th, err := probeserver.StartThrift("binary", "framed")
				ts.Check(err)
				ts.Defer(th.Stop)
				ts.Setenv("NATS_URL", n.URL)
				ts.Setenv("KAFKA_URL", k.URL)
				ts.Setenv("THRIFT_ADDR", th.Addr)
			},
			"start-activemq": func(ts *testscript.TestScript, neg bool, args []string) {
				// STOMP_URL: a real ActiveMQ (Debian activemq), user probe/secret.
				a, err := probeserver.StartActiveMQBroker()
				ts.Check(err)
				ts.Defer(a.Stop)
				ts.Setenv("STOMP_URL", a.STOMPURL)
				ts.Setenv("STOMP_BAD_URL", strings.Replace(a.STOMPURL, ":secret@", ":wrong@", 1))
			},
			"start-omninames": func(ts *testscript.TestScript, neg bool, args []string) {
				// CORBA_ADDR: a real omniNames (Debian omniorb-nameserver)
				// with contexts a and a/b and "ghost" bound to an object
				// that does not exist; CORBA_NS is its NameService
				// corbaloc, and $WORK/ns.ior holds its root IOR.
				o, err := testserver.StartOmniNames()
				ts.Check(err)
				ts.Defer(o.Stop)
				for _, a := range [][]string{{"bind_new_context", "a"}, {"bind_new_context", "a/b"}} {
					_, err := o.Nameclt(a...)
					ts.Check(err)
				}
				root, err := giop.ParseIOR(o.IOR)
				ts.Check(err)
				p := *root.Profiles[0].IIOP
				p.ObjectKey = []byte("no-such-object")
				ghost := giop.IOR{TypeID: "IDL:msctl/Ghost:1.0", Profiles: []giop.Profile{{Tag: giop.TagInternetIOP, IIOP: &p}}}
				_, err = o.Nameclt("bind", "ghost", ghost.Stringify(binary.BigEndian))
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs("ns.ior"), []byte(o.IOR+"\n"), 0o644))
				ts.Setenv("CORBA_ADDR", o.Addr)
				ts.Setenv("CORBA_NS", o.Corbaloc)
			},
			"start-graphql-server": func(ts *testscript.TestScript, neg bool, args []string) {
				s := probeserver.StartGraphQL()
				ts.Defer(s.Close)
				ts.Setenv("GRAPHQL_URL", s.URL)
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

// startHTTPFixture starts the probe tests' loopback HTTP servers (see
// testserver.HTTPFixture), writes ca.pem, client.pem and client-key.pem
// into $WORK and sets HTTP_URL, HTTPS_URL, EXPIRED_URL, WRONGHOST_URL and
// MTLS_URL, and HTTP_PORT (the port of HTTP_URL).
func startHTTPFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! start-http-fixture")
	}
	fx, err := testserver.StartHTTPFixture()
	ts.Check(err)
	ts.Defer(fx.Close)
	ts.Check(testserver.WriteFiles(ts.Getenv("WORK"), fx.CA, map[string]*testserver.Leaf{"client": fx.Client}))
	ts.Setenv("HTTP_URL", fx.Plain)
	ts.Setenv("HTTP_PORT", fx.Plain[strings.LastIndex(fx.Plain, ":")+1:])
	ts.Setenv("HTTPS_URL", fx.Valid)
	ts.Setenv("EXPIRED_URL", fx.Expired)
	ts.Setenv("WRONGHOST_URL", strings.Replace(fx.WrongHst, "127.0.0.1", "localhost", 1))
	ts.Setenv("MTLS_URL", fx.MTLS)
}

// startGRPCServers starts two gRPC test servers (see probeserver.StartGRPC),
// one with reflection (GRPC_ADDR) and one without (GRPC_NOREFL_ADDR), and
// writes the proto files of the latter under $WORK/protos.
func startGRPCServers(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! start-grpc-servers")
	}
	for env, refl := range map[string]string{"GRPC_ADDR": "v1", "GRPC_NOREFL_ADDR": "none"} {
		s, err := probeserver.StartGRPC(probeserver.GRPCOptions{Reflection: refl})
		ts.Check(err)
		ts.Defer(s.Stop)
		ts.Setenv(env, s.Addr)
	}
	_, err := probeserver.WriteTestProtos(filepath.Join(ts.Getenv("WORK"), "protos"))
	ts.Check(err)
}

// startLimited starts a token-bucket limited server and sets LIMITED_URL.
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
