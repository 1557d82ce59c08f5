package giop

import (
	"context"
	"fmt"
)

// Repository ids of the CosNaming interfaces a probe talks to.
const (
	NamingContextID = "IDL:omg.org/CosNaming/NamingContext:1.0"
)

// Binding is one entry of a naming context.
type Binding struct {
	Name Name `json:"name"`
	// Type is "object" or "context".
	Type string `json:"type"`
}

func encodeName(e *Encoder, n Name) {
	e.ULong(uint32(len(n)))
	for _, c := range n {
		e.String(c.ID)
		e.String(c.Kind)
	}
}

func decodeName(d *Decoder) (Name, error) {
	n, err := d.Count(8)
	if err != nil {
		return nil, err
	}
	name := make(Name, 0, n)
	for range n {
		id, err := d.String()
		if err != nil {
			return nil, err
		}
		kind, err := d.String()
		if err != nil {
			return nil, err
		}
		name = append(name, NameComponent{ID: id, Kind: kind})
	}
	return name, nil
}

func decodeBindings(d *Decoder) ([]Binding, error) {
	n, err := d.Count(8)
	if err != nil {
		return nil, fmt.Errorf("binding list: %w", err)
	}
	out := make([]Binding, 0, n)
	for range n {
		name, err := decodeName(d)
		if err != nil {
			return nil, fmt.Errorf("binding name: %w", err)
		}
		t, err := d.ULong()
		if err != nil {
			return nil, fmt.Errorf("binding type: %w", err)
		}
		b := Binding{Name: name, Type: "object"}
		if t == 1 {
			b.Type = "context"
		}
		out = append(out, b)
	}
	return out, nil
}

// ReplyError turns a reply that is not NO_EXCEPTION into an error: the
// system exception itself, or a user exception's id.
func ReplyError(op string, r *Reply) error {
	switch {
	case r.Exception != nil:
		return r.Exception
	case r.UserException != "":
		return &UserException{Op: op, ID: r.UserException}
	case r.Forward != nil:
		return &ForwardError{IOR: r.Forward}
	case r.Status != ReplyNoException:
		return fmt.Errorf("%s: reply status %s", op, ReplyStatusName(r.Status))
	}
	return nil
}

// UserException is an IDL user exception raised by an operation (for
// CosNaming: NotFound, CannotProceed, InvalidName).
type UserException struct {
	Op string
	ID string
}

func (e *UserException) Error() string {
	return fmt.Sprintf("%s raised %s", e.Op, exceptionName(e.ID))
}

// Name is the exception's short name (NotFound).
func (e *UserException) Name() string { return exceptionName(e.ID) }

// ForwardError is a LOCATION_FORWARD reply to a request.
type ForwardError struct{ IOR *IOR }

func (e *ForwardError) Error() string { return "request forwarded to another object" }

// Resolve calls CosNaming::NamingContext::resolve(name) on the context at
// key and returns the object reference bound to the name.
func (c *Conn) Resolve(ctx context.Context, key []byte, name Name) (*IOR, error) {
	r, err := c.Invoke(ctx, key, "resolve", func(e *Encoder) { encodeName(e, name) })
	if err != nil {
		return nil, err
	}
	if err := ReplyError("resolve", r); err != nil {
		return nil, err
	}
	ior, err := DecodeIOR(r.Body)
	if err != nil {
		return nil, fmt.Errorf("resolve result: %w", err)
	}
	return ior, nil
}

// List calls list(howMany) on the context at key and drains the binding
// iterator with next_n(howMany), destroying it after, so a large context is
// read in bounded batches. limit > 0 stops after that many bindings.
func (c *Conn) List(ctx context.Context, key []byte, howMany uint32, limit int) ([]Binding, error) {
	r, err := c.Invoke(ctx, key, "list", func(e *Encoder) { e.ULong(howMany) })
	if err != nil {
		return nil, err
	}
	if err := ReplyError("list", r); err != nil {
		return nil, err
	}
	out, err := decodeBindings(r.Body)
	if err != nil {
		return nil, fmt.Errorf("list result: %w", err)
	}
	it, err := DecodeIOR(r.Body)
	if err != nil {
		return nil, fmt.Errorf("list binding iterator: %w", err)
	}
	if it.IsNil() {
		return out, nil
	}
	iref, err := RefFromIOR(it)
	if err != nil {
		return nil, fmt.Errorf("binding iterator: %w", err)
	}
	// The iterator lives in the naming service, reached on this
	// connection; its key is what addresses it.
	defer func() {
		if r, err := c.Invoke(ctx, iref.Key, "destroy", nil); err == nil {
			_ = ReplyError("destroy", r)
		}
	}()
	for limit <= 0 || len(out) < limit {
		r, err := c.Invoke(ctx, iref.Key, "next_n", func(e *Encoder) { e.ULong(howMany) })
		if err != nil {
			return nil, fmt.Errorf("next_n: %w", err)
		}
		if err := ReplyError("next_n", r); err != nil {
			return nil, err
		}
		more, err := r.Body.Bool()
		if err != nil {
			return nil, fmt.Errorf("next_n result: %w", err)
		}
		batch, err := decodeBindings(r.Body)
		if err != nil {
			return nil, fmt.Errorf("next_n result: %w", err)
		}
		out = append(out, batch...)
		if !more || len(batch) == 0 {
			break
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
