package service

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/msctl/msctl/internal/servicefile"
	"github.com/msctl/msctl/internal/testserver"
)

// generate writes a into a fresh folder and returns it.
func generate(t testing.TB, a Answers) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), a.Name)
	plan, err := Plan(Options{Answers: a, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// goCmd runs the go tool in dir with the shared module cache. GOFLAGS is
// cleared of -mod so that go.mod and go.sum must be complete as generated,
// as on a fresh machine.
func goCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return goCmdEnv(t, dir, nil, args...)
}

func goCmdEnv(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-buildvcs=false", "GOWORK=off"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// checkYAML parses every generated YAML file, and service.yaml with the
// schema the other msctl commands read.
func checkYAML(t *testing.T, dir string, a Answers) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s: %v", p, err)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := servicefile.Load(filepath.Join(dir, servicefile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if sf.Name != a.Name || len(sf.Protocols) != len(a.Protocols) || sf.Ports["http"] == 0 {
		t.Errorf("service.yaml: %+v", sf)
	}
	for _, api := range sf.APIs {
		if _, err := os.Stat(filepath.Join(dir, api.Path)); err != nil {
			t.Errorf("service.yaml names %s: %v", api.Path, err)
		}
	}
}

// Matrix are the protocol combinations every CI run builds and tests.
var Matrix = []Answers{
	{Name: "httpsvc", Protocols: []string{"http"}, Registry: "consul"},
	{Name: "plainsvc", Protocols: []string{"http"}, Registry: "none"},
	{Name: "etcdsvc", Protocols: []string{"http", "grpc"}, Registry: "etcd"},
	{Name: "grpcsvc", Protocols: []string{"grpc"}, Registry: "consul"},
	{Name: "http-grpc", Protocols: []string{"http", "grpc"}, Registry: "consul"},
	{Name: "wssvc", Protocols: []string{"websocket"}, Registry: "none"},
	{Name: "gqlsvc", Protocols: []string{"graphql"}, Registry: "none"},
	{Name: "natssvc", Protocols: []string{"events"}, Broker: "nats", Registry: "none"},
	{Name: "kafkasvc", Protocols: []string{"events"}, Broker: "kafka", Registry: "none"},
	{Name: "grpc-nats", Protocols: []string{"grpc", "events"}, Broker: "nats", Registry: "consul"},
	{Name: "http-ws-amqp", Protocols: []string{"http", "websocket", "events"}, Broker: "amqp", Registry: "consul"},
}

// TestGeneratedProjects generates every variant of the matrix and runs go
// build, go vet and go test in it: the promise of `msctl new` is a project
// that builds and passes its tests as generated. It is the heavy test of
// this package (module downloads come from the shared cache).
func TestGeneratedProjects(t *testing.T) {
	for _, a := range Matrix {
		t.Run(strings.Join(a.Protocols, "+")+"-"+a.Registry, func(t *testing.T) {
			dir := generate(t, a)
			gofmt := exec.Command("gofmt", "-l", ".")
			gofmt.Dir = dir
			if out, err := gofmt.CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("gofmt -l: %v\n%s", err, out)
			}
			checkYAML(t, dir, a)
			goCmd(t, dir, "build", "./...")
			goCmd(t, dir, "vet", "./...")
			out := goCmd(t, dir, "test", "-count=1", "./...")
			if !strings.Contains(out, "ok  \t") {
				t.Errorf("no test package ran:\n%s", out)
			}
			if a.Broker == "amqp" {
				// The RabbitMQ tests are behind the integration tag in the
				// generated project; run them against a real node.
				rmq := testserver.StartRabbitMQ(t)
				out := goCmdEnv(t, dir, []string{"AMQP_URL=" + rmq.URL}, "test", "-count=1", "-tags", "integration", "-run", "TestAMQP|TestOutboxToBroker", "./internal/events/", "./internal/server/")
				if strings.Count(out, "ok  \t") != 2 {
					t.Errorf("amqp integration tests did not both run:\n%s", out)
				}
			}
		})
	}
}
