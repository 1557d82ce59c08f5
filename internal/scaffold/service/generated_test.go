package service

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// Matrix are the protocol combinations every CI run builds and tests.
var Matrix = []Answers{
	{Name: "httpsvc", Protocols: []string{"http"}, Registry: "consul"},
	{Name: "plainsvc", Protocols: []string{"http"}, Registry: "none"},
	{Name: "grpcsvc", Protocols: []string{"grpc"}, Registry: "consul"},
	{Name: "http-grpc", Protocols: []string{"http", "grpc"}, Registry: "consul"},
	{Name: "wssvc", Protocols: []string{"websocket"}, Registry: "none"},
	{Name: "gqlsvc", Protocols: []string{"graphql"}, Registry: "none"},
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
			goCmd(t, dir, "build", "./...")
			goCmd(t, dir, "vet", "./...")
			out := goCmd(t, dir, "test", "-count=1", "./...")
			if !strings.Contains(out, "ok  \t") {
				t.Errorf("no test package ran:\n%s", out)
			}
		})
	}
}
