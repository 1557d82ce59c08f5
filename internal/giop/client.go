package giop

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Conn is a GIOP client connection speaking one version. Requests are
// written big-endian; replies are read in whichever order the server
// chose.
type Conn struct {
	net.Conn
	Version Version
	Order   binary.ByteOrder
	nextID  uint32
}

// NewConn wraps an established connection.
func NewConn(c net.Conn, v Version) *Conn {
	return &Conn{Conn: c, Version: v, Order: binary.BigEndian, nextID: 1}
}

// ErrMessageError means the server answered with MessageError, its way of
// saying it does not understand the message (often the GIOP version).
var ErrMessageError = errors.New("server answered MessageError (GIOP version or message not understood)")

// ErrClosed means the server sent CloseConnection or closed the socket
// before replying.
var ErrClosed = errors.New("server closed the connection before replying")

func (c *Conn) targetAddress(e *Encoder, key []byte) {
	if c.Version.Minor >= 2 {
		e.UShort(0) // KeyAddr
	}
	e.OctetSeq(key)
}

// Locate sends a LocateRequest for key and reads the LocateReply.
func (c *Conn) Locate(ctx context.Context, key []byte) (*Reply, error) {
	id := c.nextID
	c.nextID++
	e := NewEncoder(c.Order, headerLen)
	e.ULong(id)
	c.targetAddress(e, key)
	m, err := c.roundTrip(ctx, MsgLocateRequest, e.Bytes(), MsgLocateReply)
	if err != nil {
		return nil, err
	}
	d := m.Decoder()
	r := &Reply{Version: m.Version}
	if r.RequestID, err = d.ULong(); err != nil {
		return nil, fmt.Errorf("LocateReply: %w", err)
	}
	if r.Status, err = d.ULong(); err != nil {
		return nil, fmt.Errorf("LocateReply: %w", err)
	}
	if r.RequestID != id {
		return nil, fmt.Errorf("LocateReply for request %d, want %d", r.RequestID, id)
	}
	if m.Version.Minor >= 2 && len(d.Remaining()) > 0 {
		if err := d.Align(8); err != nil {
			return nil, fmt.Errorf("LocateReply body: %w", err)
		}
	}
	switch r.Status {
	case LocateObjectForward, LocateObjectForwardPerm:
		if r.Forward, err = DecodeIOR(d); err != nil {
			return nil, fmt.Errorf("LocateReply forward: %w", err)
		}
	case LocateSystemException:
		if r.Exception, err = DecodeSystemException(d); err != nil {
			return nil, fmt.Errorf("LocateReply: %w", err)
		}
	}
	return r, nil
}

// Invoke sends a Request for op on key with the arguments args writes
// (nil: none) and reads the Reply.
func (c *Conn) Invoke(ctx context.Context, key []byte, op string, args func(*Encoder)) (*Reply, error) {
	id := c.nextID
	c.nextID++
	e := NewEncoder(c.Order, headerLen)
	if c.Version.Minor >= 2 {
		e.ULong(id)
		e.Octet(3) // response flags: SYNC_WITH_TARGET, a reply expected
		e.Raw([]byte{0, 0, 0})
		c.targetAddress(e, key)
		e.String(op)
		e.ULong(0) // no service contexts
		if args != nil {
			e.Align(8)
		}
	} else {
		e.ULong(0) // no service contexts
		e.ULong(id)
		e.Bool(true)
		if c.Version.Minor == 1 {
			e.Raw([]byte{0, 0, 0})
		}
		e.OctetSeq(key)
		e.String(op)
		e.OctetSeq(nil) // requesting principal
	}
	if args != nil {
		args(e)
	}
	m, err := c.roundTrip(ctx, MsgRequest, e.Bytes(), MsgReply)
	if err != nil {
		return nil, err
	}
	d := m.Decoder()
	r := &Reply{Version: m.Version}
	if m.Version.Minor < 2 {
		if err := skipServiceContexts(d); err != nil {
			return nil, fmt.Errorf("Reply: %w", err)
		}
	}
	if r.RequestID, err = d.ULong(); err != nil {
		return nil, fmt.Errorf("Reply: %w", err)
	}
	if r.Status, err = d.ULong(); err != nil {
		return nil, fmt.Errorf("Reply: %w", err)
	}
	if r.RequestID != id {
		return nil, fmt.Errorf("Reply for request %d, want %d", r.RequestID, id)
	}
	if m.Version.Minor >= 2 {
		if err := skipServiceContexts(d); err != nil {
			return nil, fmt.Errorf("Reply: %w", err)
		}
		if len(d.Remaining()) > 0 {
			if err := d.Align(8); err != nil {
				return nil, fmt.Errorf("Reply body: %w", err)
			}
		}
	}
	switch r.Status {
	case ReplyNoException:
		r.Body = d
	case ReplySystemException:
		if r.Exception, err = DecodeSystemException(d); err != nil {
			return nil, fmt.Errorf("Reply: %w", err)
		}
	case ReplyUserException:
		if r.UserException, err = d.String(); err != nil {
			return nil, fmt.Errorf("Reply user exception: %w", err)
		}
		r.Body = d
	case ReplyLocationForward, ReplyLocationForwardPerm:
		if r.Forward, err = DecodeIOR(d); err != nil {
			return nil, fmt.Errorf("Reply forward: %w", err)
		}
	}
	return r, nil
}

func skipServiceContexts(d *Decoder) error {
	n, err := d.Count(8)
	if err != nil {
		return fmt.Errorf("service contexts: %w", err)
	}
	for range n {
		if _, err := d.ULong(); err != nil {
			return err
		}
		if _, err := d.OctetSeq(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Conn) roundTrip(ctx context.Context, typ byte, body []byte, want byte) (*Message, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Time{})
	}
	if _, err := c.Write(Frame(c.Version, c.Order, typ, body)); err != nil {
		return nil, fmt.Errorf("writing GIOP %s request: %w", c.Version, err)
	}
	m, err := ReadMessage(c)
	if err != nil {
		var ne *ErrNotGIOP
		if errors.As(err, &ne) {
			return nil, err
		}
		if isClosed(err) {
			return nil, ErrClosed
		}
		return nil, err
	}
	switch m.Type {
	case want:
		return m, nil
	case MsgMessageError:
		return nil, ErrMessageError
	case MsgCloseConnection:
		return nil, ErrClosed
	}
	return nil, fmt.Errorf("expected GIOP message type %d, got %d", want, m.Type)
}

func isClosed(err error) bool {
	var op *net.OpError
	return errors.Is(err, errEOF) || errors.Is(err, errUnexpectedEOF) || (errors.As(err, &op) && op.Op == "read" && !op.Timeout())
}

var (
	errEOF           = io.EOF
	errUnexpectedEOF = io.ErrUnexpectedEOF
)
