// Package probe is msctl's probe engine: one Prober per protocol (HTTP, TCP,
// DNS, gRPC, ...) and one Result schema for all of them, so that a probe of
// an HTTP endpoint, a DNS name or a gRPC health service reads the same way
// to a person and to a script: target, resolved addresses, the duration of
// each phase, the status, and when it failed, the phase that failed and the
// class of the failure.
//
// The package never reads flags or writes to os.Stdout: the probe commands
// build a Prober, hand it to Run with the assertions and an output function,
// and turn the outcome into an exit code with ExitCode.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// ErrorClass says why a probe failed. The values are part of the JSON
// contract.
type ErrorClass string

// The error classes, from the lowest layer to the highest.
const (
	ClassNone      ErrorClass = ""
	ClassDNS       ErrorClass = "dns"       // the name did not resolve
	ClassConnect   ErrorClass = "connect"   // no transport connection (refused, unreachable)
	ClassTLS       ErrorClass = "tls"       // handshake or certificate verification failed
	ClassTimeout   ErrorClass = "timeout"   // --timeout elapsed (the failed phase says where)
	ClassProtocol  ErrorClass = "protocol"  // the peer answered but not in the expected protocol
	ClassStatus    ErrorClass = "status"    // the protocol worked and reported a failure status
	ClassAssertion ErrorClass = "assertion" // --expect-body or --max-latency did not hold
)

// Unreachable reports whether the class means the target could not be
// reached at all (exit code 3), as opposed to reached and found wanting.
func (c ErrorClass) Unreachable() bool {
	switch c {
	case ClassDNS, ClassConnect, ClassTLS, ClassTimeout:
		return true
	}
	return false
}

// Phase is one timed step of a probe. Names are lower-case words shared
// across protocols where the step is the same: dns, connect, tls; the rest
// are protocol-specific (server and transfer for HTTP, rpc for gRPC...).
type Phase struct {
	Name       string  `json:"name"`
	DurationMS float64 `json:"duration_ms"`
}

// Result is the outcome of one probe. Every protocol fills the common
// fields; protocol details go in the matching optional field.
type Result struct {
	Protocol string `json:"protocol"`
	Target   string `json:"target"`
	// Instance is the registered instance probed (probe service only).
	Instance *InstanceRef `json:"instance,omitempty"`
	Seq      int          `json:"seq"`
	Time     time.Time    `json:"time"`
	// Addresses are what the target's host name resolved to; RemoteAddr is
	// the one the probe actually talked to.
	Addresses  []string `json:"addresses,omitempty"`
	RemoteAddr string   `json:"remote_addr,omitempty"`
	// Reused is true when the probe ran over a connection kept from an
	// earlier probe (so dns, connect and tls phases are absent).
	Reused  bool    `json:"reused"`
	Phases  []Phase `json:"phases"`
	TotalMS float64 `json:"total_ms"`
	OK      bool    `json:"ok"`
	// Status is the protocol's own word for the outcome: "200 OK",
	// "SERVING", "NOERROR", "connected".
	Status      string     `json:"status,omitempty"`
	FailedPhase string     `json:"failed_phase,omitempty"`
	ErrorClass  ErrorClass `json:"error_class,omitempty"`
	Error       string     `json:"error,omitempty"`

	HTTP *HTTPDetails `json:"http,omitempty"`
	TLS  *TLSDetails  `json:"tls,omitempty"`
	DNS  *DNSDetails  `json:"dns,omitempty"`
	GRPC *GRPCDetails `json:"grpc,omitempty"`
	WS   *WSDetails   `json:"ws,omitempty"`

	GraphQL *GraphQLDetails `json:"graphql,omitempty"`
	Broker  *BrokerDetails  `json:"broker,omitempty"`
	Thrift  *ThriftDetails  `json:"thrift,omitempty"`
	Corba   *CorbaDetails   `json:"corba,omitempty"`

	// Body is what the probe received (an HTTP body, a gRPC response, a
	// WebSocket message), kept for --expect-body; it is not part of the
	// JSON result.
	Body []byte `json:"-"`
	// StatusCode is the protocol's numeric status checked by
	// --expect-status (HTTP status, gRPC code, DNS rcode); -1 when none.
	StatusCode int `json:"-"`
	// ExitCode, when not zero, is the exit code the protocol asks for on
	// this failure instead of the class's (gRPC: 64 + status code).
	ExitCode int `json:"-"`
}

// RedactURL hides the password of a URL's user information, so that a
// result never shows a secret given in the URL (amqp://user:pass@...).
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	return u.Redacted()
}

// Phase returns the duration of the named phase and whether it happened.
func (r *Result) Phase(name string) (time.Duration, bool) {
	for _, p := range r.Phases {
		if p.Name == name {
			return time.Duration(p.DurationMS * float64(time.Millisecond)), true
		}
	}
	return 0, false
}

func (r *Result) addPhase(name string, d time.Duration) {
	r.Phases = append(r.Phases, Phase{Name: name, DurationMS: ms(d)})
}

// Fail marks the result failed in phase with class and err.
func (r *Result) Fail(phase string, class ErrorClass, err error) {
	r.OK = false
	r.FailedPhase = phase
	r.ErrorClass = class
	if err != nil {
		r.Error = err.Error()
	}
}

func ms(d time.Duration) float64 {
	// Microsecond precision is what a person and a histogram can use; more
	// digits are noise in the JSON.
	return float64(d.Microseconds()) / 1000
}

// Prober runs one probe of one target. Probe may be called repeatedly (for
// --count) and may keep a connection between calls; Close releases it.
type Prober interface {
	Probe(ctx context.Context) *Result
	Close() error
}

// Classify maps a transport error to an error class, for the phase the
// probe was in when it happened. It looks at the error's type rather than
// its text wherever the standard library gives one.
func Classify(err error, phase string) ErrorClass {
	if err == nil {
		return ClassNone
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return ClassTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ClassTimeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ClassDNS
	}
	if isTLSError(err) {
		return ClassTLS
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return ClassConnect
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return ClassConnect
	}
	switch phase {
	case PhaseDNS:
		return ClassDNS
	case PhaseConnect:
		return ClassConnect
	case PhaseTLS:
		return ClassTLS
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return ClassProtocol
	}
	return ClassProtocol
}

func isTLSError(err error) bool {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certInvalid x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		verifyErr   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certInvalid),
		errors.As(err, &recordErr), errors.As(err, &alertErr), errors.As(err, &verifyErr):
		return true
	}
	// A peer that rejects our client certificate closes the connection
	// with an alert that crypto/tls reports as a plain "remote error".
	return strings.Contains(err.Error(), "tls: ")
}

// The phase names shared by several protocols.
const (
	PhaseDNS     = "dns"
	PhaseConnect = "connect"
	PhaseTLS     = "tls"
)
