package registry

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/msctl/msctl/internal/config"
)

// Opener builds a Registry from resolved settings. It must not dial: the
// first call on the returned Registry does.
type Opener func(c config.Context) (Registry, error)

var (
	mu      sync.RWMutex
	openers = map[string]Opener{}
)

// RegisterKind makes a registry kind (and its aliases, e.g. zk for
// zookeeper) available to Open. Adapter packages call it from init; the
// package internal/registry/all imports every adapter.
func RegisterKind(kind string, aliases []string, o Opener) {
	mu.Lock()
	defer mu.Unlock()
	openers[kind] = o
	for _, a := range aliases {
		openers[a] = o
	}
}

// Kinds lists the registered kinds and aliases, sorted.
func Kinds() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(openers))
	for k := range openers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Open returns the adapter for c.Registry.
func Open(c config.Context) (Registry, error) {
	mu.RLock()
	o, ok := openers[strings.ToLower(c.Registry)]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown registry kind %q (known: %s)", c.Registry, strings.Join(Kinds(), ", "))
	}
	return o(c)
}
