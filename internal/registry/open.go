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

// A Kind describes one registry adapter. It is everything the rest of
// msctl knows about the kind: the --registry help and completion, the
// completion of `registry diff --from/--to`, the table of
// docs/registry-adapters.md and the address used when none is set all
// come from the registered Kinds, so adding a registry is one folder that
// calls RegisterKind plus one import line in internal/registry/all.
type Kind struct {
	// Name is the kind as written in --registry and contexts: "zookeeper".
	Name string
	// Title is the product's name for people: "ZooKeeper".
	Title string
	// Scheme is the URL scheme the help and completion show ("zk");
	// Name when empty. It must be Name or one of Aliases.
	Scheme string
	// Aliases are other names Open accepts ("zk").
	Aliases []string
	// URL is the address form after the scheme, for help and docs:
	// "HOST:PORT[,HOST:PORT...][/BASE]".
	URL string
	// DefaultAddress is used when no address is set ("" when the kind has
	// none, such as a kubeconfig's current context).
	DefaultAddress string
	// Default says in words what an empty address means, for docs
	// ("127.0.0.1:2181, base /services"); DefaultAddress when empty.
	Default string
	// Open builds the adapter; it must not dial.
	Open Opener
}

// URLScheme is the scheme the kind is shown with.
func (k Kind) URLScheme() string {
	if k.Scheme != "" {
		return k.Scheme
	}
	return k.Name
}

// URLForm is the kind's full registry URL form: "zk://HOST:PORT...".
func (k Kind) URLForm() string { return k.URLScheme() + "://" + k.URL }

// DefaultText is what an empty address means, for docs.
func (k Kind) DefaultText() string {
	if k.Default != "" {
		return k.Default
	}
	return k.DefaultAddress
}

var (
	mu    sync.RWMutex
	kinds = map[string]Kind{}   // by Name
	names = map[string]string{} // name or alias -> Name
)

// RegisterKind makes a registry kind available to Open and to every place
// that lists kinds. Adapter packages call it from init; the package
// internal/registry/all imports every adapter. A kind without a Name,
// Open or URL, or a name taken twice, is a programming error.
func RegisterKind(k Kind) {
	if k.Name == "" || k.Open == nil || k.URL == "" || k.Title == "" {
		panic(fmt.Sprintf("registry.RegisterKind: kind %q needs Name, Title, URL and Open", k.Name))
	}
	mu.Lock()
	defer mu.Unlock()
	all := append([]string{k.Name}, k.Aliases...)
	if k.Scheme != "" && !containsFold(all, k.Scheme) {
		panic(fmt.Sprintf("registry.RegisterKind: kind %q: scheme %q is neither its name nor an alias", k.Name, k.Scheme))
	}
	for _, n := range all {
		n = strings.ToLower(n)
		if prev, ok := names[n]; ok {
			panic(fmt.Sprintf("registry.RegisterKind: %q is taken by kind %q", n, prev))
		}
		names[n] = k.Name
	}
	kinds[k.Name] = k
}

func containsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// AllKinds returns the registered kinds sorted by name, Consul first:
// it is the default kind and the first one help names.
func AllKinds() []Kind {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == "consul") != (out[j].Name == "consul") {
			return out[i].Name == "consul"
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// LookupKind finds a kind by its name or an alias, in any case.
func LookupKind(name string) (Kind, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := kinds[names[strings.ToLower(name)]]
	return k, ok
}

// Kinds lists the registered kinds and aliases, sorted.
func Kinds() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// URLSchemes lists "SCHEME://" for every kind, for completion.
func URLSchemes() []string {
	var out []string
	for _, k := range AllKinds() {
		out = append(out, k.URLScheme()+"://")
	}
	return out
}

// Open returns the adapter for c.Registry, with the kind's default
// address when c has none.
func Open(c config.Context) (Registry, error) {
	k, ok := LookupKind(c.Registry)
	if !ok {
		return nil, fmt.Errorf("unknown registry kind %q (known: %s)", c.Registry, strings.Join(Kinds(), ", "))
	}
	if c.Address == "" {
		c.Address = k.DefaultAddress
	}
	return k.Open(c)
}
