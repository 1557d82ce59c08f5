package giop

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// omniNamesIOR is the root context IOR an omniNames 4.2 logged.
const omniNamesIOR = "IOR:010000002b00000049444c3a6f6d672e6f72672f436f734e616d696e672f4e616d696e67436f6e746578744578743a312e30000001000000000000006c000000010102000a0000003132372e302e302e3100db6d0b0000004e616d6553657276696365000300000000000000080000000100000000545441010000001c000000010000000100010001000000010001050901010001000000090101000354544108000000a30c136b0100320f"

// FuzzDecoders feeds arbitrary bytes to every decoder a peer's bytes reach:
// IORs, GIOP messages, replies and name lists. None may panic or
// allocate without bound.
func FuzzDecoders(f *testing.F) {
	raw, _ := hex.DecodeString(omniNamesIOR[4:])
	f.Add(raw)
	f.Add(Frame(Version{1, 2}, binary.BigEndian, MsgLocateReply, []byte{0, 0, 0, 1, 0, 0, 0, 1}))
	f.Add([]byte("GIOP\x01\x00\x01\x01\x08\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := OpenEncapsulation(b); err == nil {
			_, _ = DecodeIOR(d)
		}
		_, _ = ParseIOR("IOR:" + hex.EncodeToString(b))
		if m, err := ReadMessage(bytes.NewReader(b)); err == nil {
			d := m.Decoder()
			_, _ = DecodeSystemException(d)
			_, _ = decodeBindings(m.Decoder())
		}
		_, _ = decodeBindings(NewDecoder(b, binary.LittleEndian, 0))
		_, _ = ParseCorbaloc(string(b))
		_, _ = ParseCorbaname(string(b))
	})
}
