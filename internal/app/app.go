// Package app runs msctl: it builds the command tree, executes it with a
// context that Ctrl-C cancels, and turns the outcome into one line on stderr
// and an exit code. This is the only place where errors become exit codes.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/commands"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
)

func init() {
	// Let every level's PersistentPreRunE run, not only the nearest.
	cobra.EnableTraverseRunHooks = true
}

// Main runs msctl with the process's arguments and streams.
func Main() exitcode.Code {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ios := iostreams.System()
	return run(ctx, cmdutil.New(ios), os.Args[1:], func() func() { return cancelOnSignal(cancel) })
}

// cancelOnSignal cancels the command's context on Ctrl-C or SIGTERM until
// stop is called. It is installed when a command starts running rather than
// at start-up: signal.Notify starts two OS threads, which --version, --help
// and completion do not need (they cost about half a millisecond).
func cancelOnSignal(cancel context.CancelFunc) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// Run executes msctl with args and returns the exit code. Errors are printed
// to f.IOStreams.ErrOut as one line: "msctl: <what>: <why>; <hint>".
func Run(ctx context.Context, f *cmdutil.Factory, args []string) exitcode.Code {
	return run(ctx, f, args, nil)
}

// run is Run with onStart, called once a command has parsed and is about to
// run; the function it returns is called when the command ends.
func run(ctx context.Context, f *cmdutil.Factory, args []string, onStart func() func()) exitcode.Code {
	stop := func() {}
	defer func() { stop() }()
	start := func() {
		if onStart != nil {
			stop, onStart = onStart(), nil
		}
	}
	cmd, parsed, err := execute(ctx, commands.NewRoot(f), args, start)
	if err == nil {
		return exitcode.OK
	}
	code := exitcode.Of(err)
	var typed *exitcode.Error
	if !parsed && !errors.As(err, &typed) && !exitcode.IsSilent(err) {
		code = exitcode.Usage
		if cmd != nil && strings.HasPrefix(err.Error(), "unknown command") {
			err = exitcode.UsageError(err, fmt.Sprintf("see `%s --help`", cmd.CommandPath()))
		}
	}
	if ctx.Err() != nil && code != exitcode.OK && !exitcode.IsSilent(err) {
		code = exitcode.Interrupted
	}
	PrintError(f.IOStreams.ErrOut, err)
	return code
}

// execute runs root with args; parsed says whether a command got as far as
// running (its flags and arguments were accepted).
func execute(ctx context.Context, root *cobra.Command, args []string, start func()) (cmd *cobra.Command, parsed bool, err error) {
	// Any untyped error before a command runs comes from cobra's parsing
	// (unknown command, unknown flag, missing required flag): a usage error.
	inner := root.PersistentPreRunE
	root.PersistentPreRunE = func(c *cobra.Command, a []string) error {
		parsed = true
		start()
		if inner != nil {
			return inner(c, a)
		}
		return nil
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.UsageError(err, fmt.Sprintf("see `%s --help`", c.CommandPath()))
	})
	guardGroups(root)
	root.SetArgs(args)
	cmd, err = root.ExecuteContextC(ctx)
	return cmd, parsed, err
}

// guardGroups makes every command group below root refuse an argument that
// names no subcommand. Cobra prints a group's help and exits 0 for
// `msctl registry instnces orders`, so a script with a typo passes; here it
// is one line with the nearest subcommand and exit 2, as at the top level.
func guardGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		guardGroups(sub)
	}
	if !c.HasParent() || !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		return cmdutil.UnknownSubcommand(cmd, args[0])
	}
	c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
}

// PrintError writes err as msctl's one-line error message. Silent errors
// print nothing: their command has already reported.
func PrintError(w io.Writer, err error) {
	if err == nil || exitcode.IsSilent(err) {
		return
	}
	// One line: cobra's messages carry newlines and tabs ("Did you mean this?").
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if hint := exitcode.HintOf(err); hint != "" {
		msg += "; " + hint
	}
	fmt.Fprintf(w, "msctl: %s\n", msg)
}
