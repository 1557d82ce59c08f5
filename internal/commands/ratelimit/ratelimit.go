// Package ratelimit implements `msctl ratelimit find` and `msctl
// ratelimit verify`: flag parsing over internal/ratelimit.
package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/loadtest"
	rl "github.com/msctl/msctl/internal/ratelimit"
	"github.com/msctl/msctl/internal/servicefile"
)

// TargetFlags are the request flags both subcommands share.
type TargetFlags struct {
	Method      string
	Headers     []string
	Body        string
	HTTP2       bool
	Insecure    bool
	Timeout     time.Duration
	Data        string
	Protos      []string
	ImportPaths []string
	Draft       int
	From        string
	Route       string
	MaxDuration time.Duration
	Output      string
}

func addTargetFlags(cmd *cobra.Command, t *TargetFlags, maxDefault time.Duration) {
	fl := cmd.Flags()
	fl.StringVarP(&t.Method, "method", "X", "GET", "HTTP method")
	fl.StringArrayVarP(&t.Headers, "header", "H", nil, "request header \"Name: value\" (repeatable; gRPC metadata for grpc://)")
	fl.StringVar(&t.Body, "body", "", "request body")
	fl.BoolVar(&t.HTTP2, "http2", false, "use HTTP/2")
	fl.BoolVar(&t.Insecure, "insecure", false, "do not verify the target's TLS certificate")
	fl.DurationVar(&t.Timeout, "timeout", 5*time.Second, "per-request timeout")
	fl.StringVar(&t.Data, "data", "", "gRPC: request message as JSON")
	fl.StringArrayVar(&t.Protos, "proto", nil, "gRPC: proto file (default: server reflection)")
	fl.StringArrayVarP(&t.ImportPaths, "import-path", "I", nil, "gRPC: proto import folder")
	fl.IntVar(&t.Draft, "draft", 11, "how to read the t parameter of the RateLimit field: 10 (seconds to reset) or 11 (effective window)")
	fl.StringVar(&t.From, "from", "", "service.yaml declaring the limits (rate_limits)")
	fl.StringVar(&t.Route, "route", "", "with --from: the route of the rate_limits entry to use")
	fl.DurationVar(&t.MaxDuration, "max-duration", maxDefault, "upper bound on the whole run")
	cmdutil.AddOutputFlag(cmd, &t.Output)
	cmdutil.RegisterEnum(cmd, "draft", []string{"10", "11"})
	_ = cmd.MarkFlagFilename("from", "yaml", "yml")
	_ = cmd.MarkFlagFilename("proto", "proto")
}

// declared reads the rate_limits entry of a service file that fits the
// target's protocol (and --route).
func (t *TargetFlags) declared(target string) (*servicefile.RateLimit, error) {
	if t.From == "" {
		return nil, nil
	}
	svc, err := servicefile.Load(t.From)
	if err != nil {
		return nil, exitcode.UsageError(err, "")
	}
	proto := "http"
	if strings.HasPrefix(target, "grpc") {
		proto = "grpc"
	}
	for i := range svc.RateLimits {
		l := &svc.RateLimits[i]
		if (l.Protocol == "" || l.Protocol == proto) && (t.Route == "" || l.Route == t.Route) {
			return l, nil
		}
	}
	return nil, exitcode.Usagef("%s declares no %s rate limit%s", t.From, proto, map[bool]string{true: " for route " + t.Route}[t.Route != ""])
}

func parseHeaders(list []string) (http.Header, error) {
	h := http.Header{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, exitcode.Usagef("header %q: want \"Name: value\"", kv)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h, nil
}

func (t *TargetFlags) prober(ctx context.Context, ios *iostreams.IOStreams, target string) (*rl.Prober, error) {
	if t.Draft != 10 && t.Draft != 11 {
		return nil, exitcode.Usagef("--draft must be 10 or 11")
	}
	if t.MaxDuration <= 0 {
		return nil, exitcode.Usagef("--max-duration must be positive")
	}
	switch {
	case strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "https://"):
	case strings.HasPrefix(target, "grpc://"), strings.HasPrefix(target, "grpcs://"):
		if _, _, _, _, err := loadtest.ParseGRPCTarget(target); err != nil {
			return nil, exitcode.UsageError(err, "")
		}
	default:
		return nil, exitcode.Usagef("target %q: want an http(s):// URL or grpc://HOST:PORT/package.Service/Method", target)
	}
	h, err := parseHeaders(t.Headers)
	if err != nil {
		return nil, err
	}
	ut := &rl.URLTarget{Ctx: ctx, Opts: rl.TargetOptions{
		URL: target, Method: strings.ToUpper(t.Method), Header: h, HTTP2: t.HTTP2, Timeout: t.Timeout, Insecure: t.Insecure,
		Data: t.Data, Protos: t.Protos, ImportPaths: t.ImportPaths,
	}}
	if t.Body != "" {
		ut.Opts.Body = []byte(t.Body)
	}
	// Fail early, with exit code 3, when the target cannot be reached.
	r, err := ut.New(nil)
	if err != nil {
		return nil, exitcode.UnreachableError(err, "check the address (and for gRPC, reflection or --proto)")
	}
	r.Close()
	return &rl.Prober{Target: ut, Draft: rl.Draft(t.Draft), Log: ios.ErrOut}, nil
}

// NewCmd builds `msctl ratelimit`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ratelimit",
		Short: "Find or verify a service's rate limit",
		Long: `Measure rate limits instead of merely counting 429s.

find discovers the sustained rate and burst of a limit with open-model
probes; verify checks that a declared limit is enforced. Both read every
rate-limit signal: RateLimit-Policy / RateLimit structured fields
(draft-ietf-httpapi-ratelimit-headers; --draft selects the -10 or -11 reading
of "t"), RateLimit-Limit/-Remaining/-Reset, X-RateLimit-*, Retry-After
(seconds or HTTP date), HTTP 429 and 503, and gRPC RESOURCE_EXHAUSTED with
grpc-retry-pushback-ms or a RetryInfo detail. Both can take the declared
limit from a service.yaml (--from). Probe traffic is real load: point them
at a service you own.`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.AddCommand(newFindCmd(f, nil), newVerifyCmd(f, nil))
	return cmd
}

func checkFile(path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return exitcode.UsageError(fmt.Errorf("--from: %w", err), "")
	}
	return nil
}
