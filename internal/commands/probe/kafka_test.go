package probe

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/testserver"
	"github.com/msctl/msctl/internal/testserver/probeserver"
)

// runEnv runs the probe command with env as its whole environment; the
// error the command returns (printed by msctl's main) ends stderr.
func runEnv(t *testing.T, env map[string]string, args ...string) (string, string, exitcode.Code) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(k string) string { return env[k] }
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), exitcode.Of(err)
}

// TestKafkaSASLAndTLSFlags probes a TLS listener that requires SASL
// SCRAM-SHA-512 through the command's flags: the password from the
// environment or a file, never echoed; missing or misplaced flags are
// usage errors.
func TestKafkaSASLAndTLSFlags(t *testing.T) {
	ca, err := testserver.NewCA("kafka command test CA")
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.Issue(testserver.LeafOptions{CommonName: "kafka", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := testserver.WriteFiles(dir, ca, nil); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte("file-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := probeserver.StartKafkaWith(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "probe", "file-s3cret"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{server.TLS}}))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Stop()
	caFile := filepath.Join(dir, "ca.pem")
	sasl := []string{"kafka", "-o", "json", "--cacert", caFile, "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", "probe"}
	for _, tc := range []struct {
		name      string
		env       map[string]string
		args      []string
		want      exitcode.Code
		wantErr   string
		wantClass string
	}{
		{name: "password from the environment", env: map[string]string{"MSCTL_SASL_PASSWORD": "file-s3cret"}, args: sasl},
		{name: "password from a file", args: append(sasl[:len(sasl):len(sasl)], "--sasl-password-file", pwFile)},
		{name: "wrong password", env: map[string]string{"MSCTL_SASL_PASSWORD": "nope-wrong"}, args: sasl, want: 1, wantClass: "status"},
		{name: "no password", args: sasl, want: 2, wantErr: "needs a password: set MSCTL_SASL_PASSWORD or give --sasl-password-file"},
		{name: "unknown mechanism", env: map[string]string{"MSCTL_SASL_PASSWORD": "x"}, args: []string{"kafka", "--tls", "--sasl-mechanism", "GSSAPI", "--sasl-user", "probe"}, want: 2, wantErr: "unknown SASL mechanism"},
		{name: "user without mechanism", args: []string{"kafka", "--sasl-user", "probe"}, want: 2, wantErr: "need --sasl-mechanism"},
		{name: "no CA", env: map[string]string{"MSCTL_SASL_PASSWORD": "file-s3cret"}, args: []string{"kafka", "-o", "json", "--tls", "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", "probe"}, want: 3, wantClass: "tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runEnv(t, tc.env, append(tc.args, k.URL)...)
			if code != tc.want {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, out, errOut)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q, want %q", errOut, tc.wantErr)
			}
			for _, secret := range []string{"file-s3cret", "nope-wrong"} {
				if strings.Contains(out+errOut, secret) {
					t.Errorf("output shows the password %q:\n%s%s", secret, out, errOut)
				}
			}
			if tc.want == 2 {
				return
			}
			var r struct {
				OK         bool   `json:"ok"`
				ErrorClass string `json:"error_class"`
				TLS        *struct {
					Verified bool `json:"verified"`
				} `json:"tls"`
				Broker struct {
					Partitions []struct {
						Partition int32 `json:"partition"`
					} `json:"partitions"`
				} `json:"broker"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if r.ErrorClass != tc.wantClass {
				t.Errorf("error class %q, want %q", r.ErrorClass, tc.wantClass)
			}
			if tc.want == 0 && (r.TLS == nil || !r.TLS.Verified || len(r.Broker.Partitions) != 3) {
				t.Errorf("tls %+v, partitions %v: want a verified session and 3 partitions", r.TLS, r.Broker.Partitions)
			}
		})
	}
}
