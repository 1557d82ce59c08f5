// Package gateway renders the "gateway" template set: an API gateway in
// front of the services, routing by path prefix to instances found in the
// registry, with JWT authentication, per-client rate limits, a GET cache,
// fallbacks and composite routes. It validates the answers (names and the
// route grammar of routes.go), derives what the templates need, builds
// service.yaml (kind: gateway), and hands the rest to the scaffold engine.
package gateway

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/msctl/msctl/internal/scaffold"
	"github.com/msctl/msctl/internal/scaffold/service"
	"github.com/msctl/msctl/internal/servicefile"
	"github.com/msctl/msctl/templates"
)

// SetName is the template set this package renders.
const SetName = "gateway"

// Answers are the questions of `msctl new gateway`; each is a flag and a
// key of the --answers file.
type Answers struct {
	Name       string   `yaml:"name" json:"name"`
	Module     string   `yaml:"module" json:"module"`
	Registry   string   `yaml:"registry" json:"registry"`
	Routes     []string `yaml:"routes" json:"routes"`
	Composites []string `yaml:"composites,omitempty" json:"composites,omitempty"`
	HTTPPort   int      `yaml:"http_port,omitempty" json:"http_port,omitempty"`
	RateLimit  float64  `yaml:"rate_limit,omitempty" json:"rate_limit,omitempty"`
	RateBurst  int      `yaml:"rate_burst,omitempty" json:"rate_burst,omitempty"`
}

// Registries are the registries a gateway can discover services in.
var Registries = []string{"consul", "none"}

// Normalize fills defaults and validates; errors are one line naming the
// answer.
func (a *Answers) Normalize() error {
	if err := service.CheckNameAndModule("gateway", a.Name, &a.Module); err != nil {
		return err
	}
	if a.Registry == "" {
		a.Registry = "consul"
	}
	if !slices.Contains(Registries, a.Registry) {
		return fmt.Errorf("registry %q: use one of %s", a.Registry, strings.Join(Registries, ", "))
	}
	if len(a.Routes) == 0 {
		return fmt.Errorf("a gateway needs at least one --route PREFIX=SERVICE, e.g. --route /orders=orders")
	}
	prefixes := map[string]bool{}
	for _, spec := range a.Routes {
		r, err := ParseRoute(spec)
		if err != nil {
			return err
		}
		if prefixes[r.Prefix] {
			return fmt.Errorf("route %q: prefix %s is routed twice", spec, r.Prefix)
		}
		prefixes[r.Prefix] = true
	}
	paths := map[string]bool{}
	for _, spec := range a.Composites {
		c, err := ParseComposite(spec)
		if err != nil {
			return err
		}
		if paths[c.Path] {
			return fmt.Errorf("composite %q: path %s is defined twice", spec, c.Path)
		}
		paths[c.Path] = true
	}
	if a.HTTPPort == 0 {
		a.HTTPPort = 8080
	}
	if a.HTTPPort < 1 || a.HTTPPort > 65535 {
		return fmt.Errorf("http_port %d is not a port", a.HTTPPort)
	}
	if a.RateLimit == 0 {
		a.RateLimit = 100
	}
	if a.RateBurst == 0 {
		a.RateBurst = 50
	}
	if a.RateLimit < 0 || a.RateBurst < 0 {
		return fmt.Errorf("rate_limit and rate_burst must be positive")
	}
	return nil
}

// Data is what the templates see.
type Data struct {
	Answers
	// Services are the backends the routes and composites name, sorted.
	Services  []string
	GoVersion string
	Requires  []service.Require
}

// NewData derives the template data from normalized answers.
func NewData(a Answers) Data {
	return Data{Answers: a, Services: Services(a), GoVersion: service.GoVersion, Requires: Requirements(a)}
}

// Services lists the backend services of a's routes and composites.
func Services(a Answers) []string {
	seen := map[string]bool{}
	for _, spec := range a.Routes {
		if r, err := ParseRoute(spec); err == nil {
			seen[r.Service] = true
		}
	}
	for _, spec := range a.Composites {
		if c, err := ParseComposite(spec); err == nil {
			for _, p := range c.Parts {
				seen[p.Service] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// jwtModule is the one dependency a gateway adds to a service's: the JWT
// library (no dependencies of its own).
var jwtModule = service.Require{Path: "github.com/golang-jwt/jwt/v5", Version: "v5.3.1"}

const jwtSum = `github.com/golang-jwt/jwt/v5 v5.3.1 h1:kYf81DTWFe7t+1VvL7eS+jKFVWaUnK9cB1qbwn63YCY=
github.com/golang-jwt/jwt/v5 v5.3.1/go.mod h1:fxCRLWMO43lRc8nhHWY6LGqRcf+1gQWArsqaEUEa5bE=
`

// serviceAnswers is the service whose dependencies a gateway shares
// (metrics, rate limiter, registry client): reusing the service set's
// tidied requirements keeps both on the versions msctl was tested with.
func serviceAnswers(a Answers) service.Answers {
	return service.Answers{Name: a.Name, Protocols: []string{"http"}, Registry: a.Registry}
}

// Requirements are the go.mod requirements of a's project.
func Requirements(a Answers) []service.Require {
	reqs := append(service.Requirements(serviceAnswers(a)), jwtModule)
	sort.SliceStable(reqs, func(i, j int) bool {
		if reqs[i].Indirect != reqs[j].Indirect {
			return !reqs[i].Indirect
		}
		return reqs[i].Path < reqs[j].Path
	})
	return reqs
}

// GoSum is the go.sum of a's project.
func GoSum(a Answers) []byte {
	lines := strings.Split(strings.TrimSpace(string(service.GoSum(serviceAnswers(a)))+"\n"+jwtSum), "\n")
	sort.Strings(lines)
	return []byte(strings.Join(slices.Compact(lines), "\n") + "\n")
}

// ServiceFile builds the service.yaml description of the gateway.
func ServiceFile(a Answers) *servicefile.Service {
	return &servicefile.Service{
		Name: a.Name, Module: a.Module, Version: "0.1.0", Kind: "gateway",
		Protocols: []string{"http"}, Registry: a.Registry,
		Ports:      map[string]int{"http": a.HTTPPort},
		HealthPath: "/readyz",
		RateLimits: []servicefile.RateLimit{{Protocol: "http", Rate: a.RateLimit, Burst: a.RateBurst, Per: "client", Identity: "X-Client-ID"}},
		Deploy: &servicefile.Deploy{Replicas: 2, Resources: map[string]string{"cpu": "200m", "memory": "128Mi"},
			ReadyTime: "5s", Strategy: "rolling"},
	}
}

// Options are the inputs of one `msctl new gateway` run.
type Options struct {
	Answers      Answers
	Dir          string
	TemplatesDir string
	Force        bool
	MsctlVersion string
}

// Plan normalizes the answers and plans the rendering; nothing is written
// until the plan is applied. Answer errors are *service.InputError (exit 2).
func Plan(opts Options) (*scaffold.Plan, error) {
	a := opts.Answers
	if err := a.Normalize(); err != nil {
		return nil, &service.InputError{Err: err}
	}
	sf, err := servicefile.Marshal(ServiceFile(a))
	if err != nil {
		return nil, err
	}
	req := scaffold.Request{
		Set: SetName, Dir: opts.Dir, Data: NewData(a), Answers: a, Force: opts.Force,
		Extra: []scaffold.File{
			{Path: path.Clean(servicefile.FileName), Owner: scaffold.OwnerGenerated, Content: sf},
			{Path: "go.sum", Owner: scaffold.OwnerOnce, Content: GoSum(a)},
		},
	}
	e := &scaffold.Engine{Templates: templates.FS(), OverrideDir: opts.TemplatesDir, MsctlVersion: opts.MsctlVersion}
	return e.Plan(req)
}

// LoadAnswersFile reads an --answers YAML file; unknown keys are errors.
func LoadAnswersFile(file string) (Answers, error) {
	var a Answers
	b, err := os.ReadFile(file)
	if err != nil {
		return a, &service.InputError{Err: fmt.Errorf("reading answers: %w", err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		return a, &service.InputError{Err: fmt.Errorf("%s: %w", file, err)}
	}
	return a, nil
}

// LockedAnswers returns the answers recorded in dir's .msctl.lock, for
// --upgrade.
func LockedAnswers(dir string) (Answers, error) {
	var a Answers
	l, err := scaffold.ReadLock(dir)
	if err != nil {
		return a, &service.InputError{Err: err}
	}
	if l == nil {
		return a, &service.InputError{Err: fmt.Errorf("%s has no %s: it was not generated by msctl new", dir, scaffold.LockName)}
	}
	if l.Set != SetName {
		return a, &service.InputError{Err: fmt.Errorf("%s was generated from template set %q, not %q", dir, l.Set, SetName)}
	}
	if err := l.DecodeAnswers(&a); err != nil {
		return a, &service.InputError{Err: err}
	}
	return a, nil
}
