// Package exitcode defines msctl's exit codes and the typed errors that map
// onto them. The mapping happens in one place (Of), so every command exits
// the same way for the same kind of failure.
//
//	0  success
//	1  a check found a problem (unhealthy, breaking change, limit not enforced)
//	2  usage or input error (bad flag, malformed file, invalid name)
//	3  a dependency could not be reached (registry, probe target)
//	130  interrupted (Ctrl-C) before the command finished, as shells report SIGINT
//	64+N  msctl probe grpc: the RPC failed with gRPC status code N (as grpcurl)
package exitcode

import (
	"context"
	"errors"
	"fmt"
)

// Code is a process exit code.
type Code int

// The exit codes msctl documents. Scripts depend on them: never renumber.
const (
	OK          Code = 0
	CheckFailed Code = 1
	Usage       Code = 2
	Unreachable Code = 3
	Interrupted Code = 130
	// RPCBase is added to a gRPC status code, as grpcurl does.
	RPCBase Code = 64
)

// Error carries an exit code and an optional hint with an underlying error.
// Its message is the underlying error's; the hint is printed after it.
type Error struct {
	Code Code
	Err  error
	Hint string
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// UsageError marks err as bad usage or bad input (exit 2).
func UsageError(err error, hint string) error { return &Error{Code: Usage, Err: err, Hint: hint} }

// Usagef formats a usage error (exit 2).
func Usagef(format string, args ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, args...)}
}

// UnreachableError marks err as a dependency that could not be reached (exit 3).
func UnreachableError(err error, hint string) error {
	return &Error{Code: Unreachable, Err: err, Hint: hint}
}

// CheckFailedError marks err as a check that found a problem (exit 1).
func CheckFailedError(err error) error { return &Error{Code: CheckFailed, Err: err} }

// Silent is returned by a command that has already reported its outcome (for
// example a failed check whose findings are on stdout) and only needs the
// exit code to say so. Nothing more is printed.
type Silent struct{ Code Code }

func (s *Silent) Error() string { return fmt.Sprintf("exit status %d", s.Code) }

// WithCode returns an error that exits with code and prints nothing more.
func WithCode(c Code) error { return &Silent{Code: c} }

// Of maps an error to its exit code. Unknown errors are treated as usage or
// input errors when they come from flag parsing and as check failures
// otherwise; commands should return typed errors so that this is rare.
func Of(err error) Code {
	if err == nil {
		return OK
	}
	var s *Silent
	if errors.As(err, &s) {
		return s.Code
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return CheckFailed
}

// HintOf returns the hint carried by err, if any.
func HintOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// IsSilent reports whether err asks for no message.
func IsSilent(err error) bool {
	var s *Silent
	return errors.As(err, &s)
}
