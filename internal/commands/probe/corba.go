package probe

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/giop"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/probe"
)

// CorbaOptions are the parsed flags of `msctl probe corba`.
type CorbaOptions struct {
	CommonOptions
	Target      string
	Data        string
	IsA         string
	List        bool
	Decode      bool
	HowMany     uint32
	MaxForwards int
}

// NewCorbaCmd builds `msctl probe corba`.
func NewCorbaCmd(f *cmdutil.Factory, runF func(*CorbaOptions) error) *cobra.Command {
	opts := &CorbaOptions{CommonOptions: CommonOptions{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "corba TARGET",
		Short: "Probe a CORBA object over GIOP/IIOP: locate it and call _non_existent or _is_a",
		Long: `Probe a CORBA object the way an ORB reaches it. TARGET is
corbaloc::HOST[:PORT][,HOST[:PORT]...]/KEY (port 2809 by default, an IIOP
version as 1.1@HOST), corbaname::HOST[:PORT]#a/b.kind (resolved through
the CosNaming service's NameService key), or IOR:HEX; -d @FILE reads it
from a file.

Phases: dns, connect, resolve (corbaname only), locate (a GIOP
LocateRequest: OBJECT_HERE passes, OBJECT_FORWARD is followed up to
--max-forwards, UNKNOWN_OBJECT fails with class status), call
(_non_existent by default, _is_a(REPO_ID) with --is-a). GIOP 1.2 is
spoken first, then 1.1 and 1.0 when the server answers MessageError or
closes the connection.

CORBA system exceptions are reported by name, minor code and completion
status, and classed: TRANSIENT, COMM_FAILURE, NO_RESPONSE are connect
(exit 3); TIMEOUT is timeout (exit 3); MARSHAL, BAD_PARAM, BAD_OPERATION,
NO_IMPLEMENT, INV_OBJREF, IMP_LIMIT, CODESET_INCOMPATIBLE are protocol
(exit 1); OBJECT_NOT_EXIST and every other exception are status (exit 1),
as are UNKNOWN_OBJECT, _non_existent true, _is_a false and a CosNaming
NotFound. --expect-status OBJECT_NOT_EXIST (or any status word) makes that
outcome pass.

--list prints the bindings of a naming context (CosNaming list, --how-many
at a time, the BindingIterator drained and destroyed). --decode prints an
IOR's type id, IIOP profiles and tagged components without dialling.

JSON "corba" details: giop, object_key, type_id, resolved, locate,
forwards, operation, result, exception {id, name, minor, completed}.

` + ResultSchemaHelp + `

` + ExitCodeHelp,
		Example: `  msctl probe corba corbaloc::ns.local:2809/NameService
  msctl probe corba --is-a IDL:omg.org/CosNaming/NamingContext:1.0 corbaloc::ns.local/NameService
  msctl probe corba corbaname::ns.local:2809#billing/Invoices
  msctl probe corba -d @server.ior --count 5
  msctl probe corba --list corbaloc::ns.local:2809/NameService -o json
  msctl probe corba --decode -d @server.ior`,
		Args:              cmdutil.RangeArgs(0, 1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Target = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return RunCorba(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Data, "data", "d", "", "the target, or @FILE to read it from a file (an IOR file), @- for stdin")
	fl.StringVar(&opts.IsA, "is-a", "", "call _is_a(REPO_ID) instead of _non_existent, e.g. IDL:omg.org/CosNaming/NamingContext:1.0")
	fl.BoolVar(&opts.List, "list", false, "list the bindings of the naming context TARGET")
	fl.BoolVar(&opts.Decode, "decode", false, "print the contents of the IOR TARGET without dialling")
	fl.Uint32Var(&opts.HowMany, "how-many", 100, "bindings fetched per list or next_n call with --list")
	fl.IntVar(&opts.MaxForwards, "max-forwards", probe.DefaultCorbaForwards, "OBJECT_FORWARD and LOCATION_FORWARD replies followed at most")
	addCommonFlags(cmd, &opts.CommonOptions)
	cmd.MarkFlagsMutuallyExclusive("list", "decode")
	return cmd
}

// RunCorba probes, lists or decodes and prints the results.
func RunCorba(ctx context.Context, opts *CorbaOptions) error {
	format, ro, expect, err := opts.runOptions()
	if err != nil {
		return err
	}
	target := opts.Target
	if opts.Data != "" {
		if target != "" {
			return exitcode.Usagef("give the target as an argument or with -d, not both")
		}
		b, err := readData(opts.IO, opts.Data)
		if err != nil {
			return err
		}
		target = strings.TrimSpace(string(b))
	}
	if target == "" {
		return exitcode.Usagef("no target: give corbaloc::HOST:PORT/KEY, corbaname::HOST:PORT#NAME, IOR:... or -d @FILE")
	}
	if opts.MaxForwards < 1 {
		return exitcode.Usagef("invalid --max-forwards %d: must be at least 1", opts.MaxForwards)
	}
	switch {
	case opts.Decode:
		ior, err := giop.ParseIOR(target)
		if err != nil {
			return exitcode.UsageError(fmt.Errorf("decoding the IOR: %w", err), "")
		}
		if format != output.FormatTable {
			return output.Write(opts.IO, format, ior, nil)
		}
		return probe.WriteIOR(opts.IO.Out, ior)
	case opts.List:
		if opts.HowMany < 1 {
			return exitcode.Usagef("invalid --how-many 0: must be at least 1")
		}
		if _, err := probe.ParseCorbaTarget(target); err != nil {
			return exitcode.UsageError(err, "")
		}
		lctx := ctx
		if opts.Timeout > 0 {
			var cancel context.CancelFunc
			lctx, cancel = context.WithTimeout(ctx, opts.Timeout)
			defer cancel()
		}
		bindings, err := probe.CorbaList(lctx, target, opts.HowMany)
		if err != nil {
			if probe.Classify(err, "list").Unreachable() {
				return exitcode.UnreachableError(err, "")
			}
			return exitcode.CheckFailedError(err)
		}
		if bindings == nil {
			bindings = []giop.Binding{}
		}
		return output.Write(opts.IO, format, bindings, func() *output.Table {
			t := output.NewTable("NAME", "TYPE")
			for _, b := range bindings {
				t.AddRow(b.Name.String(), b.Type)
			}
			return t
		})
	}
	p, err := probe.NewCorba(probe.CorbaOptions{Target: target, IsA: opts.IsA, MaxForwards: opts.MaxForwards, ExpectStatus: expect})
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	return opts.report(ctx, format, ro, p, false)
}
