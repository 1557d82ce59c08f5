package protocompat

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/msctl/msctl/internal/compat"
)

// Editions features decide some behaviour that proto2 and proto3 fixed by
// syntax. protoreflect does not export resolved features, so they are
// resolved here: the nearest options that set one, else the syntax's or
// edition's default.

type hasFeatures interface {
	GetFeatures() *descriptorpb.FeatureSet
}

func resolved(d protoreflect.Descriptor, pick func(*descriptorpb.FeatureSet) int32) int32 {
	for x := d; x != nil; x = x.Parent() {
		if o, ok := x.Options().(hasFeatures); ok {
			if v := pick(o.GetFeatures()); v != 0 {
				return v
			}
		}
	}
	return 0
}

const (
	utf8Verify = int32(descriptorpb.FeatureSet_VERIFY)
	utf8None   = int32(descriptorpb.FeatureSet_NONE)
	jsonAllow  = int32(descriptorpb.FeatureSet_ALLOW)
	jsonLegacy = int32(descriptorpb.FeatureSet_LEGACY_BEST_EFFORT)
)

// utf8Validation is VERIFY or NONE for a string field.
func utf8Validation(f protoreflect.FieldDescriptor) int32 {
	switch f.ParentFile().Syntax() {
	case protoreflect.Proto2:
		return utf8None
	case protoreflect.Proto3:
		return utf8Verify
	}
	if v := resolved(f, func(fs *descriptorpb.FeatureSet) int32 { return int32(fs.GetUtf8Validation()) }); v != 0 {
		return v
	}
	return utf8Verify
}

// javaUTF8 is whether Java code validates a string field: always in
// proto3, with java_string_check_utf8 or the utf8_validation feature
// otherwise.
func javaUTF8(f protoreflect.FieldDescriptor) int32 {
	fo, _ := f.ParentFile().Options().(*descriptorpb.FileOptions)
	switch {
	case f.ParentFile().Syntax() == protoreflect.Proto3, fo.GetJavaStringCheckUtf8():
		return utf8Verify
	case f.ParentFile().Syntax() == protoreflect.Proto2:
		return utf8None
	}
	return utf8Validation(f)
}

// jsonFormat is ALLOW or LEGACY_BEST_EFFORT for a message or enum.
func jsonFormat(d protoreflect.Descriptor) int32 {
	switch d.ParentFile().Syntax() {
	case protoreflect.Proto2:
		return jsonLegacy
	case protoreflect.Proto3:
		return jsonAllow
	}
	if v := resolved(d, func(fs *descriptorpb.FeatureSet) int32 { return int32(fs.GetJsonFormat()) }); v != 0 {
		return v
	}
	return jsonAllow
}

func featureName(v int32) string {
	switch v {
	case utf8Verify:
		return "VERIFY"
	case utf8None:
		return "NONE"
	}
	return fmt.Sprint(v)
}

func jsonName(v int32) string {
	if v == jsonLegacy {
		return "LEGACY_BEST_EFFORT"
	}
	return "ALLOW"
}

// compareFeatures checks the feature-derived rules for a field present on
// both sides.
func (c *checker) compareFieldFeatures(of, nf protoreflect.FieldDescriptor, what, path string) {
	if of.Kind() != protoreflect.StringKind || nf.Kind() != protoreflect.StringKind {
		return
	}
	loc, base := c.new.set.loc(nf), c.oldLoc(of)
	if a, b := utf8Validation(of), utf8Validation(nf); a != b {
		c.report(FieldSameUTF8Validation, path, fmt.Sprintf("%s changed UTF-8 validation from %s to %s", what, featureName(a), featureName(b)), loc, base)
	}
	if a, b := javaUTF8(of), javaUTF8(nf); a != b {
		c.report(FieldSameJavaUTF8, path, fmt.Sprintf("%s changed Java UTF-8 validation from %s to %s", what, featureName(a), featureName(b)), loc, base)
	}
}

// jsonFormatLowered reports a message or enum whose JSON support went from
// ALLOW to LEGACY_BEST_EFFORT (the other direction only adds support).
func (c *checker) jsonFormatLowered(r compat.Rule, od, nd protoreflect.Descriptor, kind string) {
	if jsonFormat(od) == jsonAllow && jsonFormat(nd) == jsonLegacy {
		c.report(r, string(nd.FullName()), fmt.Sprintf("%s %q changed JSON format from %s to %s", kind, nd.FullName(), jsonName(jsonAllow), jsonName(jsonLegacy)), c.new.set.loc(nd), c.oldLoc(od))
	}
}
