// Package cmdutil holds what every msctl command shares: the Factory that
// hands out lazily built dependencies, and helpers for flags, arguments and
// output. It holds no business logic.
package cmdutil

import (
	"os"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/registry"
)

// Factory gives commands their dependencies. Everything that may touch the
// disk or the network is built on first use, so that `msctl --help` and
// shell completion never read a config file or dial a registry.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
	// Now is the clock; tests replace it.
	Now func() time.Time

	// ConfigFlag and ContextFlag are bound to the root's --config and
	// --context flags.
	ConfigFlag  string
	ContextFlag string

	once      sync.Once
	cfg       *config.File
	cfgExists bool
	cfgErr    error
}

// New returns a Factory bound to the process's streams and environment.
func New(ios *iostreams.IOStreams) *Factory {
	return &Factory{IOStreams: ios, Getenv: os.Getenv, Now: time.Now}
}

// ConfigPath is the configuration file in effect: --config, then
// $MSCTL_CONFIG, then the default under $XDG_CONFIG_HOME.
func (f *Factory) ConfigPath() string {
	if f.ConfigFlag != "" {
		return f.ConfigFlag
	}
	if p := f.Getenv("MSCTL_CONFIG"); p != "" {
		return p
	}
	return config.DefaultPath(f.Getenv)
}

// explicitConfig reports whether the user named a configuration file, in
// which case its absence is an error rather than an empty configuration.
func (f *Factory) explicitConfig() bool {
	return f.ConfigFlag != "" || f.Getenv("MSCTL_CONFIG") != ""
}

// Config loads the configuration file once. A malformed file is a usage
// error whose message names the file, line and problem.
func (f *Factory) Config() (*config.File, bool, error) {
	f.once.Do(func() {
		path := f.ConfigPath()
		f.cfg, f.cfgExists, f.cfgErr = config.Load(path)
		if f.cfgErr != nil {
			f.cfgErr = exitcode.UsageError(f.cfgErr, "")
			return
		}
		if !f.cfgExists && f.explicitConfig() {
			f.cfgErr = exitcode.UsageError(
				&config.ParseError{Path: path, Problem: "no such file"},
				"create it with `msctl config set contexts.NAME.address HOST:PORT`")
		}
	})
	return f.cfg, f.cfgExists, f.cfgErr
}

// Resolve returns the settings a command runs with, layering the flags set
// in fs over the environment, the selected context and the defaults.
func (f *Factory) Resolve(fs *pflag.FlagSet) (*config.Resolved, error) {
	cfg, _, err := f.Config()
	if err != nil {
		return nil, err
	}
	name := config.SelectContext(cfg, f.ContextFlag)
	r, err := config.Resolve(f.ConfigPath(), cfg, name, fs)
	if err != nil {
		return nil, exitcode.UsageError(err, "list contexts with `msctl config get-contexts`")
	}
	// The address nobody set is the kind's own default, shown as such.
	if r.Context.Address == "" {
		if k, ok := registry.LookupKind(r.Context.Registry); ok && k.DefaultAddress != "" {
			r.Context.Address = k.DefaultAddress
			r.Sources["address"] = config.SourceDefault
		}
	}
	return r, nil
}
