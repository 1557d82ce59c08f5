// Package inspect renders what a registry says about its services and
// instances, for `msctl registry services` and `msctl registry instances`.
// It works on any registry.Registry; the commands only parse flags.
package inspect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/output"
	"github.com/msctl/msctl/internal/registry"
)

// ListServices writes every service with its instance counts by health.
func ListServices(ctx context.Context, ios *iostreams.IOStreams, reg registry.Registry, q registry.Query, format output.Format) error {
	svcs, err := reg.Services(ctx, q)
	if err != nil {
		return err
	}
	if svcs == nil {
		svcs = []registry.Service{}
	}
	if as, ok := reg.(registry.ACLSource); ok && len(svcs) == 0 {
		// An empty table reads as "nothing is registered"; when the
		// registry's ACLs hid everything, say so where people and scripts
		// look for problems, leaving stdout the (empty) data.
		if why, err := as.HiddenByACL(ctx); err == nil && why != "" {
			fmt.Fprintf(ios.ErrOut, "msctl: %s; %s\n", why, registry.ACLHiddenAdvice)
		}
	}
	return output.Write(ios, format, svcs, func() *output.Table { return ServicesTable(svcs) })
}

// ServicesTable is one row per service; HEALTH is the worst state present.
func ServicesTable(svcs []registry.Service) *output.Table {
	t := output.NewTable("name", "health", "instances", "passing", "warning", "critical", "tags", "versions")
	for _, s := range svcs {
		t.AddRow(s.Name, worstOf(s.ByHealth), s.Instances,
			s.ByHealth[registry.Passing], s.ByHealth[registry.Warning], s.ByHealth[registry.Critical],
			join(s.Tags), join(s.Versions))
	}
	return t
}

func worstOf(by map[registry.Health]int) string {
	w := registry.Health("")
	for h, n := range by {
		if n > 0 {
			if w == "" {
				w = h
			} else {
				w = registry.Worst(w, h)
			}
		}
	}
	if w == "" {
		return "-"
	}
	return string(w)
}

func join(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// ListInstances writes the instances of one service: a table of instances
// followed by a table of their checks with each check's output.
func ListInstances(ctx context.Context, ios *iostreams.IOStreams, reg registry.Registry, service string, format output.Format) error {
	ins, err := reg.Instances(ctx, service)
	if err != nil {
		return err
	}
	if format != output.FormatTable {
		return output.Write(ios, format, ins, nil)
	}
	if err := InstancesTable(ins).Render(ios); err != nil {
		return err
	}
	ct := ChecksTable(ins)
	if len(ct.Rows) == 0 {
		return nil
	}
	fmt.Fprintln(ios.Out)
	return ct.Render(ios)
}

// InstancesTable is one row per instance.
func InstancesTable(ins []registry.Instance) *output.Table {
	t := output.NewTable("id", "node", "address", "health", "node state", "version", "lease", "tags", "meta")
	for _, in := range ins {
		t.AddRow(in.ID, dash(in.Node), fmt.Sprintf("%s:%d", in.Address, in.Port), in.Health,
			dash(in.NodeState), dash(in.Version), Lease(in), join(in.Tags), metaString(in.Meta))
	}
	return t
}

// Lease describes a lease or heartbeat deadline: "12s of 30s left", or
// "-" when the registry has none for the instance.
func Lease(in registry.Instance) string {
	switch {
	case in.LeaseTTL > 0:
		return fmt.Sprintf("%s of %s left", in.LeaseRemaining.Round(time.Second), in.LeaseTTL)
	case in.LastHeartbeat != nil:
		return "beat " + in.LastHeartbeat.UTC().Format(time.RFC3339)
	}
	return "-"
}

// ChecksTable is one row per check of every instance, with its output.
func ChecksTable(ins []registry.Instance) *output.Table {
	t := output.NewTable("instance", "check", "type", "status", "target", "output")
	for _, in := range ins {
		for _, c := range in.Checks {
			name := c.Name
			if name == "" {
				name = c.ID
			}
			// Check output is often multi-line (HTTP bodies, script
			// output): one line per check keeps the table a table.
			t.AddRow(in.ID, name, dash(c.Type), c.Status, dash(c.Definition), dash(strings.Join(strings.Fields(c.Output), " ")))
		}
	}
	return t
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func metaString(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}
