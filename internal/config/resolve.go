package config

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// FlagNames maps each context setting to the command-line flag that
// overrides it. The TLS flags are named as the Consul CLI names them, so that
// they do not collide with a probe's own --cacert/--cert/--key/--insecure,
// which are about the probed target.
var FlagNames = map[string]string{
	"registry":   "registry",
	"address":    "address",
	"datacenter": "datacenter",
	"namespace":  "namespace",
	"partition":  "partition",
	"token":      "token",
	"token_file": "token-file",
	"ca_file":    "ca-file",
	"cert_file":  "client-cert",
	"key_file":   "client-key",
	"insecure":   "tls-skip-verify",
}

// EnvName is the environment variable that overrides a setting.
func EnvName(key string) string { return "MSCTL_" + strings.ToUpper(key) }

// Source says which layer a resolved setting came from.
type Source string

// The layers, from highest precedence to lowest.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "env"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
	SourceUnset   Source = ""
)

// Resolved is the configuration a command runs with.
type Resolved struct {
	// Path is the configuration file consulted (it may not exist).
	Path string `json:"config_file"`
	// ContextName is the selected context, empty when there is none.
	ContextName string `json:"context,omitempty"`
	// Context holds the effective settings after every layer is applied.
	Context Context `json:"settings"`
	// Sources says where each non-empty setting came from.
	Sources map[string]Source `json:"sources"`
}

// SelectContext picks the context name: the --context flag, then
// MSCTL_CONTEXT, then current_context from the file.
func SelectContext(f *File, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("MSCTL_CONTEXT"); env != "" {
		return env
	}
	return f.CurrentContext
}

// Resolve layers flags (those in fs that are set), MSCTL_* environment
// variables, the selected context of f and the defaults. fs may be nil or
// lack some flags. An unknown context name is an error.
func Resolve(path string, f *File, contextName string, fs *pflag.FlagSet) (*Resolved, error) {
	var ctx Context
	if contextName != "" {
		c, ok := f.Contexts[contextName]
		if !ok {
			known := f.ContextNames()
			if len(known) == 0 {
				return nil, fmt.Errorf("context %q not found: %s defines no contexts", contextName, path)
			}
			return nil, fmt.Errorf("context %q not found in %s (known: %s)", contextName, path, strings.Join(known, ", "))
		}
		ctx = *c
	}

	v := viper.New()
	v.SetEnvPrefix("MSCTL")
	v.AutomaticEnv()
	sources := map[string]Source{}
	for _, key := range ContextKeys {
		fileValue, _ := ctx.Get(key)
		if key == "insecure" && !ctx.Insecure {
			fileValue = ""
		}
		switch {
		case fileValue != "":
			v.SetDefault(key, fileValue)
		case Defaults[key] != "":
			v.SetDefault(key, Defaults[key])
		}
		if fs != nil {
			if fl := fs.Lookup(FlagNames[key]); fl != nil {
				if err := v.BindPFlag(key, fl); err != nil {
					return nil, fmt.Errorf("binding flag --%s: %w", fl.Name, err)
				}
			}
		}
		switch {
		case fs != nil && fs.Lookup(FlagNames[key]) != nil && fs.Changed(FlagNames[key]):
			sources[key] = SourceFlag
		case os.Getenv(EnvName(key)) != "":
			sources[key] = SourceEnv
		case fileValue != "":
			sources[key] = SourceFile
		case Defaults[key] != "":
			sources[key] = SourceDefault
		}
	}

	var eff Context
	for _, key := range ContextKeys {
		if err := eff.Set(key, v.GetString(key)); err != nil {
			if key == "insecure" {
				return nil, fmt.Errorf("%s: %w", EnvName(key), err)
			}
			return nil, err
		}
	}
	// A registry given as a URL (consul://host:8500, k8s://ctx) carries its
	// address; the address setting still wins when it was given at a layer at
	// least as high.
	if kind, rest, ok := strings.Cut(eff.Registry, "://"); ok {
		eff.Registry = kind
		if rest != "" && rank(sources["address"]) <= rank(sources["registry"]) {
			eff.Address = rest
			sources["address"] = sources["registry"]
		}
	}
	return &Resolved{Path: path, ContextName: contextName, Context: eff, Sources: sources}, nil
}

// rank orders sources by precedence: a higher rank wins.
func rank(s Source) int {
	switch s {
	case SourceFlag:
		return 4
	case SourceEnv:
		return 3
	case SourceFile:
		return 2
	case SourceDefault:
		return 1
	}
	return 0
}

// SortedKeys returns the keys of m in the order of ContextKeys.
func SortedKeys(m map[string]Source) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	order := map[string]int{}
	for i, k := range ContextKeys {
		order[k] = i
	}
	sort.Slice(keys, func(i, j int) bool { return order[keys[i]] < order[keys[j]] })
	return keys
}
