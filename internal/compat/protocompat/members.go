package protocompat

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// maxFieldNumber is the largest field number protobuf allows; reserved
// "to max" ranges end there.
const maxFieldNumber = 1<<29 - 1

func (c *checker) compareMessages() {
	for _, name := range sortedKeys(c.old.messages) {
		om := c.old.messages[name]
		nm, ok := c.new.messages[c.mapName(name)]
		if !ok {
			continue
		}
		c.compareMessage(om, nm)
	}
}

func (c *checker) compareMessage(om, nm protoreflect.MessageDescriptor) {
	mname := string(nm.FullName())
	mloc := c.new.set.loc(nm)
	ofs, nfs := om.Fields(), nm.Fields()
	for i := 0; i < ofs.Len(); i++ {
		of := ofs.Get(i)
		nf := nfs.ByNumber(of.Number())
		path := mname + "." + string(of.Name())
		if nf == nil {
			msg := fmt.Sprintf("field %d %q was deleted from message %q%s", of.Number(), of.Name(), mname, deprecated(of))
			c.reportDeleted(FieldNoDelete, of, path, msg, mloc, c.oldLoc(of))
			if !nm.ReservedRanges().Has(of.Number()) {
				c.reportDeleted(FieldNoDeleteUnlessNumber, of, path, msg+" without reserving its number", mloc, c.oldLoc(of))
			}
			if !nm.ReservedNames().Has(of.Name()) {
				c.reportDeleted(FieldNoDeleteUnlessName, of, path, msg+" without reserving its name", mloc, c.oldLoc(of))
			}
			continue
		}
		c.compareField(of, nf)
	}
	// Oneofs (synthetic ones for proto3 optional are not real oneofs).
	for i := 0; i < om.Oneofs().Len(); i++ {
		oo := om.Oneofs().Get(i)
		if oo.IsSynthetic() {
			continue
		}
		if no := nm.Oneofs().ByName(oo.Name()); no == nil || no.IsSynthetic() {
			c.report(OneofNoDelete, mname+"."+string(oo.Name()), fmt.Sprintf("oneof %q was deleted from message %q", oo.Name(), mname), mloc, c.oldLoc(oo))
		}
	}
	// Reserved ranges and names.
	ors, nrs := om.ReservedRanges(), nm.ReservedRanges()
	for i := 0; i < ors.Len(); i++ {
		r := ors.Get(i)
		if !rangeCovered(r, nrs) {
			c.report(ReservedMessageNoDelete, mname, fmt.Sprintf("reserved range %s was deleted from message %q", fmtRange(r, maxFieldNumber+1), mname), mloc, c.oldLoc(om))
		}
	}
	for i := 0; i < om.ReservedNames().Len(); i++ {
		n := om.ReservedNames().Get(i)
		if !nm.ReservedNames().Has(n) {
			c.report(ReservedMessageNoDelete, mname, fmt.Sprintf("reserved name %q was deleted from message %q", n, mname), mloc, c.oldLoc(om))
		}
	}
	oxs, nxs := om.ExtensionRanges(), nm.ExtensionRanges()
	for i := 0; i < oxs.Len(); i++ {
		r := oxs.Get(i)
		if !rangeCovered(r, nxs) {
			c.report(ExtensionMessageNoDelete, mname, fmt.Sprintf("extension range %s was deleted from message %q", fmtRange(r, maxFieldNumber+1), mname), mloc, c.oldLoc(om))
		}
	}
	// Required fields: adding or removing one breaks old writers or readers.
	oreq, nreq := requiredSet(om), requiredSet(nm)
	if oreq != nreq {
		c.report(MessageSameRequiredFields, mname, fmt.Sprintf("message %q changed its required fields from [%s] to [%s]", mname, oreq, nreq), mloc, c.oldLoc(om))
	}
	c.jsonFormatLowered(MessageSameJSONFormat, om, nm, "message")
	oo, _ := om.Options().(*descriptorpb.MessageOptions)
	no, _ := nm.Options().(*descriptorpb.MessageOptions)
	if oo.GetMessageSetWireFormat() != no.GetMessageSetWireFormat() {
		c.report(MessageSameMessageSet, mname, fmt.Sprintf("message %q changed message_set_wire_format from %v to %v", mname, oo.GetMessageSetWireFormat(), no.GetMessageSetWireFormat()), mloc, c.oldLoc(om))
	}
	if !oo.GetNoStandardDescriptorAccessor() && no.GetNoStandardDescriptorAccessor() {
		c.report(MessageNoRemoveStdAccessor, mname, fmt.Sprintf("message %q turned on no_standard_descriptor_accessor", mname), mloc, c.oldLoc(om))
	}
}

// rangeCovered reports whether the reserved or extension range r is still
// inside one of rs's ranges.
func rangeCovered(r [2]protoreflect.FieldNumber, rs interface {
	Len() int
	Get(int) [2]protoreflect.FieldNumber
}) bool {
	// MessageSet ranges may reach 2^31-1; "to max" is the same promise.
	end := func(n protoreflect.FieldNumber) protoreflect.FieldNumber { return min(n, maxFieldNumber+1) }
	for i := 0; i < rs.Len(); i++ {
		n := rs.Get(i)
		if n[0] <= r[0] && end(r[1]) <= end(n[1]) {
			return true
		}
	}
	return false
}

func fmtRange(r [2]protoreflect.FieldNumber, max int32) string {
	if int32(r[1]) >= max {
		return fmt.Sprintf("%d to max", r[0])
	}
	if r[1]-r[0] == 1 {
		return fmt.Sprint(r[0])
	}
	return fmt.Sprintf("%d to %d", r[0], r[1]-1)
}

func requiredSet(m protoreflect.MessageDescriptor) string {
	var out []string
	for i := 0; i < m.Fields().Len(); i++ {
		f := m.Fields().Get(i)
		if f.Cardinality() == protoreflect.Required {
			out = append(out, fmt.Sprint(f.Number()))
		}
	}
	return strings.Join(out, ",")
}

// cardinality names a field's cardinality as the generated code sees it.
func cardinality(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return "map"
	case f.Cardinality() == protoreflect.Repeated:
		return "repeated"
	case f.Cardinality() == protoreflect.Required:
		return "required"
	case f.HasPresence():
		return "optional"
	}
	return "implicit"
}

// typeName is a field's type as a user writes it, with message and enum
// names translated to the new side's namespace when mapName is given.
func typeName(f protoreflect.FieldDescriptor, mapName func(string) string) string {
	switch {
	case f.IsMap():
		return "map<" + typeName(f.MapKey(), mapName) + ", " + typeName(f.MapValue(), mapName) + ">"
	case f.Message() != nil:
		return mapName(string(f.Message().FullName()))
	case f.Enum() != nil:
		return mapName(string(f.Enum().FullName()))
	}
	return f.Kind().String()
}

func same(s string) string { return s }

// wireGroup puts kinds that share a wire encoding in one group; changing a
// field's type within its group keeps old bytes readable.
func wireGroup(f protoreflect.FieldDescriptor) string {
	switch f.Kind() {
	case protoreflect.Int32Kind, protoreflect.Uint32Kind, protoreflect.Int64Kind, protoreflect.Uint64Kind, protoreflect.BoolKind, protoreflect.EnumKind:
		return "varint"
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return "zigzag"
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return "fixed32"
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return "fixed64"
	case protoreflect.StringKind, protoreflect.BytesKind:
		return "bytes"
	case protoreflect.FloatKind:
		return "float"
	case protoreflect.DoubleKind:
		return "double"
	}
	return "message"
}

func (c *checker) compareField(of, nf protoreflect.FieldDescriptor) {
	m := nf.ContainingMessage()
	path := string(m.FullName()) + "." + string(nf.Name())
	loc := c.new.set.loc(nf)
	base := c.oldLoc(of)
	what := fmt.Sprintf("field %d %q on message %q", nf.Number(), nf.Name(), m.FullName())
	if of.Name() != nf.Name() {
		c.report(FieldSameName, path, fmt.Sprintf("field %d on message %q changed name from %q to %q", nf.Number(), m.FullName(), of.Name(), nf.Name()), loc, base)
	}
	if of.JSONName() != nf.JSONName() {
		c.report(FieldSameJSONName, path, fmt.Sprintf("%s changed JSON name from %q to %q", what, of.JSONName(), nf.JSONName()), loc, base)
	}
	ot, nt := typeName(of, c.mapName), typeName(nf, same)
	if ot != nt {
		msg := fmt.Sprintf("%s changed type from %s to %s", what, ot, nt)
		c.report(FieldSameType, path, msg, loc, base)
		c.report(FieldWireJSONCompatType, path, msg, loc, base)
		// Kinds that share an encoding (int32/int64/uint64/bool/enum,
		// string/bytes, fixed32/sfixed32, ...) keep old bytes readable.
		if og := wireGroup(of); og != wireGroup(nf) || og == "message" || of.IsMap() || nf.IsMap() {
			c.report(FieldWireCompatType, path, msg, loc, base)
		}
	}
	oc, nc := cardinality(of), cardinality(nf)
	if oc != nc {
		msg := fmt.Sprintf("%s changed cardinality from %s to %s", what, oc, nc)
		c.report(FieldSameCardinality, path, msg, loc, base)
		oRep, nRep := oc == "repeated" || oc == "map", nc == "repeated" || nc == "map"
		structural := oc == "map" || nc == "map" || oc == "required" || nc == "required"
		if structural || oRep != nRep {
			c.report(FieldWireJSONCompatCard, path, msg, loc, base)
		}
		// buf treats every change between singular and repeated as
		// wire-breaking: old readers of a packed or repeated field keep
		// only the last element.
		if structural || oRep != nRep {
			c.report(FieldWireCompatCard, path, msg, loc, base)
		}
	}
	oneof := func(f protoreflect.FieldDescriptor) string {
		if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
			return string(o.Name())
		}
		return ""
	}
	if a, b := oneof(of), oneof(nf); a != b {
		desc := func(s string) string {
			if s == "" {
				return "no oneof"
			}
			return "oneof " + s
		}
		c.report(FieldSameOneof, path, fmt.Sprintf("%s moved from %s to %s", what, desc(a), desc(b)), loc, base)
	}
	if a, b := defaultOf(of), defaultOf(nf); a != b {
		c.report(FieldSameDefault, path, fmt.Sprintf("%s changed default from %s to %s", what, a, b), loc, base)
	}
	c.compareFieldFeatures(of, nf, what, path)
	ofo, _ := of.Options().(*descriptorpb.FieldOptions)
	nfo, _ := nf.Options().(*descriptorpb.FieldOptions)
	if ofo.GetJstype() != nfo.GetJstype() {
		c.report(FieldSameJSType, path, fmt.Sprintf("%s changed jstype from %s to %s", what, ofo.GetJstype(), nfo.GetJstype()), loc, base)
	}
	if ofo.GetCtype() != nfo.GetCtype() {
		c.report(FieldSameCType, path, fmt.Sprintf("%s changed ctype from %s to %s", what, ofo.GetCtype(), nfo.GetCtype()), loc, base)
	}
}

// defaultOf renders an explicit default; implicit zero values render as
// "none" so that declaring the zero value explicitly is not a change.
func defaultOf(f protoreflect.FieldDescriptor) string {
	if !f.HasDefault() || f.Cardinality() == protoreflect.Repeated {
		return "none"
	}
	if ev := f.DefaultEnumValue(); ev != nil {
		return string(ev.Name())
	}
	return fmt.Sprintf("%v", f.Default().Interface())
}

func (c *checker) compareEnums() {
	for _, name := range sortedKeys(c.old.enums) {
		oe := c.old.enums[name]
		ne, ok := c.new.enums[c.mapName(name)]
		if !ok {
			continue
		}
		ename := string(ne.FullName())
		eloc := c.new.set.loc(ne)
		for i := 0; i < oe.Values().Len(); i++ {
			ov := oe.Values().Get(i)
			path := ename + "." + string(ov.Name())
			nvs := valuesByNumber(ne, ov.Number())
			if len(nvs) == 0 {
				msg := fmt.Sprintf("enum value %d %q was deleted from enum %q%s", ov.Number(), ov.Name(), ename, deprecated(ov))
				c.reportDeleted(EnumValueNoDelete, ov, path, msg, eloc, c.oldLoc(ov))
				if !ne.ReservedRanges().Has(ov.Number()) {
					c.reportDeleted(EnumValueNoDeleteUnlessNumber, ov, path, msg+" without reserving its number", eloc, c.oldLoc(ov))
				}
				if !ne.ReservedNames().Has(ov.Name()) {
					c.reportDeleted(EnumValueNoDeleteUnlessName, ov, path, msg+" without reserving its name", eloc, c.oldLoc(ov))
				}
				continue
			}
			found := false
			for _, nv := range nvs {
				if nv.Name() == ov.Name() {
					found = true
				}
			}
			if !found {
				c.report(EnumValueSameName, path, fmt.Sprintf("enum value %d on enum %q changed name from %q to %q", ov.Number(), ename, ov.Name(), nvs[0].Name()), c.new.set.loc(nvs[0]), c.oldLoc(ov))
			}
		}
		ors, nrs := oe.ReservedRanges(), ne.ReservedRanges()
		for i := 0; i < ors.Len(); i++ {
			r := ors.Get(i)
			covered := false
			for j := 0; j < nrs.Len(); j++ {
				if n := nrs.Get(j); n[0] <= r[0] && r[1] <= n[1] {
					covered = true
				}
			}
			if !covered {
				what := fmt.Sprintf("%d to %d", r[0], r[1])
				if r[0] == r[1] {
					what = fmt.Sprint(r[0])
				}
				c.report(ReservedEnumNoDelete, ename, fmt.Sprintf("reserved range %s was deleted from enum %q", what, ename), eloc, c.oldLoc(oe))
			}
		}
		for i := 0; i < oe.ReservedNames().Len(); i++ {
			n := oe.ReservedNames().Get(i)
			if !ne.ReservedNames().Has(n) {
				c.report(ReservedEnumNoDelete, ename, fmt.Sprintf("reserved name %q was deleted from enum %q", n, ename), eloc, c.oldLoc(oe))
			}
		}
		c.jsonFormatLowered(EnumSameJSONFormat, oe, ne, "enum")
		if oe.IsClosed() != ne.IsClosed() {
			kind := map[bool]string{true: "closed", false: "open"}
			c.report(EnumSameType, ename, fmt.Sprintf("enum %q changed from %s to %s", ename, kind[oe.IsClosed()], kind[ne.IsClosed()]), eloc, c.oldLoc(oe))
		}
	}
}

func valuesByNumber(e protoreflect.EnumDescriptor, n protoreflect.EnumNumber) []protoreflect.EnumValueDescriptor {
	var out []protoreflect.EnumValueDescriptor
	for i := 0; i < e.Values().Len(); i++ {
		if v := e.Values().Get(i); v.Number() == n {
			out = append(out, v)
		}
	}
	return out
}

func (c *checker) compareServices() {
	for _, name := range sortedKeys(c.old.services) {
		os := c.old.services[name]
		ns, ok := c.new.services[c.mapName(name)]
		if !ok {
			continue
		}
		sname := string(ns.FullName())
		for i := 0; i < os.Methods().Len(); i++ {
			om := os.Methods().Get(i)
			path := sname + "." + string(om.Name())
			nm := ns.Methods().ByName(om.Name())
			if nm == nil {
				c.reportDeleted(RPCNoDelete, om, path, fmt.Sprintf("RPC %q was deleted from service %q%s", om.Name(), sname, deprecated(om)), c.new.set.loc(ns), c.oldLoc(om))
				continue
			}
			loc, base := c.new.set.loc(nm), c.oldLoc(om)
			if a, b := c.mapName(string(om.Input().FullName())), string(nm.Input().FullName()); a != b {
				c.report(RPCSameRequestType, path, fmt.Sprintf("RPC %q changed request type from %s to %s", path, a, b), loc, base)
			}
			if a, b := c.mapName(string(om.Output().FullName())), string(nm.Output().FullName()); a != b {
				c.report(RPCSameResponseType, path, fmt.Sprintf("RPC %q changed response type from %s to %s", path, a, b), loc, base)
			}
			if om.IsStreamingClient() != nm.IsStreamingClient() {
				c.report(RPCSameClientStreaming, path, fmt.Sprintf("RPC %q changed client streaming from %v to %v", path, om.IsStreamingClient(), nm.IsStreamingClient()), loc, base)
			}
			if om.IsStreamingServer() != nm.IsStreamingServer() {
				c.report(RPCSameServerStreaming, path, fmt.Sprintf("RPC %q changed server streaming from %v to %v", path, om.IsStreamingServer(), nm.IsStreamingServer()), loc, base)
			}
			oo, _ := om.Options().(*descriptorpb.MethodOptions)
			no, _ := nm.Options().(*descriptorpb.MethodOptions)
			if oo.GetIdempotencyLevel() != no.GetIdempotencyLevel() {
				c.report(RPCSameIdempotencyLevel, path, fmt.Sprintf("RPC %q changed idempotency level from %s to %s", path, oo.GetIdempotencyLevel(), no.GetIdempotencyLevel()), loc, base)
			}
		}
	}
}

// additions reports what is new; they need a minor version bump.
func (c *checker) additions() {
	oldFiles := map[string]bool{}
	for _, of := range c.old.set.Files {
		if nf, ok := c.mapFile(of); ok {
			oldFiles[nf.Path()] = true
		}
	}
	for _, nf := range c.new.set.Files {
		if !oldFiles[nf.Path()] {
			c.report(FileAdded, nf.Path(), fmt.Sprintf("file %q was added", nf.Path()), c.new.set.loc(nf), nil)
		}
	}
	// The baseline's elements by their name on the new side.
	oldMsgs := map[string]protoreflect.MessageDescriptor{}
	for n, m := range c.old.messages {
		oldMsgs[c.mapName(n)] = m
	}
	oldEnums := map[string]protoreflect.EnumDescriptor{}
	for n, e := range c.old.enums {
		oldEnums[c.mapName(n)] = e
	}
	oldSvcs := map[string]protoreflect.ServiceDescriptor{}
	for n, sv := range c.old.services {
		oldSvcs[c.mapName(n)] = sv
	}
	for _, n := range sortedKeys(c.new.messages) {
		m := c.new.messages[n]
		om, ok := oldMsgs[n]
		if !ok {
			c.report(MessageAdded, n, fmt.Sprintf("message %q was added", n), c.new.set.loc(m), nil)
			continue
		}
		for i := 0; i < m.Fields().Len(); i++ {
			f := m.Fields().Get(i)
			if om.Fields().ByNumber(f.Number()) == nil {
				c.report(FieldAdded, n+"."+string(f.Name()), fmt.Sprintf("field %d %q was added to message %q", f.Number(), f.Name(), n), c.new.set.loc(f), nil)
			}
		}
	}
	for _, n := range sortedKeys(c.new.enums) {
		e := c.new.enums[n]
		oe, ok := oldEnums[n]
		if !ok {
			c.report(EnumAdded, n, fmt.Sprintf("enum %q was added", n), c.new.set.loc(e), nil)
			continue
		}
		for i := 0; i < e.Values().Len(); i++ {
			v := e.Values().Get(i)
			if len(valuesByNumber(oe, v.Number())) == 0 {
				c.report(EnumValueAdded, n+"."+string(v.Name()), fmt.Sprintf("enum value %d %q was added to enum %q", v.Number(), v.Name(), n), c.new.set.loc(v), nil)
			}
		}
	}
	for _, n := range sortedKeys(c.new.services) {
		s := c.new.services[n]
		os, ok := oldSvcs[n]
		if !ok {
			c.report(ServiceAdded, n, fmt.Sprintf("service %q was added", n), c.new.set.loc(s), nil)
			continue
		}
		for i := 0; i < s.Methods().Len(); i++ {
			m := s.Methods().Get(i)
			if os.Methods().ByName(m.Name()) == nil {
				c.report(RPCAdded, n+"."+string(m.Name()), fmt.Sprintf("RPC %q was added to service %q", m.Name(), n), c.new.set.loc(m), nil)
			}
		}
	}
}
