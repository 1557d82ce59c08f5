// Package servicefile reads and writes service.yaml, the description of a
// service that `msctl new` writes and that the other commands read: its
// name, protocols, ports, API files, declared rate limits and deployment
// defaults. Field names are snake_case and stable.
package servicefile

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// FileName is the conventional name of the file in a service's root.
const FileName = "service.yaml"

// API is one API description file of the service.
type API struct {
	// Kind is proto, openapi or graphql.
	Kind string `yaml:"kind" json:"kind"`
	// Path is relative to the folder holding service.yaml.
	Path string `yaml:"path" json:"path"`
	// ImportPaths are extra proto import folders (-I), relative.
	ImportPaths []string `yaml:"import_paths,omitempty" json:"import_paths,omitempty"`
}

// RateLimit is a declared limit, which `msctl ratelimit verify` checks.
type RateLimit struct {
	// Protocol is http or grpc.
	Protocol string `yaml:"protocol" json:"protocol"`
	// Path or method the limit applies to; empty means every request.
	Route string `yaml:"route,omitempty" json:"route,omitempty"`
	// Rate in requests per second.
	Rate float64 `yaml:"rate" json:"rate"`
	// Burst is the bucket size.
	Burst int `yaml:"burst" json:"burst"`
	// Per is "client" (keyed by client identity) or "global".
	Per string `yaml:"per,omitempty" json:"per,omitempty"`
	// Identity is the header that names the client, when Per is client.
	Identity string `yaml:"identity,omitempty" json:"identity,omitempty"`
}

// Deploy holds the defaults `msctl deploy plan --from service.yaml` uses.
type Deploy struct {
	Replicas  int               `yaml:"replicas,omitempty" json:"replicas,omitempty"`
	Resources map[string]string `yaml:"resources,omitempty" json:"resources,omitempty"`
	ReadyTime string            `yaml:"ready_time,omitempty" json:"ready_time,omitempty"`
	Strategy  string            `yaml:"strategy,omitempty" json:"strategy,omitempty"`
	RPS       float64           `yaml:"rps,omitempty" json:"rps,omitempty"`
}

// Service is the whole file.
type Service struct {
	Name      string         `yaml:"name" json:"name"`
	Module    string         `yaml:"module,omitempty" json:"module,omitempty"`
	Version   string         `yaml:"version,omitempty" json:"version,omitempty"`
	Kind      string         `yaml:"kind,omitempty" json:"kind,omitempty"` // service or gateway
	Protocols []string       `yaml:"protocols" json:"protocols"`
	Ports     map[string]int `yaml:"ports,omitempty" json:"ports,omitempty"`
	Registry  string         `yaml:"registry,omitempty" json:"registry,omitempty"`
	Broker    string         `yaml:"broker,omitempty" json:"broker,omitempty"`
	APIs      []API          `yaml:"apis,omitempty" json:"apis,omitempty"`
	// HealthPath is the HTTP readiness path probes use.
	HealthPath string      `yaml:"health_path,omitempty" json:"health_path,omitempty"`
	RateLimits []RateLimit `yaml:"rate_limits,omitempty" json:"rate_limits,omitempty"`
	Deploy     *Deploy     `yaml:"deploy,omitempty" json:"deploy,omitempty"`
}

// Parse decodes a service file; path is used in errors, which name the line.
func Parse(path string, b []byte) (*Service, error) {
	var s Service
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Name == "" {
		return nil, fmt.Errorf("%s: name is missing", path)
	}
	for i, a := range s.APIs {
		switch a.Kind {
		case "proto", "openapi", "graphql":
		default:
			return nil, fmt.Errorf("%s: apis[%d]: kind %q is not proto, openapi or graphql", path, i, a.Kind)
		}
	}
	return &s, nil
}

// Load reads and parses the service file at path.
func Load(path string) (*Service, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading service file: %w", err)
	}
	return Parse(path, b)
}

// Marshal encodes s as YAML.
func Marshal(s *Service) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
