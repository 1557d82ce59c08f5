// Package iostreams carries a command's standard streams together with what
// is known about them: whether each is a terminal, whether color is wanted,
// how wide the terminal is and whether prompting is allowed.
//
// Library code never touches os.Stdout; it receives an *IOStreams (or plain
// io.Writers taken from one), which is what makes it testable without a
// process.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams is the set of streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool

	colorDisabled bool
	width         int
	neverPrompt   bool
}

// System returns streams bound to the process's stdin, stdout and stderr.
// Nothing here dials or reads anything beyond the environment.
func System() *IOStreams {
	ios := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	// NO_COLOR (https://no-color.org) disables color whatever its value, as
	// long as it is present and not empty.
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		ios.colorDisabled = true
	}
	if ios.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			ios.width = w
		}
	}
	if ios.width == 0 {
		if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
			ios.width = c
		}
	}
	if os.Getenv("CI") != "" {
		ios.neverPrompt = true
	}
	return ios
}

func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// Test returns streams backed by buffers, for tests: stdin, stdout, stderr.
// They report themselves as non-terminals until told otherwise.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, neverPrompt: true}, in, out, errOut
}

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// SetTTY marks stdin, stdout and stderr as terminals (or not). Tests use it
// to exercise the styled paths.
func (s *IOStreams) SetTTY(tty bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = tty, tty, tty
}

// SetColorDisabled turns color off (--no-color) or back on.
func (s *IOStreams) SetColorDisabled(off bool) { s.colorDisabled = off }

// ColorEnabled reports whether styled output should be written to stdout:
// only on a terminal, and never when NO_COLOR or --no-color says otherwise.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.colorDisabled }

// ColorEnabledStderr is ColorEnabled for stderr.
func (s *IOStreams) ColorEnabledStderr() bool { return s.stderrTTY && !s.colorDisabled }

// TerminalWidth is the width of the terminal stdout is on, or 0 when unknown
// (not a terminal and no COLUMNS). Callers treat 0 as "do not truncate".
func (s *IOStreams) TerminalWidth() int { return s.width }

// SetWidth sets the terminal width, for tests.
func (s *IOStreams) SetWidth(w int) { s.width = w }

// CanPrompt reports whether interactive questions may be asked: stdin and
// stdout are terminals and prompting has not been turned off.
func (s *IOStreams) CanPrompt() bool {
	return s.stdinTTY && s.stdoutTTY && !s.neverPrompt
}

// SetNeverPrompt forbids prompting (for example in CI).
func (s *IOStreams) SetNeverPrompt(v bool) { s.neverPrompt = v }
