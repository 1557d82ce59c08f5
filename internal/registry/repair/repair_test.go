package repair

import (
	"context"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
)

// recorder is a fake Registrar that records the writes it is asked for;
// the real Consul path is covered by testdata/script/registry_register.txtar.
type recorder struct{ writes []string }

func (r *recorder) Kind() string { return "fake" }
func (r *recorder) Services(context.Context, registry.Query) ([]registry.Service, error) {
	return nil, nil
}
func (r *recorder) Instances(context.Context, string) ([]registry.Instance, error) { return nil, nil }
func (r *recorder) RegisterCall(reg registry.Registration) (registry.APICall, error) {
	return registry.APICall{Method: "PUT", URL: "http://fake/register", Body: reg}, nil
}
func (r *recorder) DeregisterCall(service, id string) (registry.APICall, error) {
	return registry.APICall{Method: "PUT", URL: "http://fake/deregister/" + id}, nil
}
func (r *recorder) Register(_ context.Context, reg registry.Registration) error {
	r.writes = append(r.writes, "register "+reg.ID)
	return nil
}
func (r *recorder) Deregister(_ context.Context, service, id string) error {
	r.writes = append(r.writes, "deregister "+id)
	return nil
}

func TestConfirmation(t *testing.T) {
	for _, tt := range []struct {
		name   string
		tty    bool
		input  string
		opts   Options
		writes int
		code   exitcode.Code
	}{
		{"terminal, yes", true, "y\n", Options{}, 1, exitcode.OK},
		{"terminal, no", true, "n\n", Options{}, 0, exitcode.Usage},
		{"terminal, empty answer", true, "\n", Options{}, 0, exitcode.Usage},
		{"no terminal", false, "y\n", Options{}, 0, exitcode.Usage},
		{"no terminal, --yes", false, "", Options{Yes: true}, 1, exitcode.OK},
		{"dry run", true, "y\n", Options{DryRun: true}, 0, exitcode.OK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, errOut := iostreams.Test()
			ios.SetTTY(tt.tty)
			ios.SetNeverPrompt(!tt.tty)
			in.WriteString(tt.input)
			rec := &recorder{}
			tt.opts.Format = output.FormatTable
			err := Deregister(context.Background(), ios, rec, "web", "web-1", tt.opts)
			if got := exitcode.Of(err); got != tt.code {
				t.Errorf("exit %d, want %d (%v)", got, tt.code, err)
			}
			if len(rec.writes) != tt.writes {
				t.Errorf("writes %v, want %d", rec.writes, tt.writes)
			}
			if !strings.Contains(errOut.String(), "PUT http://fake/deregister/web-1") {
				t.Errorf("the call is not named: %q", errOut.String())
			}
			if tt.writes == 1 && !strings.Contains(out.String(), "deregistered web-1 of web") {
				t.Errorf("stdout %q", out.String())
			}
		})
	}
}
