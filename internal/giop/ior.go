package giop

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Profile and component tags (CORBA 3.x, 7.6 and 15.7; omniORB's own).
const (
	TagInternetIOP          = 0
	TagMultipleComponents   = 1
	TagORBType              = 0
	TagCodeSets             = 1
	TagPolicies             = 2
	TagAlternateIIOPAddress = 3
	TagSSLSecTrans          = 20
	TagOmniORBPersistentID  = 0x41545403
)

// IOR is a decoded Interoperable Object Reference.
type IOR struct {
	TypeID   string    `json:"type_id"`
	Profiles []Profile `json:"profiles"`
}

// Profile is one tagged profile; IIOP holds the decoded IIOP profile, Data
// the raw bytes of any other kind.
type Profile struct {
	Tag  uint32       `json:"tag"`
	Name string       `json:"name"`
	IIOP *IIOPProfile `json:"iiop,omitempty"`
	Data string       `json:"data_hex,omitempty"`
}

// IIOPProfile is TAG_INTERNET_IOP's ProfileBody.
type IIOPProfile struct {
	Major      byte        `json:"major"`
	Minor      byte        `json:"minor"`
	Host       string      `json:"host"`
	Port       uint16      `json:"port"`
	ObjectKey  []byte      `json:"-"`
	KeyText    string      `json:"object_key"`
	KeyHex     string      `json:"object_key_hex"`
	Components []Component `json:"components,omitempty"`
}

// Component is a tagged component with what msctl knows how to decode.
type Component struct {
	Tag  uint32 `json:"tag"`
	Name string `json:"name"`
	// Text is the decoded value (ORB type, code sets, address), when known.
	Text string `json:"value,omitempty"`
	Hex  string `json:"data_hex"`
}

// Address is where the profile says to connect.
func (p *IIOPProfile) Address() string {
	return joinHostPort(p.Host, p.Port)
}

// ParseIOR decodes a stringified IOR ("IOR:" and hex digits).
func ParseIOR(s string) (*IOR, error) {
	s = strings.TrimSpace(s)
	if len(s) < 4 || !strings.EqualFold(s[:4], "IOR:") {
		return nil, errors.New("not a stringified IOR: want IOR: followed by hex digits")
	}
	b, err := hex.DecodeString(s[4:])
	if err != nil {
		return nil, fmt.Errorf("IOR hex digits: %w", err)
	}
	d, err := OpenEncapsulation(b)
	if err != nil {
		return nil, fmt.Errorf("IOR: %w", err)
	}
	return DecodeIOR(d)
}

// DecodeIOR reads an IOR from CDR (as in a reply carrying an Object).
func DecodeIOR(d *Decoder) (*IOR, error) {
	ior := &IOR{}
	var err error
	if ior.TypeID, err = d.String(); err != nil {
		return nil, fmt.Errorf("IOR type id: %w", err)
	}
	n, err := d.Count(8)
	if err != nil {
		return nil, fmt.Errorf("IOR profiles: %w", err)
	}
	for i := range n {
		tag, err := d.ULong()
		if err != nil {
			return nil, fmt.Errorf("IOR profile %d: %w", i+1, err)
		}
		data, err := d.OctetSeq()
		if err != nil {
			return nil, fmt.Errorf("IOR profile %d: %w", i+1, err)
		}
		p := Profile{Tag: tag, Name: profileName(tag)}
		if tag == TagInternetIOP {
			if p.IIOP, err = decodeIIOP(data); err != nil {
				return nil, fmt.Errorf("IOR profile %d (IIOP): %w", i+1, err)
			}
		} else {
			p.Data = hex.EncodeToString(data)
		}
		ior.Profiles = append(ior.Profiles, p)
	}
	return ior, nil
}

// IsNil reports whether the IOR is the nil object reference.
func (r *IOR) IsNil() bool { return r.TypeID == "" && len(r.Profiles) == 0 }

// IIOP returns the IIOP profiles.
func (r *IOR) IIOP() []*IIOPProfile {
	var out []*IIOPProfile
	for _, p := range r.Profiles {
		if p.IIOP != nil {
			out = append(out, p.IIOP)
		}
	}
	return out
}

func profileName(tag uint32) string {
	switch tag {
	case TagInternetIOP:
		return "TAG_INTERNET_IOP"
	case TagMultipleComponents:
		return "TAG_MULTIPLE_COMPONENTS"
	}
	return fmt.Sprintf("TAG_%#x", tag)
}

func decodeIIOP(data []byte) (*IIOPProfile, error) {
	d, err := OpenEncapsulation(data)
	if err != nil {
		return nil, err
	}
	p := &IIOPProfile{}
	if p.Major, err = d.Octet(); err != nil {
		return nil, err
	}
	if p.Minor, err = d.Octet(); err != nil {
		return nil, err
	}
	if p.Major != 1 {
		return nil, fmt.Errorf("IIOP version %d.%d not supported", p.Major, p.Minor)
	}
	if p.Host, err = d.String(); err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	if p.Port, err = d.UShort(); err != nil {
		return nil, fmt.Errorf("port: %w", err)
	}
	if p.ObjectKey, err = d.OctetSeq(); err != nil {
		return nil, fmt.Errorf("object key: %w", err)
	}
	p.KeyText, p.KeyHex = keyText(p.ObjectKey), hex.EncodeToString(p.ObjectKey)
	if p.Minor == 0 {
		return p, nil
	}
	n, err := d.Count(8)
	if err != nil {
		return nil, fmt.Errorf("components: %w", err)
	}
	for range n {
		tag, err := d.ULong()
		if err != nil {
			return nil, fmt.Errorf("component: %w", err)
		}
		data, err := d.OctetSeq()
		if err != nil {
			return nil, fmt.Errorf("component %#x: %w", tag, err)
		}
		p.Components = append(p.Components, decodeComponent(tag, data))
	}
	return p, nil
}

// keyText shows an object key as text when it is printable (omniNames'
// "NameService"), else as hex digits, as catior does.
func keyText(k []byte) string {
	for _, c := range k {
		if c > unicode.MaxASCII || !unicode.IsPrint(rune(c)) {
			return "0x" + hex.EncodeToString(k)
		}
	}
	return string(k)
}

// ORB type ids (OMG's registry of vendor tags).
var orbTypes = map[uint32]string{
	0x41545400: "omniORB",
	0x4f4f4300: "ORBacus",
	0x54414f00: "TAO",
	0x4a414300: "JacORB",
	0x49424d00: "IBM",
	0x53554e00: "Sun",
	0x58505300: "PrismTech",
	0x48500000: "HP",
	0x4d4b3000: "MICO",
	0x29a:      "MICO",
}

// Code set ids (OSF code set registry) that ORBs announce.
var codeSets = map[uint32]string{
	0x00010001: "ISO-8859-1",
	0x00010002: "ISO-8859-2",
	0x00010020: "UCS-2",
	0x00010100: "UCS-2 level 1",
	0x00010104: "UCS-4",
	0x00010106: "UCS-4",
	0x00010109: "UTF-16",
	0x05010001: "UTF-8",
	0x00010022: "ISO-8859-15",
	0x05000010: "UTF-16 (legacy)",
	0x00020025: "ISO-646",
}

func codeSetName(id uint32) string {
	if n, ok := codeSets[id]; ok {
		return n
	}
	return fmt.Sprintf("%#08x", id)
}

func decodeComponent(tag uint32, data []byte) Component {
	c := Component{Tag: tag, Hex: hex.EncodeToString(data)}
	switch tag {
	case TagORBType:
		c.Name = "TAG_ORB_TYPE"
		if d, err := OpenEncapsulation(data); err == nil {
			if v, err := d.ULong(); err == nil {
				name, ok := orbTypes[v]
				if !ok {
					name = "unknown"
				}
				c.Text = fmt.Sprintf("%s (%#08x)", name, v)
			}
		}
	case TagCodeSets:
		c.Name = "TAG_CODE_SETS"
		c.Text = decodeCodeSets(data)
	case TagAlternateIIOPAddress:
		c.Name = "TAG_ALTERNATE_IIOP_ADDRESS"
		if d, err := OpenEncapsulation(data); err == nil {
			host, err1 := d.String()
			port, err2 := d.UShort()
			if err1 == nil && err2 == nil {
				c.Text = joinHostPort(host, port)
			}
		}
	case TagPolicies:
		c.Name = "TAG_POLICIES"
	case TagSSLSecTrans:
		c.Name = "TAG_SSL_SEC_TRANS"
	case TagOmniORBPersistentID:
		c.Name = "TAG_OMNIORB_PERSISTENT_ID"
		c.Text = "0x" + c.Hex
	default:
		c.Name = fmt.Sprintf("TAG_%#x", tag)
	}
	return c
}

// decodeCodeSets reads CONV_FRAME::CodeSetComponentInfo: for char and
// then wchar data, a native code set and the conversion code sets.
func decodeCodeSets(data []byte) string {
	d, err := OpenEncapsulation(data)
	if err != nil {
		return ""
	}
	var parts []string
	for _, kind := range []string{"char", "wchar"} {
		native, err := d.ULong()
		if err != nil {
			return strings.Join(parts, "; ")
		}
		n, err := d.Count(4)
		if err != nil {
			return strings.Join(parts, "; ")
		}
		var conv []string
		for range n {
			v, err := d.ULong()
			if err != nil {
				break
			}
			conv = append(conv, codeSetName(v))
		}
		s := kind + " native " + codeSetName(native)
		if len(conv) > 0 {
			s += " conversion " + strings.Join(conv, ",")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// EncodeIOR writes an IOR in CDR (for tests and for the object a
// LocateReply forwards to).
func EncodeIOR(e *Encoder, r *IOR) {
	e.String(r.TypeID)
	e.ULong(uint32(len(r.Profiles)))
	for _, p := range r.Profiles {
		e.ULong(p.Tag)
		if p.IIOP == nil {
			b, _ := hex.DecodeString(p.Data)
			e.OctetSeq(b)
			continue
		}
		b := Encapsulation(e.Order)
		b.Octet(p.IIOP.Major)
		b.Octet(p.IIOP.Minor)
		b.String(p.IIOP.Host)
		b.UShort(p.IIOP.Port)
		b.OctetSeq(p.IIOP.ObjectKey)
		if p.IIOP.Minor > 0 {
			b.ULong(uint32(len(p.IIOP.Components)))
			for _, c := range p.IIOP.Components {
				b.ULong(c.Tag)
				raw, _ := hex.DecodeString(c.Hex)
				b.OctetSeq(raw)
			}
		}
		e.OctetSeq(b.Bytes())
	}
}

// Stringify renders the IOR as IOR: and hex digits, in order.
func (r *IOR) Stringify(order binary.ByteOrder) string {
	e := Encapsulation(order)
	EncodeIOR(e, r)
	return "IOR:" + hex.EncodeToString(e.Bytes())
}
