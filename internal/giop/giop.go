package giop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// GIOP message types.
const (
	MsgRequest         = 0
	MsgReply           = 1
	MsgCancelRequest   = 2
	MsgLocateRequest   = 3
	MsgLocateReply     = 4
	MsgCloseConnection = 5
	MsgMessageError    = 6
	MsgFragment        = 7
)

// Reply statuses.
const (
	ReplyNoException         = 0
	ReplyUserException       = 1
	ReplySystemException     = 2
	ReplyLocationForward     = 3
	ReplyLocationForwardPerm = 4
	ReplyNeedsAddressingMode = 5
)

// Locate statuses.
const (
	LocateUnknownObject     = 0
	LocateObjectHere        = 1
	LocateObjectForward     = 2
	LocateObjectForwardPerm = 3
	LocateSystemException   = 4
	LocateNeedsAddressing   = 5
)

// LocateStatusName names a LocateReply status.
func LocateStatusName(s uint32) string {
	switch s {
	case LocateUnknownObject:
		return "UNKNOWN_OBJECT"
	case LocateObjectHere:
		return "OBJECT_HERE"
	case LocateObjectForward:
		return "OBJECT_FORWARD"
	case LocateObjectForwardPerm:
		return "OBJECT_FORWARD_PERM"
	case LocateSystemException:
		return "LOC_SYSTEM_EXCEPTION"
	case LocateNeedsAddressing:
		return "LOC_NEEDS_ADDRESSING_MODE"
	}
	return fmt.Sprintf("LOCATE_STATUS_%d", s)
}

// ReplyStatusName names a Reply status.
func ReplyStatusName(s uint32) string {
	switch s {
	case ReplyNoException:
		return "NO_EXCEPTION"
	case ReplyUserException:
		return "USER_EXCEPTION"
	case ReplySystemException:
		return "SYSTEM_EXCEPTION"
	case ReplyLocationForward:
		return "LOCATION_FORWARD"
	case ReplyLocationForwardPerm:
		return "LOCATION_FORWARD_PERM"
	case ReplyNeedsAddressingMode:
		return "NEEDS_ADDRESSING_MODE"
	}
	return fmt.Sprintf("REPLY_STATUS_%d", s)
}

// headerLen is the fixed GIOP header: magic, version, flags, type, size.
const headerLen = 12

// maxMessage bounds a message (with its fragments) read from a peer.
const maxMessage = 64 << 20

// Version is a GIOP version.
type Version struct{ Major, Minor byte }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Message is one GIOP message, fragments already joined.
type Message struct {
	Version Version
	Order   binary.ByteOrder
	Type    byte
	// Body follows the 12-byte header (alignment counts from the header's
	// start).
	Body []byte
}

// ErrNotGIOP means the peer sent bytes that are not a GIOP message.
type ErrNotGIOP struct{ Head []byte }

func (e *ErrNotGIOP) Error() string {
	return fmt.Sprintf("peer did not answer in GIOP (got %q)", e.Head)
}

// Decoder returns a decoder of the message body.
func (m *Message) Decoder() *Decoder { return NewDecoder(m.Body, m.Order, headerLen) }

// Frame writes a GIOP message with body (already encoded with base 12).
func Frame(v Version, order binary.ByteOrder, typ byte, body []byte) []byte {
	h := []byte{'G', 'I', 'O', 'P', v.Major, v.Minor, 0, typ, 0, 0, 0, 0}
	if order == binary.LittleEndian {
		h[6] = 1
	}
	order.PutUint32(h[8:], uint32(len(body)))
	return append(h, body...)
}

func readHeader(r io.Reader) (Version, binary.ByteOrder, byte, byte, []byte, error) {
	h := make([]byte, headerLen)
	n, err := io.ReadFull(r, h)
	if err != nil {
		if n > 0 && !bytes.HasPrefix([]byte("GIOP"), h[:min(n, 4)]) {
			return Version{}, nil, 0, 0, nil, &ErrNotGIOP{Head: h[:n]}
		}
		return Version{}, nil, 0, 0, nil, err
	}
	if string(h[:4]) != "GIOP" {
		return Version{}, nil, 0, 0, nil, &ErrNotGIOP{Head: h}
	}
	v := Version{h[4], h[5]}
	if v.Major != 1 || v.Minor > 3 {
		return Version{}, nil, 0, 0, nil, fmt.Errorf("GIOP version %s not supported", v)
	}
	var order binary.ByteOrder = binary.BigEndian
	if h[6]&1 == 1 {
		order = binary.LittleEndian
	}
	flags := h[6]
	if v.Minor == 0 {
		flags &= 1 // GIOP 1.0 has no fragments: the octet is the byte order alone
	}
	size := order.Uint32(h[8:])
	if size > maxMessage {
		return Version{}, nil, 0, 0, nil, fmt.Errorf("GIOP message of %d bytes is too large", size)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return Version{}, nil, 0, 0, nil, fmt.Errorf("reading GIOP body: %w", err)
	}
	return v, order, h[7], flags, body, nil
}

// ReadMessage reads a message and the fragments that follow it.
func ReadMessage(r io.Reader) (*Message, error) {
	v, order, typ, flags, body, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	m := &Message{Version: v, Order: order, Type: typ, Body: body}
	for flags&2 != 0 {
		fv, forder, ftyp, fflags, fbody, err := readHeader(r)
		if err != nil {
			return nil, fmt.Errorf("reading fragment: %w", err)
		}
		if ftyp != MsgFragment || fv != v {
			return nil, fmt.Errorf("expected a GIOP %s Fragment, got type %d version %s", v, ftyp, fv)
		}
		if v.Minor >= 2 {
			// GIOP 1.2 fragments start with the request id.
			if len(fbody) < 4 {
				return nil, fmt.Errorf("fragment: %w", ErrShort)
			}
			fbody = fbody[4:]
		}
		_ = forder
		if len(m.Body)+len(fbody) > maxMessage {
			return nil, errors.New("fragmented GIOP message too large")
		}
		m.Body = append(m.Body, fbody...)
		flags = fflags
	}
	return m, nil
}

// SystemException is a CORBA system exception from a Reply or LocateReply.
type SystemException struct {
	// ID is the repository id, Name its short form (OBJECT_NOT_EXIST).
	ID         string `json:"id"`
	Name       string `json:"name"`
	Minor      uint32 `json:"minor"`
	Completion string `json:"completed"`
}

func (e *SystemException) Error() string {
	return fmt.Sprintf("CORBA system exception %s (minor %#x, completed %s)", e.Name, e.Minor, e.Completion)
}

// DecodeSystemException reads the body of a SYSTEM_EXCEPTION reply.
func DecodeSystemException(d *Decoder) (*SystemException, error) {
	id, err := d.String()
	if err != nil {
		return nil, fmt.Errorf("system exception id: %w", err)
	}
	minor, err := d.ULong()
	if err != nil {
		return nil, fmt.Errorf("system exception minor code: %w", err)
	}
	c, err := d.ULong()
	if err != nil {
		return nil, fmt.Errorf("system exception completion status: %w", err)
	}
	e := &SystemException{ID: id, Name: exceptionName(id), Minor: minor}
	switch c {
	case 0:
		e.Completion = "YES"
	case 1:
		e.Completion = "NO"
	case 2:
		e.Completion = "MAYBE"
	default:
		e.Completion = fmt.Sprintf("%d", c)
	}
	return e, nil
}

// exceptionName turns IDL:omg.org/CORBA/TRANSIENT:1.0 into TRANSIENT.
func exceptionName(id string) string {
	s := strings.TrimPrefix(id, "IDL:")
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// Reply is a decoded Reply or LocateReply.
type Reply struct {
	Version   Version
	RequestID uint32
	// Status is the reply or locate status.
	Status uint32
	// Exception is set for a system exception; UserException holds the id
	// of a user exception; Forward the IOR of a forward.
	Exception     *SystemException
	UserException string
	Forward       *IOR
	// Body is the decoder positioned at the results of NO_EXCEPTION.
	Body *Decoder
}
