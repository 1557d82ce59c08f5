package protocompat

import (
	"errors"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/msctl/msctl/internal/compat"
)

// checkCType reports the two edition-2023 ctype mistakes that
// bufbuild/protocompile v0.14.1 and buf reject but the newer compiler copy
// inside protoparse accepts: ctype on a field that is not string or bytes,
// and ctype=CORD on an extension. Files are checked dependencies first and
// in declaration order, as the linker validated them, so the first mistake
// reported is the one msctl reported before.
func (s *Set) checkCType(files []protoreflect.FileDescriptor) *ParseError {
	seen := map[string]bool{}
	var perr *ParseError
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if perr != nil || seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := 0; i < fd.Imports().Len(); i++ {
			visit(fd.Imports().Get(i).FileDescriptor)
		}
		if perr == nil && isEdition2023(fd) {
			perr = s.ctypeInContainer(fd)
		}
	}
	for _, fd := range files {
		visit(fd)
	}
	return perr
}

// isEdition2023 reports whether a file declares edition 2023 (the only
// edition the compiler accepts, so any editions file).
func isEdition2023(fd protoreflect.FileDescriptor) bool {
	if e, ok := fd.(interface{ Edition() int32 }); ok {
		return descriptorpb.Edition(e.Edition()) == descriptorpb.Edition_EDITION_2023
	}
	return fd.Syntax() == protoreflect.Editions
}

type container interface {
	Messages() protoreflect.MessageDescriptors
	Extensions() protoreflect.ExtensionDescriptors
}

func (s *Set) ctypeInContainer(c container) *ParseError {
	for i := 0; i < c.Messages().Len(); i++ {
		m := c.Messages().Get(i)
		for j := 0; j < m.Fields().Len(); j++ {
			if err := s.ctypeField(m.Fields().Get(j)); err != nil {
				return err
			}
		}
		if err := s.ctypeInContainer(m); err != nil {
			return err
		}
	}
	for i := 0; i < c.Extensions().Len(); i++ {
		if err := s.ctypeField(c.Extensions().Get(i)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Set) ctypeField(f protoreflect.FieldDescriptor) *ParseError {
	o, _ := f.Options().(*descriptorpb.FieldOptions)
	if o == nil || o.Ctype == nil {
		return nil
	}
	var msg string
	switch {
	case f.Kind() != protoreflect.StringKind && f.Kind() != protoreflect.BytesKind:
		msg = "ctype option can only be used on string and bytes fields"
	case o.GetCtype() == descriptorpb.FieldOptions_CORD && f.IsExtension():
		msg = "ctype option cannot be CORD for extension fields"
	default:
		return nil
	}
	return &ParseError{Location: s.optionLoc(f, 8, 1), Err: errors.New(msg)} // FieldDescriptorProto.options, FieldOptions.ctype
}

// optionLoc is the position of an option of d (the path below d's own
// source path), or of d when the option has no location.
func (s *Set) optionLoc(d protoreflect.Descriptor, sub ...int32) compat.Location {
	fd := d.ParentFile()
	l := s.loc(d)
	if sl := fd.SourceLocations().ByDescriptor(d); sl.Path != nil {
		p := append(append(protoreflect.SourcePath{}, sl.Path...), sub...)
		if ol := fd.SourceLocations().ByPath(p); ol.Path != nil {
			l.Line, l.Column = ol.StartLine+1, ol.StartColumn+1
		}
	}
	return l
}
