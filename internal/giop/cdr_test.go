package giop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestCDRRoundTripBothOrders(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
		t.Run(order.String(), func(t *testing.T) {
			e := NewEncoder(order, headerLen)
			e.Octet(7)
			e.ULong(0xdeadbeef) // three pad bytes after the octet (base 12)
			e.Bool(true)
			e.UShort(0x1234) // one pad byte
			e.String("NameService")
			e.OctetSeq([]byte{1, 2, 3})
			b := e.Bytes()
			if len(b) != 1+3+4+1+1+2+4+12+4+3 {
				t.Fatalf("encoded %d bytes (% x): alignment is wrong", len(b), b)
			}
			d := NewDecoder(b, order, headerLen)
			o, _ := d.Octet()
			u, _ := d.ULong()
			bo, _ := d.Bool()
			s16, _ := d.UShort()
			str, _ := d.String()
			seq, err := d.OctetSeq()
			if err != nil {
				t.Fatal(err)
			}
			if o != 7 || u != 0xdeadbeef || !bo || s16 != 0x1234 || str != "NameService" || !bytes.Equal(seq, []byte{1, 2, 3}) {
				t.Fatalf("decoded %d %#x %t %#x %q %v", o, u, bo, s16, str, seq)
			}
			if len(d.Remaining()) != 0 {
				t.Errorf("%d bytes left", len(d.Remaining()))
			}
		})
	}
}

func TestCDRByteOrderOnTheWire(t *testing.T) {
	be := NewEncoder(binary.BigEndian, 0)
	be.ULong(1)
	le := NewEncoder(binary.LittleEndian, 0)
	le.ULong(1)
	if !bytes.Equal(be.Bytes(), []byte{0, 0, 0, 1}) || !bytes.Equal(le.Bytes(), []byte{1, 0, 0, 0}) {
		t.Fatalf("big % x, little % x", be.Bytes(), le.Bytes())
	}
	// An encapsulation announces its order in its first octet, and
	// alignment counts that octet.
	enc := Encapsulation(binary.LittleEndian)
	enc.ULong(5)
	if !bytes.Equal(enc.Bytes(), []byte{1, 0, 0, 0, 5, 0, 0, 0}) {
		t.Fatalf("encapsulation % x", enc.Bytes())
	}
	d, err := OpenEncapsulation(enc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if v, err := d.ULong(); err != nil || v != 5 {
		t.Fatalf("read %d, %v", v, err)
	}
}

func TestCDRDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		read func(*Decoder) error
	}{
		{"short ulong", []byte{0, 0, 1}, func(d *Decoder) error { _, err := d.ULong(); return err }},
		{"string longer than data", []byte{0, 0, 0, 9, 'a', 0}, func(d *Decoder) error { _, err := d.String(); return err }},
		{"string without NUL", []byte{0, 0, 0, 2, 'a', 'b'}, func(d *Decoder) error { _, err := d.String(); return err }},
		{"huge sequence", []byte{0xff, 0xff, 0xff, 0xff}, func(d *Decoder) error { _, err := d.OctetSeq(); return err }},
		{"bad boolean", []byte{2}, func(d *Decoder) error { _, err := d.Bool(); return err }},
		{"huge count", []byte{0, 1, 0, 0}, func(d *Decoder) error { _, err := d.Count(8); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.read(NewDecoder(tt.b, binary.BigEndian, 0)); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, err := OpenEncapsulation([]byte{2}); err == nil {
		t.Error("byte order octet 2 accepted")
	}
	if _, err := NewDecoder(nil, binary.BigEndian, 0).ULong(); !errors.Is(err, ErrShort) {
		t.Errorf("empty data: %v, want ErrShort", err)
	}
}

// A Reply that comes in a Reply and a Fragment (GIOP 1.2) is read as one
// message, the fragment's request id dropped.
func TestReadMessageFragments(t *testing.T) {
	v := Version{1, 2}
	first := Frame(v, binary.BigEndian, MsgReply, []byte{0, 0, 0, 1, 0, 0, 0, 0})
	first[6] |= 2 // more fragments follow
	frag := Frame(v, binary.BigEndian, MsgFragment, []byte{0, 0, 0, 1, 0, 0, 0, 0})
	m, err := ReadMessage(bytes.NewReader(append(first, frag...)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != MsgReply || len(m.Body) != 12 {
		t.Fatalf("type %d body % x", m.Type, m.Body)
	}
	if _, err := ReadMessage(bytes.NewReader([]byte("HTTP/1.1 400 Bad Request\r\n"))); err == nil {
		t.Fatal("HTTP read as GIOP")
	} else if _, ok := err.(*ErrNotGIOP); !ok {
		t.Fatalf("error %T %v, want ErrNotGIOP", err, err)
	}
}

func TestSystemExceptionBothOrders(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
		e := NewEncoder(order, headerLen)
		e.String("IDL:omg.org/CORBA/TRANSIENT:1.0")
		e.ULong(0x4f4d0002)
		e.ULong(2)
		se, err := DecodeSystemException(NewDecoder(e.Bytes(), order, headerLen))
		if err != nil {
			t.Fatal(err)
		}
		if se.Name != "TRANSIENT" || se.Minor != 0x4f4d0002 || se.Completion != "MAYBE" {
			t.Fatalf("%s: %+v", order, se)
		}
	}
}
