// Package loadtest implements `msctl loadtest`: it parses flags into
// Options and drives internal/loadtest.
package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/atomicfile"
	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	lt "github.com/msctl/msctl/internal/loadtest"
	"github.com/msctl/msctl/internal/output"
)

// Options are the parsed flags of `msctl loadtest`.
type Options struct {
	IO          *iostreams.IOStreams
	Ctx         context.Context
	Target      string
	Rate        string
	Concurrency int
	Duration    time.Duration
	Requests    int64
	Method      string
	Headers     []string
	Body        string
	BodyFile    string
	TargetsFile string
	HTTP2       bool
	Insecure    bool
	Timeout     time.Duration
	MaxWorkers  int
	Output      string
	Save        string
	Report      string
	Force       bool
	Workers     int
	Render      string
	Image       string
	JobName     string
	Namespace   string
	GRPC        GRPCFlags
}

const jsonSchemaHelp = `JSON (-o json, and the --save result file; schema "msctl.loadtest/v1"):
  target, model ("open"|"closed"), rate, concurrency, started_at, duration_s,
  offered_rate      planned sends per second
  achieved_rate     actual sends per second
  throughput        accepted (2xx, gRPC OK) responses per second
  requests          {planned, sent, late (>10ms behind schedule), dropped (never sent)}
  status            {accepted, throttled (429/RESOURCE_EXHAUSTED), unavailable (503/UNAVAILABLE),
                     failed, timeouts, transport_errors}
  codes             {"200": n, "429": n, ...}
  latency_ms        {corrected: {p50,p90,p99,p99_9,max,mean}, uncorrected: {...}}
  generator         {kept_up, verdict, send_lag_ms: {...}, workers}
  interrupted, errors [{error, count}],
  series            per second: {offered, achieved, accepted, throttled, unavailable, errors,
                     p50_ms, p99_ms, max_ms}
  histograms        {corrected, uncorrected, send_lag}: HDR histograms (µs), base64
  runs              number of runs merged`

// NewCmd builds `msctl loadtest` and its subcommands.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "loadtest [URL]",
		Short: "Send open-model load (HTTP or gRPC) and report latency without coordinated omission",
		Long: `Send load to an HTTP or gRPC target and report throughput and latency.

With --rate (open model) requests are sent at their scheduled times whatever
the target does; latency is measured both from the intended send time
(corrected: what callers experience) and from the actual send time
(uncorrected: what closed-loop tools report). When msctl itself cannot keep
up, the report says so instead of printing a misleading number. With
--concurrency N (closed model) N workers each send the next request when the
previous one is answered. Every run is bounded by --duration, --requests or a
rate profile with durations; Ctrl-C stops at once and still prints the report.

` + lt.RateSyntax + `

Targets: a URL argument (with -X, -H, --body), or --targets FILE with blocks
of "METHOD URL", "Header: value" lines and an optional "@body-file" line,
separated by blank lines. gRPC: grpc://HOST:PORT/package.Service/Method with
-d JSON, using server reflection or --proto files.

Live progress goes to stderr (a redrawn view on a terminal, a line every 5s
otherwise); the report goes to stdout. --report FILE.html|FILE.svg charts
rate and latency over time. --save FILE writes the JSON result; results of
runs on several machines merge exactly with ` + "`msctl loadtest merge`" + `.
--workers N --render k8s prints a Kubernetes Indexed Job that runs N pods,
each at rate/N.

` + jsonSchemaHelp,
		Example: `  msctl loadtest http://127.0.0.1:8080/ --rate 500/s --duration 30s
  msctl loadtest http://127.0.0.1:8080/ --rate 100/s:10s,100/s..1000/s:30s -o json
  msctl loadtest --targets targets.txt --rate 'sine(300/s,200/s,10s):1m' --report run.html
  msctl loadtest http://svc/ --concurrency 50 --requests 100000
  msctl loadtest grpc://127.0.0.1:9090/helloworld.Greeter/SayHello -d '{"name":"x"}' --rate 200/s --duration 10s
  msctl loadtest http://svc/ --rate 40000/s --duration 5m --workers 8 --render k8s | kubectl apply -f -`,
		Args:              cmdutil.RangeArgs(0, 1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if len(args) == 1 {
				opts.Target = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Rate, "rate", "r", "", "open-model rate profile, e.g. 500/s or 100/s:30s,200/s:30s (see above)")
	fl.IntVarP(&opts.Concurrency, "concurrency", "c", 0, "closed model: number of looping workers (instead of --rate)")
	fl.DurationVarP(&opts.Duration, "duration", "d", 0, "how long to send (default: the rate profile's length)")
	fl.Int64VarP(&opts.Requests, "requests", "n", 0, "stop after this many requests")
	fl.StringVarP(&opts.Method, "method", "X", "GET", "HTTP method")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "request header \"Name: value\" (repeatable)")
	fl.StringVar(&opts.Body, "body", "", "request body")
	fl.StringVar(&opts.BodyFile, "body-file", "", "file holding the request body")
	fl.StringVar(&opts.TargetsFile, "targets", "", "file of targets (METHOD URL / headers / @body blocks)")
	fl.BoolVar(&opts.HTTP2, "http2", false, "use HTTP/2 (TLS-negotiated, or h2c prior knowledge for http://)")
	fl.BoolVar(&opts.Insecure, "insecure", false, "do not verify the target's TLS certificate")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "per-request timeout")
	fl.IntVar(&opts.MaxWorkers, "max-workers", 10000, "open model: most requests in flight at once")
	fl.StringVar(&opts.Save, "save", "", "also write the JSON result (with histograms) to this file")
	fl.StringVar(&opts.Report, "report", "", "write a chart of rate and latency over time: FILE.html or FILE.svg")
	fl.BoolVar(&opts.Force, "force", false, "overwrite existing --save and --report files")
	fl.IntVar(&opts.Workers, "workers", 1, "with --render: number of pods sharing the rate")
	fl.StringVar(&opts.Render, "render", "", "print a manifest instead of running: k8s")
	fl.StringVar(&opts.Image, "image", "ghcr.io/msctl/msctl:latest", "with --render k8s: container image holding msctl")
	fl.StringVar(&opts.JobName, "job-name", "msctl-loadtest", "with --render k8s: name of the Job")
	fl.StringVar(&opts.Namespace, "job-namespace", "", "with --render k8s: namespace of the Job")
	addGRPCFlags(cmd, &opts.GRPC)
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	cmdutil.RegisterEnum(cmd, "render", []string{"k8s"})
	_ = cmd.MarkFlagFilename("targets")
	_ = cmd.MarkFlagFilename("body-file")
	_ = cmd.MarkFlagFilename("report", "html", "svg")
	_ = cmd.MarkFlagFilename("save", "json")
	cmd.AddCommand(newMergeCmd(f))
	return cmd
}

// Run performs the load test.
func Run(opts *Options) error {
	format, err := cmdutil.ParseOutput(opts.Output)
	if err != nil {
		return err
	}
	ltOpts, err := engineOptions(opts)
	if err != nil {
		return err
	}
	if opts.Render != "" {
		return render(opts, ltOpts)
	}
	if opts.Report != "" {
		if ext := filepath.Ext(opts.Report); ext != ".html" && ext != ".svg" {
			return exitcode.Usagef("--report %q: the file name must end in .html or .svg", opts.Report)
		}
	}
	for _, p := range []string{opts.Save, opts.Report} {
		if p == "" || opts.Force {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return exitcode.UsageError(fmt.Errorf("%s already exists", p), "use --force to overwrite it")
		}
	}
	req, err := newRequester(opts)
	if err != nil {
		return err
	}
	defer req.Close()

	live := &lt.Live{W: opts.IO.ErrOut, TTY: opts.IO.IsStderrTTY(), Color: opts.IO.ColorEnabledStderr(), Profile: ltOpts.Profile}
	ltOpts.Progress = live.Update
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := lt.Run(ctx, req, ltOpts)
	live.Clear()
	if err != nil {
		return err
	}
	if err := writeFiles(opts, res); err != nil {
		return err
	}
	if format == output.FormatTable {
		err = lt.WriteReport(opts.IO, res)
	} else {
		err = output.Write(opts.IO, format, res, nil)
	}
	if err != nil {
		return err
	}
	if res.Interrupted {
		return exitcode.WithCode(exitcode.Interrupted)
	}
	if res.Requests.Sent > 0 && res.Status.TransportErrors == res.Requests.Sent {
		return exitcode.UnreachableError(fmt.Errorf("every request to %s failed: %s", res.Target, res.Errors[0].Error), "is the target running?")
	}
	return nil
}

func writeFiles(opts *Options, res *lt.Result) error {
	if opts.Save != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(opts.Save, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", opts.Save, err)
		}
	}
	if opts.Report != "" {
		doc := lt.SVG(res)
		if filepath.Ext(opts.Report) == ".html" {
			doc = lt.HTML(res)
		}
		if err := atomicfile.WriteFile(opts.Report, []byte(doc), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", opts.Report, err)
		}
	}
	return nil
}

func engineOptions(opts *Options) (lt.Options, error) {
	var o lt.Options
	switch {
	case opts.Rate != "" && opts.Concurrency > 0:
		return o, exitcode.Usagef("give --rate (open model) or --concurrency (closed model), not both")
	case opts.Rate == "" && opts.Concurrency <= 0:
		return o, exitcode.UsageError(fmt.Errorf("no load given"), "add --rate 100/s (open model) or --concurrency 10 (closed model)")
	case opts.Rate != "":
		p, err := lt.ParseProfile(opts.Rate)
		if err != nil {
			return o, exitcode.UsageError(fmt.Errorf("--rate: %w", err), "see `msctl loadtest --help` for the syntax")
		}
		// Rendered for pods, each runs its share; run here, this process
		// runs all of it.
		workers := 1
		if opts.Render != "" {
			workers = opts.Workers
		}
		if err := p.CheckSchedulable(workers); err != nil {
			return o, exitcode.UsageError(fmt.Errorf("--rate: %w", err), "")
		}
		o.Profile = &p
	default:
		o.Concurrency = opts.Concurrency
	}
	if opts.Duration < 0 || opts.Requests < 0 {
		return o, exitcode.Usagef("--duration and --requests must not be negative")
	}
	if opts.Duration == 0 && opts.Requests == 0 && (o.Profile == nil || o.Profile.Total() == 0) {
		return o, exitcode.UsageError(fmt.Errorf("the run is unbounded"), "add --duration 30s or --requests 1000")
	}
	o.Duration, o.Requests, o.MaxWorkers = opts.Duration, opts.Requests, opts.MaxWorkers
	if opts.MaxWorkers < 1 {
		return o, exitcode.Usagef("--max-workers must be at least 1")
	}
	o.Workers = min(16, opts.MaxWorkers)
	return o, nil
}

func newRequester(opts *Options) (lt.Requester, error) {
	if strings.HasPrefix(opts.Target, "grpc://") || strings.HasPrefix(opts.Target, "grpcs://") {
		return newGRPCRequester(opts)
	}
	var targets []lt.HTTPTarget
	switch {
	case opts.TargetsFile != "" && opts.Target != "":
		return nil, exitcode.Usagef("give a URL or --targets, not both")
	case opts.TargetsFile != "":
		f, err := os.Open(opts.TargetsFile)
		if err != nil {
			return nil, exitcode.UsageError(err, "")
		}
		defer f.Close()
		targets, err = lt.ParseTargets(opts.TargetsFile, f)
		if err != nil {
			return nil, exitcode.UsageError(err, "")
		}
	case opts.Target == "":
		return nil, exitcode.UsageError(fmt.Errorf("no target"), "give a URL or --targets FILE")
	default:
		h := http.Header{}
		for _, kv := range opts.Headers {
			k, v, ok := strings.Cut(kv, ":")
			if !ok || strings.TrimSpace(k) == "" {
				return nil, exitcode.Usagef("--header %q: want \"Name: value\"", kv)
			}
			h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		t := lt.HTTPTarget{Method: strings.ToUpper(opts.Method), URL: opts.Target, Header: h}
		if opts.Body != "" {
			t.Body = []byte(opts.Body)
		}
		if opts.BodyFile != "" {
			b, err := os.ReadFile(opts.BodyFile)
			if err != nil {
				return nil, exitcode.UsageError(err, "")
			}
			t.Body = b
		}
		targets = []lt.HTTPTarget{t}
	}
	r, err := lt.NewHTTP(lt.HTTPOptions{Targets: targets, HTTP2: opts.HTTP2, Insecure: opts.Insecure, Timeout: opts.Timeout})
	if err != nil {
		return nil, exitcode.UsageError(err, "")
	}
	return r, nil
}

// render prints a manifest that runs this same load test from Workers
// pods, each at 1/Workers of the rate.
func render(opts *Options, o lt.Options) error {
	if opts.Render != "k8s" {
		return cmdutil.CheckEnum("render", opts.Render, []string{"k8s"})
	}
	if opts.Workers < 1 {
		return exitcode.Usagef("--workers must be at least 1")
	}
	if opts.TargetsFile != "" || opts.BodyFile != "" || len(opts.GRPC.Protos) > 0 {
		return exitcode.Usagef("--render k8s cannot ship local files (--targets, --body-file, --proto) to the pods; use a URL with --body, or server reflection")
	}
	args := []string{"loadtest"}
	if opts.Target != "" {
		args = append(args, opts.Target)
	}
	if o.Profile != nil {
		args = append(args, "--rate", o.Profile.Scale(1/float64(opts.Workers)).String())
	} else {
		args = append(args, "--concurrency", strconv.Itoa(max(1, opts.Concurrency/opts.Workers)))
	}
	if opts.Duration > 0 {
		args = append(args, "--duration", opts.Duration.String())
	}
	if opts.Requests > 0 {
		args = append(args, "--requests", strconv.FormatInt(max(1, opts.Requests/int64(opts.Workers)), 10))
	}
	if opts.Method != "GET" {
		args = append(args, "--method", opts.Method)
	}
	for _, h := range opts.Headers {
		args = append(args, "--header", h)
	}
	if opts.Body != "" {
		args = append(args, "--body", opts.Body)
	}
	if opts.HTTP2 {
		args = append(args, "--http2")
	}
	if opts.Insecure {
		args = append(args, "--insecure")
	}
	args = append(args, "--timeout", opts.Timeout.String(), "--max-workers", strconv.Itoa(opts.MaxWorkers))
	args = append(args, opts.GRPC.args()...)
	args = append(args, "-o", "json")
	b, err := lt.RenderK8sJob(lt.K8sJob{Name: opts.JobName, Namespace: opts.Namespace, Image: opts.Image, Workers: opts.Workers, Args: args})
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	_, err = opts.IO.Out.Write(b)
	return err
}
