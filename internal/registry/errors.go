package registry

import (
	"context"
	"errors"

	"github.com/msctl/msctl/internal/exitcode"
)

// ExitError maps an adapter error to msctl's exit codes, so that every
// command reports registry failures the same way:
//
//	unreachable registry (connection refused, DNS failure, timeout)  exit 3
//	credentials refused (bad or insufficient ACL token)              exit 2
//	registry certificate not trusted (TLS)                           exit 2
//	malformed filter expression                                      exit 2
//	service not found                                                exit 1
//	Ctrl-C                                                           exit 130
//
// A missing service exits 1 rather than 2: the name is well-formed and the
// registry answered; what it says (nothing registered under that name) is a
// finding about the system, as a failing check is.
func ExitError(err error) error {
	if err == nil {
		return nil
	}
	var ue *UnreachableError
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &ue):
		return exitcode.UnreachableError(err, "check the address (--address, --registry or the context) and that the registry is running")
	case errors.Is(err, ErrPermissionDenied):
		return exitcode.UsageError(err, "check the ACL token (--token-file, MSCTL_TOKEN or the context's token)")
	case errors.Is(err, ErrTLSVerification):
		return exitcode.UsageError(err, "check the TLS settings: --ca-file for the registry's CA, --client-cert/--client-key if it requires a client certificate (--tls-skip-verify skips verification, insecure)")
	case errors.Is(err, ErrInvalidQuery):
		return exitcode.UsageError(err, "")
	case errors.Is(err, ErrServiceNotFound):
		return exitcode.CheckFailedError(err)
	}
	return err
}

// ACLHiddenAdvice is what to do when a registry's access control hid every
// service (see ACLSource).
const ACLHiddenAdvice = `give msctl a token that may read the catalog (--token-file, MSCTL_TOKEN or the context's token), e.g. with the rules service_prefix "" { policy = "read" } and node_prefix "" { policy = "read" }`
