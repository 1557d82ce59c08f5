// Package giop is msctl's own small GIOP/IIOP client for probing CORBA
// objects: CDR encoding in both byte orders, IORs, corbaloc and corbaname
// URLs, GIOP 1.0-1.2 messages and the few CosNaming calls a probe needs.
// No Go ORB library is maintained (the field's ORBs are C++ and Java), so
// the codec is written here, kept to what a probe uses, and its decoders
// are fuzzed.
package giop

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxSeq bounds a sequence or string length read from the wire, so that a
// hostile length cannot make the decoder allocate gigabytes.
const maxSeq = 16 << 20

// ErrShort means the data ended before the value it should hold.
var ErrShort = errors.New("CDR data ends early")

// Encoder writes CDR. Alignment is relative to the start of the stream it
// belongs to: base is how many bytes precede buf in that stream (12 for a
// GIOP message body, 0 for an encapsulation, whose byte-order octet is
// counted in buf).
type Encoder struct {
	Order binary.ByteOrder
	buf   []byte
	base  int
}

// NewEncoder returns an encoder in order whose first byte is at offset
// base of its stream.
func NewEncoder(order binary.ByteOrder, base int) *Encoder {
	return &Encoder{Order: order, base: base}
}

// Bytes returns what was written.
func (e *Encoder) Bytes() []byte { return e.buf }

// Align pads with zeros to a multiple of n.
func (e *Encoder) Align(n int) {
	for (e.base+len(e.buf))%n != 0 {
		e.buf = append(e.buf, 0)
	}
}

// Octet writes one byte.
func (e *Encoder) Octet(v byte) { e.buf = append(e.buf, v) }

// Bool writes a boolean octet.
func (e *Encoder) Bool(v bool) {
	if v {
		e.Octet(1)
	} else {
		e.Octet(0)
	}
}

// UShort writes an aligned 16-bit integer.
func (e *Encoder) UShort(v uint16) {
	e.Align(2)
	var b [2]byte
	e.Order.PutUint16(b[:], v)
	e.buf = append(e.buf, b[:]...)
}

// ULong writes an aligned 32-bit integer.
func (e *Encoder) ULong(v uint32) {
	e.Align(4)
	var b [4]byte
	e.Order.PutUint32(b[:], v)
	e.buf = append(e.buf, b[:]...)
}

// String writes a CDR string: length including the NUL, bytes, NUL.
func (e *Encoder) String(s string) {
	e.ULong(uint32(len(s) + 1))
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, 0)
}

// OctetSeq writes a sequence<octet>.
func (e *Encoder) OctetSeq(b []byte) {
	e.ULong(uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// Raw appends bytes without alignment.
func (e *Encoder) Raw(b []byte) { e.buf = append(e.buf, b...) }

// Encapsulation returns a new encoder for an encapsulation in order, its
// byte-order octet already written; write it with OctetSeq(enc.Bytes()).
func Encapsulation(order binary.ByteOrder) *Encoder {
	e := NewEncoder(order, 0)
	e.Bool(order == binary.LittleEndian)
	return e
}

// Decoder reads CDR; base has the meaning it has for Encoder.
type Decoder struct {
	Order binary.ByteOrder
	b     []byte
	pos   int
	base  int
}

// NewDecoder reads b in order, b starting at offset base of its stream.
func NewDecoder(b []byte, order binary.ByteOrder, base int) *Decoder {
	return &Decoder{Order: order, b: b, base: base}
}

// OpenEncapsulation reads the byte-order octet of an encapsulation and
// returns a decoder for the rest.
func OpenEncapsulation(b []byte) (*Decoder, error) {
	if len(b) < 1 {
		return nil, fmt.Errorf("empty encapsulation: %w", ErrShort)
	}
	d := &Decoder{Order: binary.BigEndian, b: b, pos: 1}
	switch b[0] {
	case 0:
	case 1:
		d.Order = binary.LittleEndian
	default:
		return nil, fmt.Errorf("encapsulation byte order octet is %d, want 0 or 1", b[0])
	}
	return d, nil
}

// Remaining returns the bytes not read yet.
func (d *Decoder) Remaining() []byte { return d.b[d.pos:] }

// Align skips padding to a multiple of n; at the very end of the data
// there may be no padding to skip.
func (d *Decoder) Align(n int) error {
	next := d.pos
	for (d.base+next)%n != 0 {
		next++
	}
	if next > len(d.b) {
		return ErrShort
	}
	d.pos = next
	return nil
}

func (d *Decoder) take(n int) ([]byte, error) {
	if n < 0 || len(d.b)-d.pos < n {
		return nil, ErrShort
	}
	v := d.b[d.pos : d.pos+n]
	d.pos += n
	return v, nil
}

// Octet reads one byte.
func (d *Decoder) Octet() (byte, error) {
	v, err := d.take(1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// Bool reads a boolean octet.
func (d *Decoder) Bool() (bool, error) {
	v, err := d.Octet()
	if err != nil {
		return false, err
	}
	if v > 1 {
		return false, fmt.Errorf("boolean octet is %d", v)
	}
	return v == 1, nil
}

// UShort reads an aligned 16-bit integer.
func (d *Decoder) UShort() (uint16, error) {
	if err := d.Align(2); err != nil {
		return 0, err
	}
	v, err := d.take(2)
	if err != nil {
		return 0, err
	}
	return d.Order.Uint16(v), nil
}

// ULong reads an aligned 32-bit integer.
func (d *Decoder) ULong() (uint32, error) {
	if err := d.Align(4); err != nil {
		return 0, err
	}
	v, err := d.take(4)
	if err != nil {
		return 0, err
	}
	return d.Order.Uint32(v), nil
}

func (d *Decoder) length() (int, error) {
	n, err := d.ULong()
	if err != nil {
		return 0, err
	}
	if n > maxSeq || int(n) > len(d.b)-d.pos {
		return 0, fmt.Errorf("length %d beyond the %d bytes left: %w", n, len(d.b)-d.pos, ErrShort)
	}
	return int(n), nil
}

// String reads a CDR string.
func (d *Decoder) String() (string, error) {
	n, err := d.length()
	if err != nil {
		return "", err
	}
	if n == 0 {
		// Not valid CDR, but some ORBs send it for an empty string.
		return "", nil
	}
	v, _ := d.take(n)
	if v[n-1] != 0 {
		return "", errors.New("CDR string not NUL-terminated")
	}
	return string(v[:n-1]), nil
}

// OctetSeq reads a sequence<octet> (a copy).
func (d *Decoder) OctetSeq() ([]byte, error) {
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	v, _ := d.take(n)
	return append([]byte(nil), v...), nil
}

// Count reads a sequence length whose elements take at least min bytes
// each, so that a hostile count fails before any allocation.
func (d *Decoder) Count(min int) (int, error) {
	n, err := d.ULong()
	if err != nil {
		return 0, err
	}
	if n > maxSeq || int(n)*min > len(d.b)-d.pos {
		return 0, fmt.Errorf("sequence of %d beyond the %d bytes left: %w", n, len(d.b)-d.pos, ErrShort)
	}
	return int(n), nil
}
