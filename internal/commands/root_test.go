package commands

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/iostreams"
)

// runRoot executes args on the tree build makes and returns what it wrote.
func runRoot(t *testing.T, build func(*cmdutil.Factory) *cobra.Command, args []string) (string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	root := build(cmdutil.New(ios))
	root.SetArgs(args)
	err := root.Execute()
	return out.String() + "\n--stderr--\n" + errOut.String(), err
}

// The tree NewRootFor builds answers help, --version and every group's help
// exactly as the whole tree does.
func TestNewRootForMatchesNewRoot(t *testing.T) {
	cases := [][]string{nil, {"--help"}, {"-h"}, {"--version"}, {"--no-color", "--help"}}
	for _, g := range lazyGroups() {
		cases = append(cases, []string{firstWord(g.use), "--help"}, []string{"--context", "x", firstWord(g.use), "--help"})
	}
	for _, args := range cases {
		full, errFull := runRoot(t, NewRoot, args)
		lazy, errLazy := runRoot(t, func(f *cmdutil.Factory) *cobra.Command { return NewRootFor(f, args) }, args)
		if full != lazy || (errFull == nil) != (errLazy == nil) {
			t.Errorf("msctl %q differs:\n--- whole tree (err %v)\n%s\n--- built for the arguments (err %v)\n%s", args, errFull, full, errLazy, lazy)
		}
	}
}

// A stand-in carries everything help and suggestions read from its group.
func TestStandInsDescribeTheirGroups(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	for _, g := range lazyGroups() {
		c := g.build(f)
		if c.Use != g.use || c.Short != g.short {
			t.Errorf("group %s: stand-in Use/Short %q/%q, command %q/%q", g.use, g.use, g.short, c.Use, c.Short)
		}
		if len(c.Aliases) > 0 || len(c.SuggestFor) > 0 || c.GroupID != "" || c.Hidden || c.Deprecated != "" {
			t.Errorf("group %s has aliases, suggestions, a group, is hidden or deprecated: give its stand-in the same", g.use)
		}
	}
}

func TestSelectedGroup(t *testing.T) {
	cases := []struct {
		args []string
		name string
		ok   bool
	}{
		{nil, "", true},
		{[]string{"--version"}, "", true},
		{[]string{"--help"}, "", true},
		{[]string{"probe", "http", "x"}, "probe", true},
		{[]string{"--context", "prod", "registry", "services"}, "registry", true},
		{[]string{"--context=prod", "registry"}, "registry", true},
		{[]string{"--config", "c.yaml", "--no-color", "loadtest", "http://127.0.0.1"}, "loadtest", true},
		{[]string{"--context", "registry", "probe"}, "probe", true}, // "registry" is the context's name
		{[]string{"help", "probe"}, "", false},
		{[]string{"completion", "zsh"}, "", false},
		{[]string{"__complete", "pro"}, "", false},
		{[]string{"docs", "man", "out"}, "", false},
		{[]string{"regisry"}, "", false},
		{[]string{"--", "probe"}, "", false},
	}
	ios, _, _, _ := iostreams.Test()
	flags := NewRoot(cmdutil.New(ios)).PersistentFlags()
	for _, c := range cases {
		name, ok := selectedGroup(c.args, flags)
		if name != c.name || ok != c.ok {
			t.Errorf("selectedGroup(%q) = %q, %v; want %q, %v", c.args, name, ok, c.name, c.ok)
		}
	}
}

// Every root flag that takes a value has its value skipped, whether it is
// given as "--name VALUE" or "--name=VALUE"; a boolean one does not.
func TestSelectedGroupFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	flags := NewRoot(cmdutil.New(ios)).PersistentFlags()
	var valued int
	flags.VisitAll(func(fl *pflag.Flag) {
		forms := [][]string{{"--" + fl.Name + "=probe", "registry"}}
		if fl.NoOptDefVal == "" {
			valued++
			forms = append(forms, []string{"--" + fl.Name, "probe", "registry"})
		} else {
			forms = append(forms, []string{"--" + fl.Name, "registry"})
		}
		for _, args := range forms {
			if name, ok := selectedGroup(args, flags); name != "registry" || !ok {
				t.Errorf("selectedGroup(%q) = %q, %v; want registry", args, name, ok)
			}
		}
	})
	if valued == 0 {
		t.Error("no root flag takes a value: the test checks nothing")
	}
}

// Running a group that was not built asks for the whole tree.
func TestStandInAsksForTheWholeTree(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewRootFor(cmdutil.New(ios), []string{"version"})
	root.SetArgs([]string{"probe", "http", "http://127.0.0.1:1"})
	root.SetOut(&bytes.Buffer{})
	if err := root.Execute(); !errors.Is(err, ErrNeedFullTree) {
		t.Fatalf("err = %v, want ErrNeedFullTree", err)
	}
}

// Only the selected group is built.
func TestNewRootForBuildsOneGroup(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	built := func(root *cobra.Command) []string {
		var names []string
		for _, c := range root.Commands() {
			if !c.DisableFlagParsing {
				names = append(names, c.Name())
			}
		}
		return names
	}
	if got := built(NewRootFor(cmdutil.New(ios), []string{"--version"})); !slices.Equal(got, []string{"docs"}) {
		t.Errorf("--version built %v, want only docs (always whole)", got)
	}
	if got := built(NewRootFor(cmdutil.New(ios), []string{"--context", "x", "probe", "http"})); !slices.Equal(got, []string{"docs", "probe"}) {
		t.Errorf("probe built %v", got)
	}
	if got := built(NewRootFor(cmdutil.New(ios), []string{"help", "probe"})); len(got) != len(lazyGroups())+1 {
		t.Errorf("help built %v, want every group", got)
	}
}
