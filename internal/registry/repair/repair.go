// Package repair registers and deregisters instances by hand, for manual
// repair during an incident. Every write is named first (method, URL and
// body of the exact API call), can stop there (dry run), and asks for
// confirmation on a terminal; without a terminal it refuses unless told
// yes, so that a script never writes to a registry by accident.
package repair

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
)

// Plan is a write about to be made.
type Plan struct {
	// Action is register or deregister.
	Action  string           `json:"action"`
	Service string           `json:"service"`
	ID      string           `json:"id"`
	Call    registry.APICall `json:"call"`
	// Done is true once the call succeeded; false on a dry run.
	Done bool `json:"done"`
}

// Options say how far to go.
type Options struct {
	DryRun bool
	Yes    bool
	Format output.Format
}

// Register plans, confirms and makes a registration.
func Register(ctx context.Context, ios *iostreams.IOStreams, reg registry.Registry, r registry.Registration, opts Options) error {
	w, err := registrar(reg)
	if err != nil {
		return err
	}
	call, err := w.RegisterCall(r)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	p := &Plan{Action: "register", Service: r.Service, ID: r.ID, Call: call}
	return apply(ctx, ios, p, opts, func() error { return w.Register(ctx, r) })
}

// Deregister plans, confirms and makes a deregistration.
func Deregister(ctx context.Context, ios *iostreams.IOStreams, reg registry.Registry, service, id string, opts Options) error {
	w, err := registrar(reg)
	if err != nil {
		return err
	}
	call, err := w.DeregisterCall(service, id)
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	p := &Plan{Action: "deregister", Service: service, ID: id, Call: call}
	return apply(ctx, ios, p, opts, func() error { return w.Deregister(ctx, service, id) })
}

func registrar(reg registry.Registry) (registry.Registrar, error) {
	w, ok := reg.(registry.Registrar)
	if !ok {
		return nil, exitcode.Usagef("the %s adapter cannot write to its registry", reg.Kind())
	}
	return w, nil
}

// Describe writes the call as a person reads it: the method and URL, then
// the body as indented JSON.
func Describe(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", p.Call.Method, p.Call.URL)
	if p.Call.Body != nil {
		body, err := json.MarshalIndent(p.Call.Body, "  ", "  ")
		if err == nil {
			fmt.Fprintf(&b, "\n  %s", body)
		}
	}
	return b.String()
}

func apply(ctx context.Context, ios *iostreams.IOStreams, p *Plan, opts Options, do func() error) error {
	st := output.NewStderrStyle(ios)
	if opts.Format == output.FormatTable || opts.Format == "" {
		note := ""
		if opts.DryRun {
			note = " (dry run: nothing is sent)"
		}
		fmt.Fprintf(ios.ErrOut, "%s %s of %s%s: %s\n", st.Bold(p.Action), p.ID, p.Service, note, Describe(p))
	}
	if opts.DryRun {
		return report(ios, p, opts)
	}
	if !opts.Yes {
		if !ios.CanPrompt() {
			return exitcode.Usagef("refusing to %s %s without confirmation: no terminal to ask on; pass --yes (or --dry-run to see the call)", p.Action, p.ID)
		}
		fmt.Fprintf(ios.ErrOut, "%s %s %s? [y/N] ", p.Action, p.Service, p.ID)
		line, err := bufio.NewReader(ios.In).ReadString('\n')
		if err != nil && line == "" {
			return exitcode.Usagef("no answer: %s of %s cancelled", p.Action, p.ID)
		}
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			// Declining exits 2, as gh does for a cancelled prompt.
			return exitcode.UsageError(errors.New(p.Action+" cancelled"), "")
		}
	}
	if err := do(); err != nil {
		return registry.ExitError(err)
	}
	p.Done = true
	return report(ios, p, opts)
}

func report(ios *iostreams.IOStreams, p *Plan, opts Options) error {
	switch opts.Format {
	case output.FormatJSON, output.FormatYAML:
		return output.Write(ios, opts.Format, p, nil)
	}
	if p.Done {
		st := output.NewStyle(ios)
		past := map[string]string{"register": "registered", "deregister": "deregistered"}[p.Action]
		_, err := fmt.Fprintf(ios.Out, "%s %s of %s\n", st.Green(past), p.ID, p.Service)
		return err
	}
	return nil
}
