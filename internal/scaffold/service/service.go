// Package service renders the "service" template set: a Go microservice
// with the protocols the user picks. It validates the answers, derives what
// the templates need (Go module requirements, ports), builds service.yaml
// through internal/servicefile, and hands the rest to the scaffold engine.
package service

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/msctl/msctl/internal/scaffold"
	"github.com/msctl/msctl/internal/servicefile"
)

// SetName is the template set this package renders.
const SetName = "service"

// Answers are the questions `msctl new service` asks; every one is also a
// flag and a key of the --answers file.
type Answers struct {
	Name      string   `yaml:"name" json:"name"`
	Module    string   `yaml:"module" json:"module"`
	Protocols []string `yaml:"protocols" json:"protocols"`
	Registry  string   `yaml:"registry" json:"registry"`
	Broker    string   `yaml:"broker,omitempty" json:"broker,omitempty"`
	HTTPPort  int      `yaml:"http_port,omitempty" json:"http_port,omitempty"`
	GRPCPort  int      `yaml:"grpc_port,omitempty" json:"grpc_port,omitempty"`
	RateLimit float64  `yaml:"rate_limit,omitempty" json:"rate_limit,omitempty"`
	RateBurst int      `yaml:"rate_burst,omitempty" json:"rate_burst,omitempty"`
}

// Option is one choice listed by `msctl new --list`.
type Option struct {
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Protocols, Registries and Brokers are the supported choices.
var (
	Protocols = []Option{
		{"protocol", "http", "REST API with versioned routes (/v1/...) and an OpenAPI document"},
		{"protocol", "grpc", "gRPC API in a versioned proto package (NAME.v1) with committed stubs, health v1 and reflection"},
		{"protocol", "graphql", "schema-first GraphQL at /v1/graphql (api/schema.graphql) with a query and a mutation"},
		{"protocol", "websocket", "WebSocket hub at /v1/ws: broadcast to all connections and per-connection echo"},
		{"protocol", "events", "publish/subscribe over --broker with a transactional outbox in SQLite drained by a relay"},
	}
	Registries = []Option{
		{"registry", "consul", "register in Consul with an HTTP health check; deregister on shutdown"},
		{"registry", "etcd", "register in etcd under a lease kept alive (heartbeat); revoke it on shutdown"},
		{"registry", "none", "no registry; call other services at fixed addresses"},
	}
	Brokers = []Option{
		{"broker", "nats", "NATS (core, queue groups); tested against an embedded nats-server"},
		{"broker", "amqp", "RabbitMQ over AMQP 0-9-1 with publisher confirms and durable queues"},
		{"broker", "kafka", "Kafka via franz-go with consumer groups; tested against kfake"},
	}
)

// Settings lists the other answers with their defaults, for --list.
var Settings = []Option{
	{"option", "module", "Go module path of the new project (default example.com/NAME)"},
	{"option", "http_port", "HTTP port for the API, health and metrics (default 8080)"},
	{"option", "grpc_port", "gRPC port (default 9090)"},
	{"option", "rate_limit", "requests per second allowed per client (default 100)"},
	{"option", "rate_burst", "burst allowed per client (default 50)"},
}

// Names returns the names of options.
func Names(opts []Option) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Name
	}
	return out
}

var (
	nameRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}[a-z0-9]$|^[a-z]$`) })
	moduleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]*(/[A-Za-z0-9._~-]+)*$`) })
)

// CheckNameAndModule validates a project's name (kind says what it names,
// e.g. "service" or "gateway") and Go module path, defaulting the module to
// example.com/NAME. Every template set names projects the same way.
func CheckNameAndModule(kind, name string, module *string) error {
	if !nameRE().MatchString(name) {
		return fmt.Errorf("%s name %q: use lower-case letters, digits and dashes, starting with a letter (at most 42)", kind, name)
	}
	if *module == "" {
		*module = "example.com/" + name
	}
	if !moduleRE().MatchString(*module) || strings.Contains(*module, "..") {
		return fmt.Errorf("module path %q is not a valid Go module path", *module)
	}
	return nil
}

// Normalize fills defaults and validates; errors are one line naming the
// answer.
func (a *Answers) Normalize() error {
	if err := CheckNameAndModule("service", a.Name, &a.Module); err != nil {
		return err
	}
	if len(a.Protocols) == 0 {
		a.Protocols = []string{"http"}
	}
	var ps []string
	for _, p := range a.Protocols {
		p = strings.TrimSpace(strings.ToLower(p))
		if !slices.Contains(Names(Protocols), p) {
			return fmt.Errorf("protocol %q: use one or more of %s", p, strings.Join(Names(Protocols), ", "))
		}
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	// Keep a canonical order so that the lock and the output do not depend
	// on how the flag was typed.
	slices.SortFunc(ps, func(x, y string) int {
		return slices.Index(Names(Protocols), x) - slices.Index(Names(Protocols), y)
	})
	a.Protocols = ps
	if a.Registry == "" {
		a.Registry = "consul"
	}
	if !slices.Contains(Names(Registries), a.Registry) {
		return fmt.Errorf("registry %q: use one of %s", a.Registry, strings.Join(Names(Registries), ", "))
	}
	switch {
	case a.Has("events") && a.Broker == "":
		a.Broker = "nats"
	case !a.Has("events") && a.Broker != "":
		return fmt.Errorf("broker %q needs the events protocol", a.Broker)
	}
	if a.Broker != "" && !slices.Contains(Names(Brokers), a.Broker) {
		return fmt.Errorf("broker %q: use one of %s", a.Broker, strings.Join(Names(Brokers), ", "))
	}
	if a.HTTPPort == 0 {
		a.HTTPPort = 8080
	}
	if a.GRPCPort == 0 {
		a.GRPCPort = 9090
	}
	if a.RateLimit == 0 {
		a.RateLimit = 100
	}
	if a.RateBurst == 0 {
		a.RateBurst = 50
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"http_port", a.HTTPPort}, {"grpc_port", a.GRPCPort}} {
		if p.v < 1 || p.v > 65535 {
			return fmt.Errorf("%s %d is not a port", p.name, p.v)
		}
	}
	if a.RateLimit < 0 || a.RateBurst < 0 {
		return fmt.Errorf("rate_limit and rate_burst must be positive")
	}
	return nil
}

// Has reports whether the service speaks protocol p.
func (a *Answers) Has(p string) bool { return slices.Contains(a.Protocols, p) }

// Data is what the templates see.
type Data struct {
	Answers
	GoVersion string
	Requires  []Require
	// ProtoPackage is the versioned proto package (orders.v1), GoProtoPackage
	// the Go package name of its stubs (ordersv1), ProtoService the service
	// name (OrdersService).
	ProtoPackage   string
	GoProtoPackage string
	ProtoService   string
	// BrokerURL is the default broker address for the chosen broker.
	BrokerURL string
}

// NewData derives the template data from normalized answers.
func NewData(a Answers) Data {
	flat := strings.ReplaceAll(a.Name, "-", "")
	camel := ""
	for _, w := range strings.Split(a.Name, "-") {
		camel += strings.ToUpper(w[:1]) + w[1:]
	}
	return Data{
		Answers: a, GoVersion: GoVersion, Requires: Requirements(a),
		ProtoPackage:   strings.ReplaceAll(a.Name, "-", "_") + ".v1",
		GoProtoPackage: flat + "v1",
		ProtoService:   camel + "Service",
		BrokerURL:      brokerURLs[a.Broker],
	}
}

var brokerURLs = map[string]string{
	"nats":  "nats://127.0.0.1:4222",
	"amqp":  "amqp://guest:guest@127.0.0.1:5672/",
	"kafka": "kafka://127.0.0.1:9092",
}

// ServiceFile builds the service.yaml description of the project.
func ServiceFile(a Answers) *servicefile.Service {
	s := &servicefile.Service{
		Name: a.Name, Module: a.Module, Version: "0.1.0", Kind: "service",
		Protocols: a.Protocols, Registry: a.Registry, Broker: a.Broker,
		Ports:      map[string]int{"http": a.HTTPPort},
		HealthPath: "/readyz",
		RateLimits: []servicefile.RateLimit{{Protocol: "http", Rate: a.RateLimit, Burst: a.RateBurst, Per: "client", Identity: "X-Client-ID"}},
		Deploy: &servicefile.Deploy{Replicas: 2, Resources: map[string]string{"cpu": "100m", "memory": "64Mi"},
			ReadyTime: "5s", Strategy: "rolling"},
	}
	if a.Has("http") {
		s.APIs = append(s.APIs, servicefile.API{Kind: "openapi", Path: "api/openapi.yaml"})
	}
	if a.Has("graphql") {
		s.APIs = append(s.APIs, servicefile.API{Kind: "graphql", Path: "api/schema.graphql"})
	}
	if a.Has("grpc") {
		s.Ports["grpc"] = a.GRPCPort
		s.APIs = append(s.APIs, servicefile.API{Kind: "proto", Path: path.Join(ProtoRoot, a.Name, "v1", a.Name+".proto"), ImportPaths: []string{ProtoRoot}})
		s.RateLimits = append(s.RateLimits, servicefile.RateLimit{Protocol: "grpc", Rate: a.RateLimit, Burst: a.RateBurst, Per: "client", Identity: "x-client-id"})
	}
	return s
}

// Request builds the engine request that renders a into dir.
func Request(a Answers, dir string, force bool) (scaffold.Request, error) {
	sf, err := servicefile.Marshal(ServiceFile(a))
	if err != nil {
		return scaffold.Request{}, err
	}
	return scaffold.Request{
		Set: SetName, Dir: dir, Data: NewData(a), Answers: a, Force: force,
		Extra: []scaffold.File{
			{Path: path.Clean(servicefile.FileName), Owner: scaffold.OwnerGenerated, Content: sf},
			// go.sum comes with go.mod so that the project builds without
			// `go mod tidy`; both are yours afterwards.
			{Path: "go.sum", Owner: scaffold.OwnerOnce, Content: GoSum(a)},
		},
		Derive: protoStubs,
	}, nil
}
