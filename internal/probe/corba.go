package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/giop"
)

// The CORBA probe's own phases: resolve (corbaname only, CosNaming
// resolve), locate (GIOP LocateRequest, forwards followed) and call
// (_non_existent or _is_a).
const (
	PhaseResolve = "resolve"
	PhaseLocate  = "locate"
)

// DefaultCorbaForwards bounds how many OBJECT_FORWARD and LOCATION_FORWARD
// replies a probe follows, so that two ORBs forwarding to each other
// cannot hold it.
const DefaultCorbaForwards = 5

// CorbaOptions configure a CORBA probe.
type CorbaOptions struct {
	// Target is corbaloc::HOST[:PORT][,...]/KEY, corbaname::HOST[:PORT]#NAME
	// or IOR:HEX.
	Target string
	// IsA, when set, calls _is_a(IsA) instead of _non_existent.
	IsA string
	// MaxForwards bounds the forwards followed; 0 means the default.
	MaxForwards int
	// ExpectStatus, when set, names the statuses that pass (OBJECT_HERE,
	// OBJECT_NOT_EXIST, ...) instead of "the object exists".
	ExpectStatus StatusMatcher
}

// CorbaDetails are the CORBA-specific fields of a Result.
type CorbaDetails struct {
	// GIOP is the version spoken (after any fallback from 1.2).
	GIOP      string `json:"giop,omitempty"`
	ObjectKey string `json:"object_key,omitempty"`
	TypeID    string `json:"type_id,omitempty"`
	// Resolved is the corbaname name resolved through CosNaming.
	Resolved string `json:"resolved,omitempty"`
	// Locate is the LocateReply status (OBJECT_HERE, UNKNOWN_OBJECT...).
	Locate   string `json:"locate,omitempty"`
	Forwards int    `json:"forwards"`
	// Operation is _non_existent or _is_a; Result its boolean answer.
	Operation string                `json:"operation,omitempty"`
	Result    *bool                 `json:"result,omitempty"`
	Exception *giop.SystemException `json:"exception,omitempty"`
}

// CorbaTarget is a parsed probe target.
type CorbaTarget struct {
	Ref  *giop.ObjectRef
	Name *giop.Corbaname
}

// ParseCorbaTarget parses a corbaloc, corbaname or IOR target.
func ParseCorbaTarget(s string) (*CorbaTarget, error) {
	s = strings.TrimSpace(s)
	low := strings.ToLower(s)
	switch {
	case strings.HasPrefix(low, "corbaloc:"):
		ref, err := giop.ParseCorbaloc(s)
		if err != nil {
			return nil, err
		}
		return &CorbaTarget{Ref: ref}, nil
	case strings.HasPrefix(low, "corbaname:"):
		cn, err := giop.ParseCorbaname(s)
		if err != nil {
			return nil, err
		}
		return &CorbaTarget{Name: cn}, nil
	case strings.HasPrefix(low, "ior:"):
		ior, err := giop.ParseIOR(s)
		if err != nil {
			return nil, err
		}
		ref, err := giop.RefFromIOR(ior)
		if err != nil {
			return nil, err
		}
		return &CorbaTarget{Ref: ref}, nil
	}
	return nil, fmt.Errorf("invalid CORBA target %q: want corbaloc::HOST:PORT/KEY, corbaname::HOST:PORT#NAME or IOR:...", shorten(s))
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// CorbaProber probes one CORBA object over a new connection per probe.
type CorbaProber struct {
	opts   CorbaOptions
	target *CorbaTarget
}

// NewCorba validates the options.
func NewCorba(o CorbaOptions) (*CorbaProber, error) {
	t, err := ParseCorbaTarget(o.Target)
	if err != nil {
		return nil, err
	}
	if o.MaxForwards <= 0 {
		o.MaxForwards = DefaultCorbaForwards
	}
	return &CorbaProber{opts: o, target: t}, nil
}

// Close does nothing: every probe has its own connections.
func (p *CorbaProber) Close() error { return nil }

// corbaSession is one probe's connection, redialled on forwards and on
// version fallback.
type corbaSession struct {
	conn *giop.Conn
	ep   giop.Endpoint
}

func (s *corbaSession) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// dialRef connects to the first endpoint of ref that accepts, timing dns
// and connect into r when timed (the first connection of a probe).
func dialRef(ctx context.Context, ref *giop.ObjectRef, r *Result, timed bool) (*corbaSession, error) {
	var last error
	for _, ep := range ref.Endpoints {
		var addrs []string
		if ip := net.ParseIP(ep.Host); ip != nil {
			addrs = []string{ep.Host}
			if timed {
				r.Addresses = addrs
			}
		} else {
			t := time.Now()
			ips, err := net.DefaultResolver.LookupIPAddr(ctx, ep.Host)
			if timed {
				r.addPhase(PhaseDNS, time.Since(t))
			}
			if err != nil {
				last = err
				if timed {
					r.Fail(PhaseDNS, Classify(err, PhaseDNS), err)
				}
				continue
			}
			for _, ip := range ips {
				addrs = append(addrs, ip.IP.String())
			}
			if timed {
				r.Addresses = addrs
			}
		}
		t := time.Now()
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(addrs[0], fmt.Sprint(ep.Port)))
		if timed {
			r.addPhase(PhaseConnect, time.Since(t))
		}
		if err != nil {
			last = err
			continue
		}
		// A later endpoint answered after an earlier failed: the probe
		// passes on, so the earlier failure is not the result.
		r.OK, r.FailedPhase, r.ErrorClass, r.Error = false, "", ClassNone, ""
		r.RemoteAddr = c.RemoteAddr().String()
		return &corbaSession{conn: giop.NewConn(c, giop.Version{Major: ep.Major, Minor: ep.Minor}), ep: ep}, nil
	}
	if last == nil {
		last = errors.New("no IIOP address to connect to")
	}
	return nil, last
}

// withFallback runs f on the session, stepping the GIOP version down from
// 1.2 to 1.1 and 1.0 (redialling) while the server answers MessageError
// or closes the connection, as ORBs that predate 1.2 do.
func (s *corbaSession) withFallback(ctx context.Context, f func(*giop.Conn) error) error {
	for {
		err := f(s.conn)
		if err == nil || s.conn.Version.Minor == 0 || !(errors.Is(err, giop.ErrMessageError) || errors.Is(err, giop.ErrClosed)) {
			return err
		}
		v := s.conn.Version
		v.Minor--
		s.close()
		c, derr := (&net.Dialer{}).DialContext(ctx, "tcp", s.ep.Address())
		if derr != nil {
			return fmt.Errorf("reconnecting for GIOP %s after %v: %w", v, err, derr)
		}
		s.conn = giop.NewConn(c, v)
	}
}

// Probe connects, resolves a corbaname, locates the object and calls it.
func (p *CorbaProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "corba", Target: p.opts.Target, StatusCode: -1}
	d := &CorbaDetails{}
	r.Corba = d
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	ref := p.target.Ref
	if cn := p.target.Name; cn != nil {
		ref = &cn.Context
	}
	sess, err := dialRef(ctx, ref, r, true)
	if err != nil {
		if r.ErrorClass == ClassNone {
			r.Fail(PhaseConnect, Classify(err, PhaseConnect), err)
		}
		return r
	}
	defer func() { sess.close() }()

	if cn := p.target.Name; cn != nil && len(cn.Name) > 0 {
		d.Resolved = cn.Name.String()
		var ior *giop.IOR
		err := timed(r, PhaseResolve, func() error {
			err := sess.withFallback(ctx, func(c *giop.Conn) error {
				var err error
				ior, err = c.Resolve(ctx, ref.Key, cn.Name)
				return err
			})
			if err != nil {
				return err
			}
			if ior.IsNil() {
				return fmt.Errorf("%s is bound to a nil object reference", d.Resolved)
			}
			obj, err := giop.RefFromIOR(ior)
			if err != nil {
				return fmt.Errorf("resolved %s: %w", d.Resolved, err)
			}
			ref = obj
			return p.redial(ctx, &sess, ref, r)
		})
		if err != nil {
			p.fail(r, PhaseResolve, err)
			return r
		}
	}
	d.ObjectKey, d.TypeID = printableKey(ref.Key), ref.TypeID

	key := ref.Key
	unknown := false
	err = timed(r, PhaseLocate, func() error {
		for {
			var lr *giop.Reply
			err := sess.withFallback(ctx, func(c *giop.Conn) error {
				var err error
				lr, err = c.Locate(ctx, key)
				return err
			})
			if err != nil {
				return err
			}
			d.GIOP = sess.conn.Version.String()
			d.Locate = giop.LocateStatusName(lr.Status)
			switch lr.Status {
			case giop.LocateObjectHere:
				return nil
			case giop.LocateUnknownObject:
				// Go on to the call: the server's answer to it names the
				// reason (omniORB: OBJECT_NOT_EXIST), which is more use
				// than "unknown".
				unknown = true
				return nil
			case giop.LocateSystemException:
				return lr.Exception
			case giop.LocateObjectForward, giop.LocateObjectForwardPerm:
				if d.Forwards >= p.opts.MaxForwards {
					return fmt.Errorf("more than %d forwards: %w", p.opts.MaxForwards, errTooManyForwards)
				}
				d.Forwards++
				obj, err := giop.RefFromIOR(lr.Forward)
				if err != nil {
					return fmt.Errorf("forward: %w", err)
				}
				key = obj.Key
				if err := p.redial(ctx, &sess, obj, r); err != nil {
					return err
				}
			default:
				return fmt.Errorf("LocateReply status %s: %w", d.Locate, errProtocolCorba)
			}
		}
	})
	if err != nil {
		p.fail(r, PhaseLocate, err)
		return r
	}

	op, want := "_non_existent", false
	if p.opts.IsA != "" {
		op, want = "_is_a", true
	}
	d.Operation = op
	err = timed(r, PhaseCall, func() error {
		rep, err := sess.conn.Invoke(ctx, key, op, func(e *giop.Encoder) {
			if op == "_is_a" {
				e.String(p.opts.IsA)
			}
		})
		if err != nil {
			return err
		}
		if err := giop.ReplyError(op, rep); err != nil {
			return err
		}
		v, err := rep.Body.Bool()
		if err != nil {
			return fmt.Errorf("%s result: %w", op, err)
		}
		d.Result = &v
		if v != want {
			if op == "_is_a" {
				return fmt.Errorf("_is_a(%q) is false: %w", p.opts.IsA, errStatusCorba)
			}
			return fmt.Errorf("_non_existent is true: %w", errStatusCorba)
		}
		return nil
	})
	if err != nil {
		p.fail(r, PhaseCall, err)
		return r
	}
	if unknown {
		p.fail(r, PhaseLocate, errUnknownObject)
		return r
	}
	r.OK, r.Status = true, d.Locate
	if len(p.opts.ExpectStatus) > 0 && !p.opts.ExpectStatus.Match(-1, r.Status, func(int) bool { return true }) {
		r.Fail(PhaseCall, ClassStatus, fmt.Errorf("got %s, want %s", r.Status, p.opts.ExpectStatus.Describe("")))
	}
	return r
}

// redial moves the session to ref's address unless it is already there.
func (p *CorbaProber) redial(ctx context.Context, sess **corbaSession, ref *giop.ObjectRef, r *Result) error {
	for _, ep := range ref.Endpoints {
		if ep.Address() == (*sess).ep.Address() {
			return nil
		}
	}
	v := (*sess).conn.Version
	(*sess).close()
	ns, err := dialRef(ctx, ref, r, false)
	if err != nil {
		return err
	}
	if ns.conn.Version.Minor > v.Minor {
		ns.conn.Version = v
	}
	*sess = ns
	return nil
}

var (
	errUnknownObject   = errors.New("LocateReply UNKNOWN_OBJECT: the server does not know this object key")
	errTooManyForwards = errors.New("forward loop")
	errProtocolCorba   = errors.New("unexpected GIOP reply")
	errStatusCorba     = errors.New("object check failed")
)

// fail records err, classing CORBA system exceptions by what they say
// about the object (see CorbaExceptionClass).
func (p *CorbaProber) fail(r *Result, phase string, err error) {
	d := r.Corba
	var se *giop.SystemException
	var ue *giop.UserException
	var ng *giop.ErrNotGIOP
	switch {
	case errors.As(err, &se):
		d.Exception = se
		r.Status = se.Name
		r.Fail(phase, CorbaExceptionClass(se.Name), err)
	case errors.As(err, &ue):
		r.Status = ue.Name()
		r.Fail(phase, ClassStatus, err)
	case errors.Is(err, errUnknownObject):
		r.Status = "UNKNOWN_OBJECT"
		r.Fail(phase, ClassStatus, err)
	case errors.Is(err, errStatusCorba):
		r.Fail(phase, ClassStatus, err)
	case errors.As(err, &ng), errors.Is(err, giop.ErrMessageError), errors.Is(err, giop.ErrClosed),
		errors.Is(err, giop.ErrShort), errors.Is(err, errProtocolCorba), errors.Is(err, errTooManyForwards):
		r.Fail(phase, ClassProtocol, err)
	default:
		r.Fail(phase, Classify(err, phase), err)
	}
	if len(p.opts.ExpectStatus) > 0 && r.Status != "" && p.opts.ExpectStatus.Match(-1, r.Status, func(int) bool { return false }) {
		// The caller expects this outcome (--expect-status OBJECT_NOT_EXIST).
		r.OK, r.FailedPhase, r.ErrorClass, r.Error = true, "", ClassNone, ""
	}
}

// CorbaExceptionClass maps a CORBA system exception to msctl's error
// classes: the ones that say the server could not be reached or is not
// serving (TRANSIENT, COMM_FAILURE, NO_RESPONSE) are connect, TIMEOUT is
// timeout, the ones that say the request did not fit the server (MARSHAL,
// BAD_PARAM, BAD_OPERATION, NO_IMPLEMENT, INV_OBJREF,
// CODESET_INCOMPATIBLE) are protocol, and the rest (OBJECT_NOT_EXIST,
// NO_PERMISSION, INTERNAL, UNKNOWN...) are status: the server answered
// and said no.
func CorbaExceptionClass(name string) ErrorClass {
	switch name {
	case "TRANSIENT", "COMM_FAILURE", "NO_RESPONSE":
		return ClassConnect
	case "TIMEOUT":
		return ClassTimeout
	case "MARSHAL", "BAD_PARAM", "BAD_OPERATION", "NO_IMPLEMENT", "INV_OBJREF", "CODESET_INCOMPATIBLE", "IMP_LIMIT":
		return ClassProtocol
	}
	return ClassStatus
}

func printableKey(k []byte) string {
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("0x%x", k)
		}
	}
	return string(k)
}

// CorbaList lists the bindings of the naming context target names
// (corbaloc of a NamingContext, or corbaname of a context bound in one),
// howMany at a time.
func CorbaList(ctx context.Context, target string, howMany uint32) ([]giop.Binding, error) {
	t, err := ParseCorbaTarget(target)
	if err != nil {
		return nil, err
	}
	ref := t.Ref
	if t.Name != nil {
		ref = &t.Name.Context
	}
	r := &Result{}
	sess, err := dialRef(ctx, ref, r, true)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", ref.Endpoints[0].Address(), err)
	}
	defer func() { sess.close() }()
	key := ref.Key
	if t.Name != nil && len(t.Name.Name) > 0 {
		var ior *giop.IOR
		err := sess.withFallback(ctx, func(c *giop.Conn) error {
			var err error
			ior, err = c.Resolve(ctx, key, t.Name.Name)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", t.Name.Name, err)
		}
		obj, err := giop.RefFromIOR(ior)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", t.Name.Name, err)
		}
		p := &CorbaProber{}
		if err := p.redial(ctx, &sess, obj, r); err != nil {
			return nil, fmt.Errorf("connecting to %s: %w", t.Name.Name, err)
		}
		key = obj.Key
	}
	var out []giop.Binding
	err = sess.withFallback(ctx, func(c *giop.Conn) error {
		var err error
		out, err = c.List(ctx, key, howMany, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", printableKey(key), err)
	}
	return out, nil
}
