package service

import (
	"sort"
	"strings"

	"golang.org/x/mod/semver"
)

// GoVersion is the go directive of generated projects: the version msctl
// itself is built and tested with.
const GoVersion = "1.26.7"

// Require is one line of the generated go.mod's require block.
type Require struct {
	Path     string
	Version  string
	Indirect bool
}

// Direct module versions generated projects pin, per feature. Where msctl's
// own go.mod requires the same module, the version is the same
// (TestVersionsMatchMsctl), so a generated project builds with what msctl
// was tested with. The indirect requirements and go.sum lines of each
// feature are in deps_gen.go, written by `go run ./internal/scaffold/service/gendeps`
// (which runs go mod tidy on a project with that feature).
var directRequires = map[string][]Require{
	"base": {
		{Path: "github.com/prometheus/client_golang", Version: "v1.23.2"},
		{Path: "golang.org/x/sync", Version: "v0.24.0"},
		{Path: "golang.org/x/time", Version: "v0.16.0"},
	},
	"consul": {
		{Path: "github.com/hashicorp/consul/api", Version: "v1.34.5"},
	},
	"websocket": {
		{Path: "github.com/coder/websocket", Version: "v1.8.15"},
	},
	"graphql": {
		{Path: "github.com/graph-gophers/graphql-go", Version: "v1.11.0"},
	},
	"etcd": {
		{Path: "go.etcd.io/etcd/client/v3", Version: "v3.7.3"},
		{Path: "go.uber.org/zap", Version: "v1.27.1"},
	},
	"events": {
		{Path: "modernc.org/sqlite", Version: "v1.62.0"},
	},
	"nats": {
		{Path: "github.com/nats-io/nats.go", Version: "v1.55.0"},
		{Path: "github.com/nats-io/nats-server/v2", Version: "v2.15.3"},
	},
	"amqp": {
		{Path: "github.com/rabbitmq/amqp091-go", Version: "v1.16.0"},
	},
	"kafka": {
		{Path: "github.com/twmb/franz-go", Version: "v1.22.3"},
		{Path: "github.com/twmb/franz-go/pkg/kfake", Version: "v0.0.0-20260918054303-01f206a7e32c"},
	},
	"grpc": {
		{Path: "google.golang.org/grpc", Version: "v1.83.2"},
		{Path: "google.golang.org/protobuf", Version: "v1.36.12"},
	},
}

// Features lists the dependency features a's project needs, "base" first.
func Features(a Answers) []string {
	fs := []string{"base"}
	if a.Registry == "consul" || a.Registry == "etcd" {
		fs = append(fs, a.Registry)
	}
	if a.Has("grpc") {
		fs = append(fs, "grpc")
	}
	if a.Has("websocket") {
		fs = append(fs, "websocket")
	}
	if a.Has("graphql") {
		fs = append(fs, "graphql")
	}
	if a.Has("events") {
		fs = append(fs, "events", a.Broker)
	}
	return fs
}

// Direct lists the direct requirements alone (what gendeps starts from).
func Direct(a Answers) []Require {
	var reqs []Require
	for _, f := range Features(a) {
		reqs = append(reqs, directRequires[f]...)
	}
	return merge(reqs)
}

// MissingRequires returns the direct requirements of a's features that
// the go.mod text lacks or requires at a lower version: after adding a
// protocol to an existing project, whose go.mod is the user's, these need
// a `go get`.
func MissingRequires(a Answers, gomod []byte) []Require {
	have := map[string]string{}
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && semver.IsValid(f[1]) {
			have[f[0]] = f[1]
		}
	}
	var out []Require
	for _, r := range Direct(a) {
		if v, ok := have[r.Path]; !ok || semver.Compare(v, r.Version) < 0 {
			out = append(out, r)
		}
	}
	return out
}

// Requirements lists the full go.mod requirements for a's features: the
// modules go mod tidy listed for each feature, at the version tidy chose
// for the project with every feature ("all"). Features interact (one
// feature's dependency can raise another's indirect requirement), and the
// all-feature versions are the highest any combination selects, so the
// list is consistent for every combination; go.sum holds the lines of all.
func Requirements(a Answers) []Require {
	all := map[string]string{}
	for _, v := range allVariants {
		for _, r := range tidyRequires()[v] {
			if semver.Compare(r.Version, all[r.Path]) > 0 {
				all[r.Path] = r.Version
			}
		}
	}
	var reqs []Require
	for _, f := range Features(a) {
		reqs = append(reqs, directRequires[f]...)
		reqs = append(reqs, tidyRequires()[f]...)
	}
	for i, r := range reqs {
		if v, ok := all[r.Path]; ok {
			reqs[i].Version = v
		}
	}
	direct := map[string]bool{}
	for _, r := range Direct(a) {
		direct[r.Path] = true
	}
	for i := range reqs {
		reqs[i].Indirect = !direct[reqs[i].Path]
	}
	return merge(reqs)
}

// GoSum is the union of the features' go.sum lines and those of the
// all-feature project (whose versions Requirements uses).
func GoSum(a Answers) []byte {
	seen := map[string]bool{}
	var lines []string
	for _, f := range append(Features(a), allVariants...) {
		for _, l := range strings.Split(goSums()[f], "\n") {
			if l != "" && !seen[l] {
				seen[l] = true
				lines = append(lines, l)
			}
		}
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// merge keeps one line per module at the highest version, sorted as go
// mod tidy sorts them (direct first).
func merge(reqs []Require) []Require {
	by := map[string]Require{}
	for _, r := range reqs {
		if prev, ok := by[r.Path]; ok {
			if semver.Compare(r.Version, prev.Version) <= 0 {
				continue
			}
			r.Indirect = r.Indirect && prev.Indirect
		}
		by[r.Path] = r
	}
	out := make([]Require, 0, len(by))
	for _, r := range by {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Indirect != out[j].Indirect {
			return !out[i].Indirect
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// Variant is a project that exercises one dependency feature.
type Variant struct {
	Feature string
	Answers Answers
}

// allVariants have every feature, one per broker (a project has one).
var allVariants = []string{"all-nats", "all-amqp", "all-kafka", "all-etcd"}

// DependencyVariants are the projects gendeps tidies, one per feature and
// one with all of them.
func DependencyVariants() []Variant {
	return []Variant{
		{"all-nats", Answers{Name: "all", Protocols: Names(Protocols), Broker: "nats", Registry: "consul"}},
		{"all-amqp", Answers{Name: "all", Protocols: Names(Protocols), Broker: "amqp", Registry: "consul"}},
		{"all-kafka", Answers{Name: "all", Protocols: Names(Protocols), Broker: "kafka", Registry: "consul"}},
		{"base", Answers{Name: "base", Protocols: []string{"http"}, Registry: "none"}},
		{"consul", Answers{Name: "consul", Protocols: []string{"http"}, Registry: "consul"}},
		{"etcd", Answers{Name: "etcd", Protocols: []string{"http"}, Registry: "etcd"}},
		{"all-etcd", Answers{Name: "all", Protocols: Names(Protocols), Broker: "nats", Registry: "etcd"}},
		{"grpc", Answers{Name: "grpc", Protocols: []string{"grpc"}, Registry: "none"}},
		{"nats", Answers{Name: "nats", Protocols: []string{"events"}, Broker: "nats", Registry: "none"}},
		{"amqp", Answers{Name: "amqp", Protocols: []string{"events"}, Broker: "amqp", Registry: "none"}},
		{"kafka", Answers{Name: "kafka", Protocols: []string{"events"}, Broker: "kafka", Registry: "none"}},
		{"graphql", Answers{Name: "graphql", Protocols: []string{"graphql"}, Registry: "none"}},
		{"websocket", Answers{Name: "websocket", Protocols: []string{"websocket"}, Registry: "none"}},
	}
}
