package etcdhttp

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// gRPC status codes that etcd's errors carry (google.golang.org/grpc/codes).
const (
	CodeUnknown            = 2
	CodeInvalidArgument    = 3
	CodeDeadlineExceeded   = 4
	CodeNotFound           = 5
	CodePermissionDenied   = 7
	CodeFailedPrecondition = 9
	CodeOutOfRange         = 11
	CodeUnavailable        = 14
	CodeUnauthenticated    = 16
)

// Error is an error etcd answered with: a gRPC status that the gateway
// turned into JSON, {"error":"...","code":N,"message":"..."} (as etcd 3.4
// and 3.5 write it), {"code":N,"message":"..."} (3.6), or inside a watch
// stream {"error":{"grpc_code":N,"message":"..."}}.
type Error struct {
	// Code is the gRPC status code (CodePermissionDenied, ...).
	Code int
	// Message is etcd's text, such as "etcdserver: permission denied".
	Message string
	// HTTPStatus is the answer's HTTP status; 0 inside a watch stream.
	HTTPStatus int
}

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("etcd error (gRPC code %d)", e.Code)
}

// AuthFailure says whether the cluster refused the credentials or the
// permissions msctl's call needs: the codes PermissionDenied and
// Unauthenticated, and the InvalidArgument answers etcd gives to a wrong
// password or a missing user name.
func (e *Error) AuthFailure() bool {
	if e.Code == CodePermissionDenied || e.Code == CodeUnauthenticated {
		return true
	}
	for _, s := range []string{"authentication failed", "permission denied", "invalid auth token", "user name is empty"} {
		if strings.Contains(e.Message, s) {
			return true
		}
	}
	return false
}

// HTTPError is an answer that is not the gateway's JSON: the port is not
// an etcd client port, or the etcd is older than 3.4 and serves no /v3/
// paths.
type HTTPError struct {
	StatusCode int
	Path       string
	Body       string // the start of the body
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("HTTP %d from %s, not etcd's JSON API (etcd 3.4 or later serves it on the client port)", e.StatusCode, e.Path)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// UnavailableError says that no endpoint answered the call.
type UnavailableError struct {
	// Endpoints tried, with the error of each in Errs.
	Endpoints []string
	Errs      []error
}

func (e *UnavailableError) Error() string {
	if len(e.Errs) == 1 {
		return e.Errs[0].Error()
	}
	parts := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		parts[i] = e.Endpoints[i] + ": " + err.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives the errors of the endpoints, so that errors.Is and
// errors.As find a deadline or a certificate error among them.
func (e *UnavailableError) Unwrap() []error { return e.Errs }

// CompactedError ends a watch whose start revision has been compacted
// away: the changes since then are lost, and the caller reads afresh.
type CompactedError struct {
	// CompactRevision is the oldest revision the cluster still has.
	CompactRevision int64
}

func (e *CompactedError) Error() string {
	return fmt.Sprintf("etcdserver: mvcc: required revision has been compacted (oldest kept: %d)", e.CompactRevision)
}

// errorBody is the union of the gateway's error shapes.
type errorBody struct {
	// Error is a string in unary answers of etcd 3.4/3.5 and an object
	// in their watch streams.
	Error    json.RawMessage `json:"error"`
	Code     *int            `json:"code"`
	GRPCCode *int            `json:"grpc_code"`
	Message  string          `json:"message"`
}

// parseError reads a gateway error body; nil when b is not one.
func parseError(b []byte) *Error {
	var eb errorBody
	if json.Unmarshal(b, &eb) != nil {
		return nil
	}
	if len(eb.Error) > 0 && eb.Error[0] == '{' {
		return parseError(eb.Error)
	}
	e := &Error{Message: eb.Message}
	if e.Message == "" && len(eb.Error) > 0 {
		_ = json.Unmarshal(eb.Error, &e.Message)
	}
	switch {
	case eb.Code != nil:
		e.Code = *eb.Code
	case eb.GRPCCode != nil:
		e.Code = *eb.GRPCCode
	case e.Message == "":
		return nil
	default:
		e.Code = CodeUnknown
	}
	return e
}

// grpcCodeNames are the names gRPC's status text uses, indexed by code
// (an array, not a map, so that it costs nothing at start-up).
var grpcCodeNames = [...]string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
	"NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
	"FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
	"Internal", "Unavailable", "DataLoss", "Unauthenticated",
}

// cancelReasonError reads a watch's cancel_reason, which etcd writes as a
// gRPC status text: "rpc error: code = PermissionDenied desc = etcdserver:
// permission denied".
func cancelReasonError(reason string) *Error {
	rest, ok := strings.CutPrefix(reason, "rpc error: code = ")
	if !ok {
		return &Error{Code: CodeUnknown, Message: reason}
	}
	name, desc, _ := strings.Cut(rest, " desc = ")
	code := CodeUnknown
	for i, n := range grpcCodeNames {
		if n == name {
			code = i
		}
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "Code("), ")")); err == nil {
		code = n
	}
	return &Error{Code: code, Message: desc}
}
