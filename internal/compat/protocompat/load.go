// Package protocompat compares two sets of Protocol Buffers files and reports
// the changes that break generated code, the binary wire format or the JSON
// mapping, with buf-compatible rule IDs and categories (FILE, PACKAGE,
// WIRE_JSON, WIRE). Files are parsed and linked with jhump/protoreflect's
// desc/protoparse (which carries its own copy of bufbuild/protocompile's
// compiler): no protoc is needed, and the well-known types are built in.
//
// The root github.com/bufbuild/protocompile package is deliberately not
// imported: its init builds the C++/Java/Go features descriptors and the
// standard-imports map eagerly (~0.4 ms and ~200 KB on every msctl start,
// --version included), while protoparse's copy is linked anyway through
// grpcurl, so its init is already paid.
package protocompat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/jhump/protoreflect/desc/protoparse"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/msctl/msctl/internal/compat"
)

// Input names the files to compile and where to find them.
type Input struct {
	// Read returns a file's bytes by path (the import path joined with the
	// file name); nil reads the local file system.
	Read func(path string) ([]byte, error)
	// ImportPaths are the -I folders, searched in order.
	ImportPaths []string
	// Files are the names to compare, relative to an import path.
	Files []string
	// Label prefixes file names in locations, for example "git:main:" for
	// a baseline read from git; empty for local files.
	Label string
}

// Set is a compiled set of files.
type Set struct {
	Files []protoreflect.FileDescriptor
	// paths maps a file's name to the path it was read from.
	paths map[string]string
	label string
}

// ParseError is a file that does not parse or link; it carries the
// position so the command can print file:line:column and exit 2.
type ParseError struct {
	Location compat.Location
	Err      error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: %v", e.Location.String(), e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Load parses and links the input's files.
func Load(ctx context.Context, in Input) (*Set, error) {
	read := in.Read
	if read == nil {
		read = os.ReadFile
	}
	set := &Set{paths: map[string]string{}, label: in.Label}
	var mu sync.Mutex
	imports := in.ImportPaths
	if len(imports) == 0 {
		imports = []string{"."}
	}
	var first error
	p := protoparse.Parser{
		ImportPaths: imports,
		Accessor: func(p string) (io.ReadCloser, error) {
			// protoparse takes no context; a cancelled load stops at the
			// next file it reads.
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b, err := read(p)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			for _, ip := range imports {
				if rel, err := filepath.Rel(ip, p); err == nil && !strings.HasPrefix(rel, "..") {
					if _, seen := set.paths[filepath.ToSlash(rel)]; !seen {
						set.paths[filepath.ToSlash(rel)] = p
					}
					break
				}
			}
			mu.Unlock()
			return io.NopCloser(strings.NewReader(string(b))), nil
		},
		// Spans are what the rules use; protoparse always generates source
		// info with extra comments, which changes comments only, never the
		// spans.
		IncludeSourceCodeInfo: true,
		ErrorReporter: func(err protoparse.ErrorWithPos) error {
			if first == nil {
				first = err
			}
			return err
		},
	}
	fds, err := p.ParseFiles(in.Files...)
	if err != nil {
		if first != nil {
			err = first
		}
		var ep protoparse.ErrorWithPos
		if errors.As(err, &ep) {
			pos := ep.GetPosition()
			return nil, &ParseError{
				Location: compat.Location{File: set.display(pos.Filename), Line: pos.Line, Column: pos.Col},
				Err:      ep.Unwrap(),
			}
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &ParseError{Location: compat.Location{File: in.Label + strings.Join(in.Files, ",")}, Err: fmt.Errorf("file not found in import paths %s", strings.Join(imports, ", "))}
		}
		return nil, &ParseError{Location: compat.Location{File: in.Label + strings.Join(in.Files, ",")}, Err: err}
	}
	files := make([]protoreflect.FileDescriptor, len(fds))
	for i, fd := range fds {
		files[i] = fd.UnwrapFile()
	}
	if perr := set.checkCType(files); perr != nil {
		return nil, perr
	}
	set.Files = files
	sort.Slice(set.Files, func(i, j int) bool { return set.Files[i].Path() < set.Files[j].Path() })
	return set, nil
}

// display turns a file name into what a user sees: the path it was read
// from, with the source label.
func (s *Set) display(name string) string {
	if p, ok := s.paths[name]; ok {
		name = filepath.ToSlash(filepath.Clean(p))
	}
	return s.label + name
}

// loc is a descriptor's position.
func (s *Set) loc(d protoreflect.Descriptor) compat.Location {
	fd := d.ParentFile()
	l := compat.Location{File: s.display(fd.Path())}
	if fdesc, ok := d.(protoreflect.FileDescriptor); ok {
		return s.pathLoc(fdesc, protoreflect.SourcePath{2})
	}
	if sl := fd.SourceLocations().ByDescriptor(d); sl.Path != nil || sl.StartLine != 0 || sl.StartColumn != 0 {
		l.Line, l.Column = sl.StartLine+1, sl.StartColumn+1
	}
	return l
}

// pathLoc is the position of a source path in a file (an option, the
// package statement), falling back to the package statement, then line 1.
func (s *Set) pathLoc(fd protoreflect.FileDescriptor, p protoreflect.SourcePath) compat.Location {
	l := compat.Location{File: s.display(fd.Path()), Line: 1, Column: 1}
	for _, try := range []protoreflect.SourcePath{p, {2}, {12}} {
		sl := fd.SourceLocations().ByPath(try)
		if sl.Path != nil {
			l.Line, l.Column = sl.StartLine+1, sl.StartColumn+1
			return l
		}
	}
	return l
}

// FindFiles lists the .proto files under dir, relative to dir, with read
// as the lister. Hidden folders are skipped.
func FindFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".proto") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
