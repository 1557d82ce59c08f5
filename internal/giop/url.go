package giop

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultPort is the IIOP port a corbaloc address without one uses
// (CORBA 3.x, 13.6.10.3).
const DefaultPort = 2809

// Endpoint is one IIOP address of an object, with the GIOP version to
// speak there first.
type Endpoint struct {
	Host  string `json:"host"`
	Port  uint16 `json:"port"`
	Major byte   `json:"major"`
	Minor byte   `json:"minor"`
}

// Address is host:port.
func (e Endpoint) Address() string { return joinHostPort(e.Host, e.Port) }

// ObjectRef is what a probe talks to: the endpoints to try in order and
// the object key to address there.
type ObjectRef struct {
	Endpoints []Endpoint
	Key       []byte
	TypeID    string
}

// Corbaname is a parsed corbaname URL: the naming context to ask and the
// name to resolve in it.
type Corbaname struct {
	Context ObjectRef
	Name    Name
}

// NameComponent is one id.kind part of a CosNaming name.
type NameComponent struct {
	ID   string `json:"id"`
	Kind string `json:"kind,omitempty"`
}

// Name is a CosNaming name.
type Name []NameComponent

// String renders the name in the stringified form (a/b.kind).
func (n Name) String() string {
	var parts []string
	for _, c := range n {
		s := escapeName(c.ID)
		if c.Kind != "" {
			s += "." + escapeName(c.Kind)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "/")
}

func escapeName(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "/", `\/`, ".", `\.`)
	return r.Replace(s)
}

// ParseName parses a stringified CosNaming name (CORBA Naming 2.4): "/"
// separates components, "." separates id from kind, "\" escapes.
func ParseName(s string) (Name, error) {
	if s == "" {
		return nil, errors.New("empty name")
	}
	var name Name
	var cur NameComponent
	var b strings.Builder
	inKind := false
	flush := func() error {
		if inKind {
			cur.Kind = b.String()
		} else {
			cur.ID = b.String()
		}
		if cur.ID == "" && cur.Kind == "" && !inKind {
			return fmt.Errorf("invalid name %q: empty component", s)
		}
		name = append(name, cur)
		cur, inKind = NameComponent{}, false
		b.Reset()
		return nil
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("invalid name %q: ends with \\", s)
			}
			i++
			b.WriteByte(s[i])
		case '/':
			if err := flush(); err != nil {
				return nil, err
			}
		case '.':
			if inKind {
				return nil, fmt.Errorf("invalid name %q: two dots in a component", s)
			}
			cur.ID, inKind = b.String(), true
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return name, nil
}

// ParseCorbaloc parses corbaloc:[iiop]:[major.minor@]host[:port][,...]/key.
func ParseCorbaloc(s string) (*ObjectRef, error) {
	rest, ok := cutPrefixFold(s, "corbaloc:")
	if !ok {
		return nil, fmt.Errorf("invalid corbaloc URL %q: want corbaloc::HOST[:PORT]/KEY", s)
	}
	addrs, key, found := strings.Cut(rest, "/")
	if !found || key == "" {
		return nil, fmt.Errorf("invalid corbaloc URL %q: no object key after /", s)
	}
	ref, err := parseAddrList(s, addrs)
	if err != nil {
		return nil, err
	}
	k, err := url.PathUnescape(key)
	if err != nil {
		return nil, fmt.Errorf("invalid corbaloc URL %q: object key: %w", s, err)
	}
	ref.Key = []byte(k)
	return ref, nil
}

// ParseCorbaname parses corbaname:[iiop]:host[:port][,...][/key]#name; the
// key defaults to NameService.
func ParseCorbaname(s string) (*Corbaname, error) {
	rest, ok := cutPrefixFold(s, "corbaname:")
	if !ok {
		return nil, fmt.Errorf("invalid corbaname URL %q: want corbaname::HOST[:PORT]#NAME", s)
	}
	loc, frag, _ := strings.Cut(rest, "#")
	addrs, key, _ := strings.Cut(loc, "/")
	if key == "" {
		key = "NameService"
	}
	ref, err := parseAddrList(s, addrs)
	if err != nil {
		return nil, err
	}
	k, err := url.PathUnescape(key)
	if err != nil {
		return nil, fmt.Errorf("invalid corbaname URL %q: key: %w", s, err)
	}
	ref.Key = []byte(k)
	frag, err = url.PathUnescape(frag)
	if err != nil {
		return nil, fmt.Errorf("invalid corbaname URL %q: name: %w", s, err)
	}
	cn := &Corbaname{Context: *ref}
	if frag != "" {
		if cn.Name, err = ParseName(frag); err != nil {
			return nil, fmt.Errorf("invalid corbaname URL %q: %w", s, err)
		}
	}
	return cn, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// parseAddrList parses the comma-separated obj_addr list of a corbaloc or
// corbaname URL (each "iiop:" or ":" then [version@]host[:port]).
func parseAddrList(full, list string) (*ObjectRef, error) {
	ref := &ObjectRef{}
	for _, a := range strings.Split(list, ",") {
		switch {
		case strings.HasPrefix(a, ":"):
			a = a[1:]
		case strings.HasPrefix(strings.ToLower(a), "iiop:"):
			a = a[5:]
		case strings.HasPrefix(strings.ToLower(a), "rir:"):
			return nil, fmt.Errorf("invalid URL %q: rir: addresses need a local ORB; give the host", full)
		default:
			return nil, fmt.Errorf("invalid URL %q: address %q: want :HOST[:PORT] or iiop:HOST[:PORT]", full, a)
		}
		ep := Endpoint{Major: 1, Minor: 2}
		if v, hp, ok := strings.Cut(a, "@"); ok {
			maj, min, ok := strings.Cut(v, ".")
			mj, err1 := strconv.Atoi(maj)
			mn, err2 := strconv.Atoi(min)
			if !ok || err1 != nil || err2 != nil || mj != 1 || mn < 0 || mn > 2 {
				return nil, fmt.Errorf("invalid URL %q: IIOP version %q: want 1.0, 1.1 or 1.2", full, v)
			}
			ep.Major, ep.Minor, a = byte(mj), byte(mn), hp
		}
		host, port := a, DefaultPort
		if h, p, err := net.SplitHostPort(a); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return nil, fmt.Errorf("invalid URL %q: port %q", full, p)
			}
			host, port = h, n
		} else if strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]") {
			host = a[1 : len(a)-1]
		}
		if host == "" {
			return nil, fmt.Errorf("invalid URL %q: address %q has no host", full, a)
		}
		ep.Host, ep.Port = host, uint16(port)
		ref.Endpoints = append(ref.Endpoints, ep)
	}
	return ref, nil
}

// RefFromIOR makes the probe's view of an IOR: its IIOP profiles' addresses
// (and alternate addresses), and the first profile's object key.
func RefFromIOR(r *IOR) (*ObjectRef, error) {
	ps := r.IIOP()
	if len(ps) == 0 {
		return nil, errors.New("the IOR has no IIOP profile to connect to")
	}
	ref := &ObjectRef{Key: ps[0].ObjectKey, TypeID: r.TypeID}
	for _, p := range ps {
		ref.Endpoints = append(ref.Endpoints, Endpoint{Host: p.Host, Port: p.Port, Major: 1, Minor: min(p.Minor, 2)})
		for _, c := range p.Components {
			if c.Tag == TagAlternateIIOPAddress && c.Text != "" {
				h, ps, err := net.SplitHostPort(c.Text)
				if n, err2 := strconv.Atoi(ps); err == nil && err2 == nil {
					ref.Endpoints = append(ref.Endpoints, Endpoint{Host: h, Port: uint16(n), Major: 1, Minor: min(p.Minor, 2)})
				}
			}
		}
	}
	return ref, nil
}

func joinHostPort(host string, port uint16) string {
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}
