package protocompat

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/msctl/msctl/internal/compat"
)

// Options tune a comparison.
type Options struct {
	// Category is FILE, PACKAGE, WIRE_JSON or WIRE; empty means FILE.
	Category string
	// PairSingle compares the only file of each side with each other even
	// when their names differ (msctl compat proto new.proto --against
	// old.proto).
	PairSingle bool
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Findings []compat.Finding
	// OldVersion and NewVersion are the major versions the packages
	// declare with a vN suffix ("v1"), empty when they declare none or
	// disagree.
	OldVersion, NewVersion string
	// Renamed maps a baseline package to the new major package it was
	// compared with (orders.v1 -> orders.v2).
	Renamed map[string]string
}

// index holds one side's elements by full name.
type index struct {
	set      *Set
	files    map[string]protoreflect.FileDescriptor
	packages map[string]protoreflect.FileDescriptor
	messages map[string]protoreflect.MessageDescriptor
	enums    map[string]protoreflect.EnumDescriptor
	services map[string]protoreflect.ServiceDescriptor
	exts     map[string]protoreflect.FieldDescriptor
}

func newIndex(s *Set) *index {
	ix := &index{set: s, files: map[string]protoreflect.FileDescriptor{}, packages: map[string]protoreflect.FileDescriptor{},
		messages: map[string]protoreflect.MessageDescriptor{}, enums: map[string]protoreflect.EnumDescriptor{},
		services: map[string]protoreflect.ServiceDescriptor{}, exts: map[string]protoreflect.FieldDescriptor{}}
	for _, f := range s.Files {
		ix.files[f.Path()] = f
		if _, ok := ix.packages[string(f.Package())]; !ok {
			ix.packages[string(f.Package())] = f
		}
		walkFile(f, func(m protoreflect.MessageDescriptor) { ix.messages[string(m.FullName())] = m },
			func(e protoreflect.EnumDescriptor) { ix.enums[string(e.FullName())] = e },
			func(x protoreflect.FieldDescriptor) { ix.exts[string(x.FullName())] = x })
		for i := 0; i < f.Services().Len(); i++ {
			sv := f.Services().Get(i)
			ix.services[string(sv.FullName())] = sv
		}
	}
	return ix
}

// walkFile visits every message (not map entries), enum and extension of a
// file, nested ones included.
func walkFile(f protoreflect.FileDescriptor, msg func(protoreflect.MessageDescriptor), enum func(protoreflect.EnumDescriptor), ext func(protoreflect.FieldDescriptor)) {
	var walkMsgs func(ms protoreflect.MessageDescriptors)
	walkEnums := func(es protoreflect.EnumDescriptors) {
		for i := 0; i < es.Len(); i++ {
			enum(es.Get(i))
		}
	}
	walkExts := func(xs protoreflect.ExtensionDescriptors) {
		for i := 0; i < xs.Len(); i++ {
			ext(xs.Get(i))
		}
	}
	walkMsgs = func(ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len(); i++ {
			m := ms.Get(i)
			if m.IsMapEntry() {
				continue
			}
			msg(m)
			walkEnums(m.Enums())
			walkExts(m.Extensions())
			walkMsgs(m.Messages())
		}
	}
	walkEnums(f.Enums())
	walkExts(f.Extensions())
	walkMsgs(f.Messages())
}

var majorSuffix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.*)\.v(\d+)((?:alpha|beta|test)\d*)?$`) })

// checker carries one comparison's state.
type checker struct {
	old, new *index
	cat      string
	renamed  map[string]string
	fileMap  map[string]string
	out      []compat.Finding
}

// Compare reports the differences from old to new.
func Compare(oldSet, newSet *Set, opts Options) *Comparison {
	cat, ok := ParseCategory(opts.Category)
	if !ok {
		cat = CatFile
	}
	c := &checker{old: newIndex(oldSet), new: newIndex(newSet), cat: cat, renamed: map[string]string{}, fileMap: map[string]string{}}
	c.findRenames()
	if opts.PairSingle && len(oldSet.Files) == 1 && len(newSet.Files) == 1 {
		c.fileMap[oldSet.Files[0].Path()] = newSet.Files[0].Path()
	}
	c.compareFiles()
	c.comparePackages()
	c.compareMessages()
	c.compareEnums()
	c.compareServices()
	c.additions()
	res := &Comparison{Findings: c.out, Renamed: c.renamed}
	res.OldVersion, res.NewVersion = declaredMajors(c.old, c.new, c.renamed)
	return res
}

// findRenames pairs a baseline package that is gone with a new package of
// the same stem and a higher major version: orders.v1 -> orders.v2 is a new
// major version, compared as such, not a deleted package.
func (c *checker) findRenames() {
	for p := range c.old.packages {
		if _, ok := c.new.packages[p]; ok {
			continue
		}
		m := majorSuffix().FindStringSubmatch(p)
		if m == nil {
			continue
		}
		oldMajor, _ := strconv.Atoi(m[2])
		best, bestMajor := "", 0
		for q := range c.new.packages {
			n := majorSuffix().FindStringSubmatch(q)
			if n == nil || n[1] != m[1] {
				continue
			}
			if v, _ := strconv.Atoi(n[2]); v > oldMajor && (best == "" || v < bestMajor) {
				best, bestMajor = q, v
			}
		}
		if best != "" {
			c.renamed[p] = best
		}
	}
}

// declaredMajors returns the vN suffixes of the compared packages when
// each side has exactly one versioned package.
func declaredMajors(o, n *index, renamed map[string]string) (string, string) {
	one := func(ix *index) string {
		var v string
		for p := range ix.packages {
			m := majorSuffix().FindStringSubmatch(p)
			if m == nil {
				return ""
			}
			// v1alpha1 and v1beta2 are pre-releases of v1.
			pv := "v" + m[2]
			if m[3] != "" {
				pv += "-" + m[3]
			}
			if v != "" && v != pv {
				return ""
			}
			v = pv
		}
		return v
	}
	return one(o), one(n)
}

// mapName translates a baseline full name into the new side's namespace.
func (c *checker) mapName(name string) string {
	for from, to := range c.renamed {
		if name == from {
			return to
		}
		if strings.HasPrefix(name, from+".") {
			return to + name[len(from):]
		}
	}
	return name
}

// mapFile finds the new file that corresponds to a baseline file.
func (c *checker) mapFile(f protoreflect.FileDescriptor) (protoreflect.FileDescriptor, bool) {
	if n, ok := c.fileMap[f.Path()]; ok {
		nf, ok := c.new.files[n]
		return nf, ok
	}
	if nf, ok := c.new.files[f.Path()]; ok {
		return nf, true
	}
	pkg := string(f.Package())
	if to, ok := c.renamed[pkg]; ok {
		base := f.Path()[strings.LastIndex(f.Path(), "/")+1:]
		for _, nf := range c.new.set.Files {
			if string(nf.Package()) == to && strings.HasSuffix(nf.Path(), "/"+base) || string(nf.Package()) == to && nf.Path() == base {
				return nf, true
			}
		}
	}
	return nil, false
}

func (c *checker) report(r compat.Rule, path, msg string, loc compat.Location, base *compat.Location) bool {
	if !r.InCategory(c.cat) {
		return false
	}
	f := compat.NewFinding(r, path, msg, loc, base)
	f.Category = c.cat
	c.out = append(c.out, f)
	return true
}

// reportDeleted reports the deletion of d, marking the finding when d was
// deprecated.
func (c *checker) reportDeleted(r compat.Rule, d protoreflect.Descriptor, path, msg string, loc compat.Location, base *compat.Location) {
	if c.report(r, path, msg, loc, base) && deprecated(d) != "" {
		c.out[len(c.out)-1].Deprecated = true
	}
}

func (c *checker) oldLoc(d protoreflect.Descriptor) *compat.Location {
	l := c.old.set.loc(d)
	return &l
}

func deprecated(d protoreflect.Descriptor) string {
	type dep interface{ GetDeprecated() bool }
	if o, ok := d.Options().(dep); ok && o.GetDeprecated() {
		return " (it was deprecated)"
	}
	return ""
}

func (c *checker) compareFiles() {
	for _, of := range c.old.set.Files {
		nf, ok := c.mapFile(of)
		if !ok {
			c.report(FileNoDelete, of.Path(), fmt.Sprintf("file %q was deleted", of.Path()), *c.oldLoc(of), c.oldLoc(of))
			continue
		}
		if want := c.mapName(string(of.Package())); want != string(nf.Package()) {
			c.report(FileSamePackage, nf.Path(), fmt.Sprintf("file %q changed package from %q to %q", nf.Path(), of.Package(), nf.Package()), c.new.set.loc(nf), c.oldLoc(of))
		}
		if syntax(of) != syntax(nf) {
			c.report(FileSameSyntax, nf.Path(), fmt.Sprintf("file %q changed syntax from %s to %s", nf.Path(), syntax(of), syntax(nf)), c.new.set.pathLoc(nf, protoreflect.SourcePath{12}), c.oldLoc(of))
		}
		c.compareFileOptions(of, nf)
		// Elements deleted from this file (they may live on in another file
		// of the package, which only the FILE category cares about).
		present := map[string]bool{}
		walkFile(nf, func(m protoreflect.MessageDescriptor) { present["m"+string(m.FullName())] = true },
			func(e protoreflect.EnumDescriptor) { present["e"+string(e.FullName())] = true },
			func(x protoreflect.FieldDescriptor) { present["x"+string(x.FullName())] = true })
		for i := 0; i < nf.Services().Len(); i++ {
			present["s"+string(nf.Services().Get(i).FullName())] = true
		}
		parentLoc := func(d protoreflect.Descriptor) compat.Location {
			if p := d.Parent(); p != nil {
				if pm, ok := p.(protoreflect.MessageDescriptor); ok {
					if nm, ok := c.new.messages[c.mapName(string(pm.FullName()))]; ok {
						return c.new.set.loc(nm)
					}
				}
			}
			return c.new.set.loc(nf)
		}
		walkFile(of, func(m protoreflect.MessageDescriptor) {
			if n := c.mapName(string(m.FullName())); !present["m"+n] {
				c.reportDeleted(MessageNoDelete, m, n, fmt.Sprintf("message %q was deleted from file %q%s", n, nf.Path(), deprecated(m)), parentLoc(m), c.oldLoc(m))
			}
		}, func(e protoreflect.EnumDescriptor) {
			if n := c.mapName(string(e.FullName())); !present["e"+n] {
				c.reportDeleted(EnumNoDelete, e, n, fmt.Sprintf("enum %q was deleted from file %q%s", n, nf.Path(), deprecated(e)), parentLoc(e), c.oldLoc(e))
			}
		}, func(x protoreflect.FieldDescriptor) {
			if n := c.mapName(string(x.FullName())); !present["x"+n] {
				c.report(ExtensionNoDelete, n, fmt.Sprintf("extension %q was deleted from file %q", n, nf.Path()), parentLoc(x), c.oldLoc(x))
			}
		})
		for i := 0; i < of.Services().Len(); i++ {
			s := of.Services().Get(i)
			if n := c.mapName(string(s.FullName())); !present["s"+n] {
				c.reportDeleted(ServiceNoDelete, s, n, fmt.Sprintf("service %q was deleted from file %q%s", n, nf.Path(), deprecated(s)), c.new.set.loc(nf), c.oldLoc(s))
			}
		}
	}
}

func syntax(f protoreflect.FileDescriptor) string {
	switch f.Syntax() {
	case protoreflect.Proto2:
		return "proto2"
	case protoreflect.Proto3:
		return "proto3"
	}
	return "editions"
}

func (c *checker) compareFileOptions(of, nf protoreflect.FileDescriptor) {
	oo, _ := of.Options().(*descriptorpb.FileOptions)
	no, _ := nf.Options().(*descriptorpb.FileOptions)
	get := func(o *descriptorpb.FileOptions, name string) string {
		if o == nil {
			o = &descriptorpb.FileOptions{}
		}
		fd := o.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name))
		return fmt.Sprint(o.ProtoReflect().Get(fd).Interface())
	}
	for _, opt := range fileOptions {
		a, b := get(oo, opt.field), get(no, opt.field)
		if a == b {
			continue
		}
		c.report(opt.rule, nf.Path(), fmt.Sprintf("file %q changed option %s from %q to %q", nf.Path(), opt.field, a, b),
			c.new.set.pathLoc(nf, protoreflect.SourcePath{8, opt.number}), c.oldLoc(of))
	}
}

func (c *checker) comparePackages() {
	oldPkgs := make([]string, 0, len(c.old.packages))
	for p := range c.old.packages {
		oldPkgs = append(oldPkgs, p)
	}
	sort.Strings(oldPkgs)
	for _, p := range oldPkgs {
		if _, ok := c.new.packages[c.mapName(p)]; !ok {
			of := c.old.packages[p]
			c.report(PackageNoDelete, p, fmt.Sprintf("package %q was deleted", p), *c.oldLoc(of), c.oldLoc(of))
		}
	}
	live := func(name protoreflect.FullName, pkg protoreflect.FullName) (compat.Location, bool) {
		nf, ok := c.new.packages[c.mapName(string(pkg))]
		if !ok {
			return compat.Location{}, false
		}
		return c.new.set.loc(nf), true
	}
	for n, m := range c.old.messages {
		if _, ok := c.new.messages[c.mapName(n)]; !ok {
			if l, ok := live(m.FullName(), m.ParentFile().Package()); ok {
				c.reportDeleted(PackageMessageNoDel, m, c.mapName(n), fmt.Sprintf("message %q was deleted from package %q%s", c.mapName(n), c.mapName(string(m.ParentFile().Package())), deprecated(m)), l, c.oldLoc(m))
			}
		}
	}
	for n, e := range c.old.enums {
		if _, ok := c.new.enums[c.mapName(n)]; !ok {
			if l, ok := live(e.FullName(), e.ParentFile().Package()); ok {
				c.report(PackageEnumNoDel, c.mapName(n), fmt.Sprintf("enum %q was deleted from package %q", c.mapName(n), c.mapName(string(e.ParentFile().Package()))), l, c.oldLoc(e))
			}
		}
	}
	for n, s := range c.old.services {
		if _, ok := c.new.services[c.mapName(n)]; !ok {
			if l, ok := live(s.FullName(), s.ParentFile().Package()); ok {
				c.report(PackageServiceNoDel, c.mapName(n), fmt.Sprintf("service %q was deleted from package %q", c.mapName(n), c.mapName(string(s.ParentFile().Package()))), l, c.oldLoc(s))
			}
		}
	}
	for n, x := range c.old.exts {
		if _, ok := c.new.exts[c.mapName(n)]; !ok {
			if l, ok := live(x.FullName(), x.ParentFile().Package()); ok {
				c.report(PackageExtNoDel, c.mapName(n), fmt.Sprintf("extension %q was deleted from package %q", c.mapName(n), c.mapName(string(x.ParentFile().Package()))), l, c.oldLoc(x))
			}
		}
	}
}

// sortedKeys returns a map's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
