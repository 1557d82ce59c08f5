package gateway

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/scaffold/service"
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

// goCmd runs the go tool in dir with the shared module cache, as the
// service set's tests do: go.mod and go.sum must be complete as generated.
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

func TestParseRoute(t *testing.T) {
	good := map[string]Route{
		"/orders=orders":      {Prefix: "/orders", Service: "orders"},
		"/api/users=users/v1": {Prefix: "/api/users", Service: "users", Path: "/v1"},
		"/=web":               {Prefix: "/", Service: "web"},
	}
	for spec, want := range good {
		if r, err := ParseRoute(spec); err != nil || r != want {
			t.Errorf("%s: %+v %v, want %+v", spec, r, err, want)
		}
	}
	for _, spec := range []string{"", "orders", "/orders", "orders=orders", "/orders=", "/orders=Orders",
		"/a/../b=x", "/o=o/../etc", "/a b=x", "/x/=x", "/x=x y", "/x=-x"} {
		if _, err := ParseRoute(spec); err == nil {
			t.Errorf("route %q: no error", spec)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("route %q: error is not one line: %v", spec, err)
		}
	}
}

func TestParseComposite(t *testing.T) {
	c, err := ParseComposite("/dashboard=orders/v1/items,people:users/v1/users")
	if err != nil || len(c.Parts) != 2 || c.Parts[0].Key != "orders" || c.Parts[1] != (Part{Key: "people", Service: "users", Path: "/v1/users"}) {
		t.Fatalf("%+v %v", c, err)
	}
	for _, spec := range []string{"/d", "/d=orders", "/d=orders/v1,orders/v2", "/=orders/v1", "/d=bad key:orders/v1", "/d=errors:orders/v1", "/d/../e=a/b"} {
		if _, err := ParseComposite(spec); err == nil {
			t.Errorf("composite %q: no error", spec)
		}
	}
}

func TestNormalize(t *testing.T) {
	r := []string{"/orders=orders"}
	for _, bad := range []Answers{
		{Name: "Edge", Routes: r}, {Name: "../x", Routes: r}, {Name: "a/b", Routes: r}, {Name: "", Routes: r},
		{Name: "edge"}, {Name: "edge", Routes: []string{"/a=a", "/a=b"}},
		{Name: "edge", Routes: r, Composites: []string{"/d=a/x", "/d=b/y"}},
		{Name: "edge", Routes: r, Module: "../evil"}, {Name: "edge", Routes: r, Registry: "zk"},
		{Name: "edge", Routes: r, HTTPPort: 70000},
	} {
		if err := bad.Normalize(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	a := Answers{Name: "edge", Routes: []string{"/orders=orders", "/users=users"}, Composites: []string{"/d=orders/v1/x,stock/v1/y"}}
	if err := a.Normalize(); err != nil || a.Module != "example.com/edge" || a.Registry != "consul" || a.HTTPPort != 8080 {
		t.Fatalf("normalized %+v %v", a, err)
	}
	if got := strings.Join(Services(a), ","); got != "orders,stock,users" {
		t.Errorf("services %s", got)
	}
}

// TestPlanInputErrorsAreUsageErrors: bad answers are *service.InputError,
// which the CLI maps to exit 2.
func TestPlanInputErrorsAreUsageErrors(t *testing.T) {
	_, err := Plan(Options{Answers: Answers{Name: "edge", Routes: []string{"nope"}}, Dir: t.TempDir()})
	var ie *service.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v is not an InputError", err)
	}
}

func TestRequirementsPinJWT(t *testing.T) {
	a := Answers{Name: "edge", Routes: []string{"/o=o"}, Registry: "consul"}
	var jwt, consul bool
	for _, r := range Requirements(a) {
		jwt = jwt || (r.Path == jwtModule.Path && !r.Indirect)
		consul = consul || (r.Path == "github.com/hashicorp/consul/api" && !r.Indirect)
	}
	if !jwt || !consul {
		t.Errorf("go.mod lacks a direct jwt (%v) or consul (%v) requirement", jwt, consul)
	}
	if !strings.Contains(string(GoSum(a)), "github.com/golang-jwt/jwt/v5 v5.3.1 h1:") {
		t.Error("go.sum lacks jwt")
	}
}

// Matrix are the gateway variants every CI run builds and tests.
var Matrix = []Answers{
	{Name: "edge", Registry: "consul", Routes: []string{"/orders=orders", "/users=users/v1"}, Composites: []string{"/dashboard=orders/v1/items,users/v1/users"}},
	{Name: "plainedge", Registry: "none", Routes: []string{"/=web"}},
}

// TestGeneratedGateways generates every gateway variant and runs go build,
// go vet and go test in it, like the service set's TestGeneratedProjects.
func TestGeneratedGateways(t *testing.T) {
	for _, a := range Matrix {
		t.Run(a.Registry, func(t *testing.T) {
			dir := generate(t, a)
			gofmt := exec.Command("gofmt", "-l", ".")
			gofmt.Dir = dir
			if out, err := gofmt.CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("gofmt -l: %v\n%s", err, out)
			}
			goCmd(t, dir, "build", "./...")
			goCmd(t, dir, "vet", "./...")
			out := goCmd(t, dir, "test", "-count=1", "./...")
			for _, pkg := range []string{"internal/server", "internal/proxy", "internal/auth", "internal/route", "internal/cache", "internal/config"} {
				if !strings.Contains(out, "ok  \texample.com/"+a.Name+"/"+pkg+"\t") {
					t.Errorf("%s did not run its tests:\n%s", pkg, out)
				}
			}
		})
	}
}

// BenchmarkNewGateway renders, plans and writes a full gateway (consul,
// three routes, a composite).
func BenchmarkNewGateway(b *testing.B) {
	a := Matrix[0]
	a.Routes = append(a.Routes, "/stock=inventory")
	root := b.TempDir()
	for i := 0; b.Loop(); i++ {
		plan, err := Plan(Options{Answers: a, Dir: filepath.Join(root, strconv.Itoa(i))})
		if err != nil {
			b.Fatal(err)
		}
		if err := plan.Apply(); err != nil {
			b.Fatal(err)
		}
	}
}
